package org.verbo.embeddings.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorStoresTest {

    private static final int N = 600, DIM = 32;

    @TempDir
    Path tmp;

    private static void write(Path dir, StoreConfig config, float[][] v, int from, int to) throws IOException {
        try (VectorIndexWriter w = VectorIndexWriter.create(dir, config, v[0].length)) {
            for (int i = from; i < to; i++) w.add(TestVectors.id(i), v[i], "text of " + i);
        }
    }

    @Test
    void mergingThreePartialsEqualsOneIndexBuiltInOneGo() throws IOException {
        StoreConfig config = StoreConfig.defaults(StoreConfig.Similarity.COSINE);
        float[][] v = TestVectors.unit(N, DIM, 21);
        write(tmp.resolve("p0"), config, v, 0, 200);
        write(tmp.resolve("p1"), config, v, 200, 450);
        write(tmp.resolve("p2"), config, v, 450, N);
        write(tmp.resolve("whole"), config, v, 0, N);
        long merged = VectorStores.merge(List.of(tmp.resolve("p0"), tmp.resolve("p1"), tmp.resolve("p2")),
                tmp.resolve("merged"), config);
        assertEquals(N, merged);

        float[][] queries = TestVectors.unit(5, DIM, 22);
        try (VectorStore m = VectorStore.open(tmp.resolve("merged")); VectorStore w = VectorStore.open(tmp.resolve("whole"))) {
            assertEquals(N, m.count());
            assertEquals(DIM, m.dimension());
            for (float[] q : queries) {
                List<SearchHit> em = m.exactSearch(q, 10), ew = w.exactSearch(q, 10);
                assertEquals(ew, em);
                // HNSW on 600 vectors with M=16 finds the exact top 3 in both stores.
                assertEquals(ids(ew).subList(0, 3), ids(m.search(q, 10)).subList(0, 3));
                assertEquals(ids(ew).subList(0, 3), ids(w.search(q, 10)).subList(0, 3));
            }
            // A stored vector finds itself first, with its stored text.
            SearchHit self = m.search(v[333], 1).get(0);
            assertEquals(TestVectors.id(333), self.id());
            assertEquals("text of 333", self.snippet());
        }
    }

    private static List<String> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    void mergeRejectsPartialsThatDisagreeWithTheConfig() throws IOException {
        StoreConfig cosine = StoreConfig.defaults(StoreConfig.Similarity.COSINE);
        float[][] v = TestVectors.unit(20, 8, 5);
        write(tmp.resolve("a"), cosine, v, 0, 10);
        write(tmp.resolve("b"), cosine.withEncoding(StoreConfig.Encoding.INT8), v, 10, 20);
        var e = assertThrows(IllegalArgumentException.class,
                () -> VectorStores.merge(List.of(tmp.resolve("a"), tmp.resolve("b")), tmp.resolve("out"), cosine));
        assertTrue(e.getMessage().contains("was written as Lucene99HnswScalarQuantizedVectorsFormat"), e.getMessage());
        var d = assertThrows(IllegalArgumentException.class, () -> VectorStores.merge(List.of(tmp.resolve("a")),
                tmp.resolve("out2"), StoreConfig.defaults(StoreConfig.Similarity.DOT_PRODUCT)));
        assertTrue(d.getMessage().contains("uses COSINE, the config says dot_product"), d.getMessage());
    }

    @Test
    void mergeAndWriterRefuseAnExistingIndex() throws IOException {
        StoreConfig config = StoreConfig.defaults(StoreConfig.Similarity.COSINE);
        float[][] v = TestVectors.unit(10, 8, 6);
        write(tmp.resolve("a"), config, v, 0, 10);
        assertThrows(IllegalStateException.class, () -> VectorIndexWriter.create(tmp.resolve("a"), config, 8));
        assertThrows(IllegalStateException.class, () -> VectorStores.merge(List.of(tmp.resolve("a")), tmp.resolve("a"), config));
    }

    @Test
    void manifestIsWrittenAndReadBack() throws IOException {
        StoreConfig config = StoreConfig.defaults(StoreConfig.Similarity.DOT_PRODUCT).withHnsw(8, 50).withStoreText(false);
        float[][] v = TestVectors.unit(300, 16, 8);
        write(tmp.resolve("p"), config, v, 0, 300);
        VectorStores.merge(List.of(tmp.resolve("p")), tmp.resolve("index"), config);
        StoreManifest m = VectorStores.describe(tmp.resolve("index"), config, "sha256:abc", 50, 42);
        assertEquals(300, m.count());
        assertEquals(16, m.dimension());
        assertEquals("dot_product", m.similarity());
        assertEquals("float32", m.encoding());
        assertEquals(8, m.maxConn());
        assertEquals(50, m.beamWidth());
        assertEquals(50, m.recallQueries());
        assertEquals("9.12.3", m.luceneVersion());
        assertTrue(m.recallAt10() >= 0.9, "recall " + m.recallAt10());
        // The float32 vectors alone take 16 * 4 = 64 bytes; the graph and the id add more.
        assertTrue(m.searchBytesPerVector() > 64 && m.indexBytesPerVector() > m.searchBytesPerVector(), m.toString());

        Path file = tmp.resolve("manifest.json");
        m.write(file);
        assertEquals(m, StoreManifest.read(file));
        String json = Files.readString(file);
        assertTrue(json.contains("\"modelHash\" : \"sha256:abc\""), json);
        assertEquals(10, m.searchCandidates());   // the 5-argument describe searches k = 10, as before candidates
        // a manifest written before searchCandidates was recorded still reads, and searches k
        StoreManifest old = StoreManifest.fromJson(json.replaceAll(",\\s*\"searchCandidates\" : \\d+", ""));
        assertEquals(0, old.searchCandidates());
        assertEquals(10, old.candidatesFor(10));

        StoreManifest wide = VectorStores.describe(tmp.resolve("index"), config, "sha256:abc", 50, 42, 40);
        assertEquals(40, wide.searchCandidates());
        assertEquals(40, wide.candidatesFor(10));
        assertEquals(100, wide.candidatesFor(100));
        assertTrue(wide.recallAt10() >= m.recallAt10(), wide.recallAt10() + " < " + m.recallAt10());
        assertThrows(IllegalArgumentException.class,
                () -> VectorStores.describe(tmp.resolve("index"), config, "sha256:abc", 50, 42, 5));
        assertThrows(IllegalArgumentException.class, () -> StoreManifest.fromJson(json.replace("\"float32\"", "\"int4\"")));
    }
}
