package org.verbo.jobs.prepare;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

/**
 * User-given ids are unique in the output: of the documents read with the same id, the first in input order
 * (smallest {@code doc_key}) keeps it and every later one is rejected as {@value #REASON} (stage read), whatever the
 * quality filters said of it, so which record keeps an id does not depend on filter settings. Records rejected while
 * reading keep their own reason and never take an id from a document. Positional ids ({@code <file>#<index>}) are
 * unique by construction; this step runs only when the ids come from the user's field or column (generated ones
 * included, which a user id may happen to equal).
 */
final class DuplicateIds {

    static final String REASON = "duplicate_id";

    private DuplicateIds() {
    }

    /**
     * @param cleaned rows of {@link DocRows#SCHEMA} after normalisation and the quality filters
     * @return decisions {@code (doc_key, stage, reason, detail)} for the later occurrences; only the key, id and source
     *     columns are shuffled, never the text
     */
    static Dataset<Row> laterOccurrences(Dataset<Row> cleaned) {
        // A document as read: not rejected, or rejected after reading (by normalisation or a quality filter).
        Column document = col("reason").isNull().or(col("stage").notEqual(lit(DocRows.STAGE_READ)));
        // One group per (id, is-a-document): rejections never take an id from a document.
        return FirstOccurrence.later(cleaned.select(col("doc_key"), col("id"), col("source"), document.as("document")),
                        "source", col("id"), col("document"))
                .where(col("document"))
                .select(col("doc_key"), lit(DocRows.STAGE_READ).as("stage"), lit(REASON).as("reason"),
                        concat(lit("same id as an earlier record of "), col("first_source")).as("detail"));
    }
}
