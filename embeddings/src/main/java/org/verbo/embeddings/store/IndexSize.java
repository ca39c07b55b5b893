package org.verbo.embeddings.store;

import java.io.IOException;

/**
 * Bytes of a store's index files.
 *
 * @param totalBytes  every file of the index
 * @param searchBytes what an HNSW search reads per vector: the graph (.vex) and the vectors it scores (.vec for
 *                    float32, the 1-byte codes .veq for int8). An int8 store also keeps its float32 .vec (Lucene
 *                    requantizes from it on merge), which is why its total can exceed a float32 store's.
 */
record IndexSize(long totalBytes, long searchBytes) {

    static IndexSize of(VectorStore store) throws IOException {
        String scored = store.encoding() == StoreConfig.Encoding.INT8 ? ".veq" : ".vec";
        long total = 0, search = 0;
        for (String file : store.directory().listAll()) {
            long len = store.directory().fileLength(file);
            total += len;
            if (file.endsWith(".vex") || file.endsWith(scored)) search += len;
        }
        return new IndexSize(total, search);
    }
}
