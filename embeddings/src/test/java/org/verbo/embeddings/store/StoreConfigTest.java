package org.verbo.embeddings.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StoreConfigTest {

    @Test
    void defaultsAreLucenesHnswParameters() {
        StoreConfig c = StoreConfig.defaults(StoreConfig.Similarity.COSINE);
        assertEquals(16, c.maxConn());
        assertEquals(100, c.beamWidth());
        assertEquals(StoreConfig.Encoding.FLOAT32, c.encoding());
        assertEquals(4096, c.maxDimensions());
    }

    @Test
    void rejectsOutOfRangeParameters() {
        StoreConfig c = StoreConfig.defaults(StoreConfig.Similarity.COSINE);
        assertThrows(IllegalArgumentException.class, () -> c.withHnsw(0, 100));
        assertThrows(IllegalArgumentException.class, () -> c.withHnsw(513, 100));
        assertThrows(IllegalArgumentException.class, () -> c.withHnsw(16, 3201));
        assertThrows(IllegalArgumentException.class, () -> c.withMaxDimensions(0));
        assertThrows(IllegalArgumentException.class, () -> new StoreConfig(null, StoreConfig.Encoding.INT8, 16, 100, true, 10));
        assertThrows(IllegalArgumentException.class, () -> StoreConfig.Similarity.parse("euclidean"));
        assertEquals(StoreConfig.Encoding.INT8, StoreConfig.Encoding.parse("int8"));
    }

    @Test
    void dotProductRejectsNonUnitVectorsAndCosineRejectsZero() {
        var dot = StoreConfig.Similarity.DOT_PRODUCT;
        dot.check("v", new float[] {0.6f, 0.8f}); // 0.36 + 0.64 = 1
        var e = assertThrows(IllegalArgumentException.class, () -> dot.check("v", new float[] {1.2f, 1.6f})); // norm 2
        assertTrue(e.getMessage().contains("not unit length (norm 2.0)"), e.getMessage());
        StoreConfig.Similarity.COSINE.check("v", new float[] {3, 4});
        assertThrows(IllegalArgumentException.class, () -> StoreConfig.Similarity.COSINE.check("v", new float[] {0, 0}));
        assertThrows(IllegalArgumentException.class, () -> StoreConfig.Similarity.COSINE.check("v", new float[] {Float.NaN, 1}));
    }

    @Test
    void luceneScoreIsOnePlusSimilarityOverTwo() {
        // cos((1,0),(0.6,0.8)) = 0.6 by hand; Lucene's COSINE score = (1 + 0.6) / 2 = 0.8.
        float[] q = {1, 0}, v = {0.6f, 0.8f};
        assertEquals(0.6f, StoreConfig.Similarity.COSINE.raw(q, v), 1e-6);
        assertEquals(0.8f, StoreConfig.Similarity.luceneScore(0.6f), 1e-6);
        assertEquals(0.8f, StoreConfig.Similarity.COSINE.luceneFunction().compare(q, v), 1e-6);
        assertEquals(0.8f, StoreConfig.Similarity.DOT_PRODUCT.luceneFunction().compare(q, v), 1e-6);
        assertEquals(0.6f, StoreConfig.Similarity.rawFromLuceneScore(0.8f), 1e-6);
    }
}
