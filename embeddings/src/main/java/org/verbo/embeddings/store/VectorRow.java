package org.verbo.embeddings.store;

/**
 * One stored item: its id, its embedding and (optionally) its text. The Spark job reads these from the Parquet
 * {@code vectors/} table; {@link VectorStore#rows()} reads them back from an index.
 *
 * @param id     the row's id, non-null
 * @param vector the embedding, [D]; not copied, callers must not mutate it afterwards
 * @param text   the text, or null when not kept
 */
public record VectorRow(String id, float[] vector, String text) {
    public VectorRow {
        if (id == null) throw new IllegalArgumentException("id must not be null");
        if (vector == null || vector.length == 0) throw new IllegalArgumentException("vector of id '" + id + "' is empty");
    }
}
