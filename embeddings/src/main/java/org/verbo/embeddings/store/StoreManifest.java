package org.verbo.embeddings.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code manifest.json} of a vector store: where the vectors came from, how the index was built, and how good
 * and how big it is.
 *
 * @param modelHash              hash of the embedding checkpoint, as given by the caller
 * @param dimension              vector dimension
 * @param count                  stored vectors
 * @param similarity             "cosine" or "dot_product"
 * @param encoding               "float32" or "int8"
 * @param maxConn                HNSW M
 * @param beamWidth              HNSW beam width (efConstruction)
 * @param storeText              whether texts are stored for snippets
 * @param recallAt10             HNSW recall@10 against exact search ({@link RecallCheck}), HNSW fetching
 *                               searchCandidates neighbours
 * @param recallQueries          sampled queries behind recallAt10
 * @param recallSeed             seed of that sample
 * @param indexBytesPerVector    all index files / count
 * @param searchBytesPerVector   graph + scored vectors / count (see {@link IndexSize})
 * @param luceneVersion          Lucene that wrote the index
 * @param createdAt              ISO-8601 instant
 * @param searchCandidates       HNSW neighbours a search fetches before keeping the best k (at least k); 0 in
 *                               manifests written before it was recorded, which searched k
 */
public record StoreManifest(String modelHash, int dimension, long count, String similarity, String encoding,
                            int maxConn, int beamWidth, boolean storeText, double recallAt10, int recallQueries,
                            long recallSeed, double indexBytesPerVector, double searchBytesPerVector,
                            String luceneVersion, String createdAt, int searchCandidates) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public StoreManifest {
        if (modelHash == null || modelHash.isBlank()) throw new IllegalArgumentException("modelHash must be given");
        if (dimension < 1) throw new IllegalArgumentException("dimension must be >= 1, got " + dimension);
        if (count < 0) throw new IllegalArgumentException("count must be >= 0, got " + count);
        StoreConfig.Similarity.parse(similarity);
        StoreConfig.Encoding.parse(encoding);
        if (recallAt10 < 0 || recallAt10 > 1) throw new IllegalArgumentException("recallAt10 must be in [0, 1], got " + recallAt10);
        if (luceneVersion == null || createdAt == null) throw new IllegalArgumentException("luceneVersion and createdAt must be set");
        if (searchCandidates < 0) throw new IllegalArgumentException("searchCandidates must be >= 0, got " + searchCandidates);
    }

    /** The HNSW neighbours to fetch for a top-k search: the recorded candidates, never fewer than k. */
    public int candidatesFor(int k) {
        return Math.max(k, searchCandidates);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException when the JSON is not a valid manifest */
    public static StoreManifest fromJson(String json) {
        try {
            return JSON.readValue(json, StoreManifest.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a store manifest: " + e.getMessage(), e);
        }
    }

    /** Writes to a temp file beside path and renames it, so a crash never leaves half a manifest. */
    public void write(Path path) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        Files.writeString(tmp, toJson());
        Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static StoreManifest read(Path path) throws IOException {
        return fromJson(Files.readString(path));
    }
}
