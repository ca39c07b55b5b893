package org.verbo.embeddings.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExactSearchTest {

    // Unit vectors in 2-D with hand-computed cosines against q = (1, 0): a 1, b 0.6, c 0, d -1.
    private static final List<VectorRow> ROWS = List.of(
            new VectorRow("c", new float[] {0, 1}, "third"),
            new VectorRow("a", new float[] {1, 0}, "first\tline\nbreak"),
            new VectorRow("d", new float[] {-1, 0}, null),
            new VectorRow("b", new float[] {0.6f, 0.8f}, "second"));

    @Test
    void ranksByLuceneScoreWithRawSimilarity() {
        List<SearchHit> hits = ExactSearch.search(ROWS.iterator(), new float[] {1, 0}, 3, StoreConfig.Similarity.DOT_PRODUCT);
        assertEquals(List.of("a", "b", "c"), hits.stream().map(SearchHit::id).toList());
        assertEquals(1.0f, hits.get(0).score(), 1e-6);
        assertEquals(0.8f, hits.get(1).score(), 1e-6);
        assertEquals(0.6f, hits.get(1).similarity(), 1e-6);
        assertEquals(0.5f, hits.get(2).score(), 1e-6);
        assertEquals(List.of(1, 2, 3), hits.stream().map(SearchHit::rank).toList());
        assertEquals("first line break", hits.get(0).snippet());
        assertEquals("1\ta\t1.000000\tfirst line break", hits.get(0).toTsv());
    }

    @Test
    void severalQueriesInOnePassAndTiesByIdAndNullText() {
        // q2 = (0, -1): cos a 0, b -0.8, c -1, d 0 -> a and d tie at 0.5; the smaller id comes first.
        List<List<SearchHit>> hits = ExactSearch.search(ROWS.iterator(), new float[][] {{1, 0}, {0, -1}}, 2,
                StoreConfig.Similarity.COSINE);
        assertEquals(List.of("a", "b"), hits.get(0).stream().map(SearchHit::id).toList());
        assertEquals(List.of("a", "d"), hits.get(1).stream().map(SearchHit::id).toList());
        assertEquals("", hits.get(1).get(1).snippet());
    }

    @Test
    void rejectsRowsOfAnotherDimension() {
        var rows = List.of(new VectorRow("x", new float[] {1, 0, 0}, null)).iterator();
        var e = assertThrows(IllegalArgumentException.class,
                () -> ExactSearch.search(rows, new float[] {1, 0}, 1, StoreConfig.Similarity.COSINE));
        assertEquals("row 'x' has 3 dimensions, the query has 2", e.getMessage());
    }
}
