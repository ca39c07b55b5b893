package org.verbo.embeddings.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorIndexWriterTest {

    @TempDir
    Path tmp;

    @Test
    void wrongDimensionIsRejectedWithTheDocumentedError() throws IOException {
        try (VectorIndexWriter w = VectorIndexWriter.create(tmp.resolve("i"), StoreConfig.defaults(StoreConfig.Similarity.COSINE), 4)) {
            w.add("ok", new float[] {1, 2, 3, 4}, null);
            var e = assertThrows(IllegalArgumentException.class, () -> w.add("short", new float[] {1, 2, 3}, null));
            assertEquals("vector of id 'short' has 3 dimensions, the store has 4", e.getMessage());
            assertEquals(1, w.count());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> VectorIndexWriter.create(tmp.resolve("j"),
                StoreConfig.defaults(StoreConfig.Similarity.COSINE).withMaxDimensions(8), 9));
        assertTrue(e.getMessage().contains("dimension must be in 1..8"), e.getMessage());
    }

    @Test
    void dotProductRejectsNonUnitVectors() throws IOException {
        try (VectorIndexWriter w = VectorIndexWriter.create(tmp.resolve("i"), StoreConfig.defaults(StoreConfig.Similarity.DOT_PRODUCT), 2)) {
            w.add("unit", new float[] {0.6f, 0.8f}, null);
            var e = assertThrows(IllegalArgumentException.class, () -> w.add("long", new float[] {3, 4}, null));
            assertTrue(e.getMessage().startsWith("vector of id 'long' is not unit length (norm 5.0)"), e.getMessage());
        }
        try (VectorStore s = VectorStore.open(tmp.resolve("i"))) {
            assertEquals(1, s.count());
            assertThrows(IllegalArgumentException.class, () -> s.search(new float[] {3, 4}, 1));
        }
    }

    @Test
    void dimension1536IndexesMergesAndSearchesAsAPlainLuceneIndex() throws IOException {
        int dim = 1536, n = 120;
        float[][] v = TestVectors.unit(n, dim, 1536);
        // Lucene's own codec stops at 1024: this is what VectorStoreCodec lifts.
        try (IndexWriter plain = new IndexWriter(FSDirectory.open(tmp.resolve("plain")), new IndexWriterConfig())) {
            Document d = new Document();
            d.add(new KnnFloatVectorField("vector", v[0], VectorSimilarityFunction.COSINE));
            assertThrows(IllegalArgumentException.class, () -> plain.addDocument(d));
        }
        StoreConfig config = StoreConfig.defaults(StoreConfig.Similarity.COSINE).withEncoding(StoreConfig.Encoding.INT8);
        for (int p = 0; p < 2; p++) {
            try (VectorIndexWriter w = VectorIndexWriter.create(tmp.resolve("p" + p), config, dim)) {
                for (int i = p * n / 2; i < (p + 1) * n / 2; i++) w.add(TestVectors.id(i), v[i], null);
            }
        }
        VectorStores.merge(List.of(tmp.resolve("p0"), tmp.resolve("p1")), tmp.resolve("store"), config);
        try (VectorStore s = VectorStore.open(tmp.resolve("store"))) {
            assertEquals(dim, s.dimension());
            assertEquals(n, s.count());
            assertEquals(StoreConfig.Encoding.INT8, s.encoding());
            for (int i : new int[] {0, 61, 119}) assertEquals(TestVectors.id(i), s.search(v[i], 3).get(0).id());
        }
        // Standard codec name in the segments: any Lucene 9.12 reader opens the store without our classes.
        try (var dir = FSDirectory.open(tmp.resolve("store")); DirectoryReader r = DirectoryReader.open(dir)) {
            SegmentInfos infos = SegmentInfos.readLatestCommit(dir);
            assertEquals(1, infos.size());
            assertEquals("Lucene912", infos.info(0).info.getCodec().getName());
            assertEquals(n, r.numDocs());
        }
    }
}
