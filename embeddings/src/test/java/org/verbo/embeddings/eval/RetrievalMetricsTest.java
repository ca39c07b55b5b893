package org.verbo.embeddings.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Golden values computed by hand (and checked with Python's math.log2), not by the code under test. */
class RetrievalMetricsTest {

    private static final List<String> RANKED = List.of("a", "x", "b", "y", "c");
    private static final Set<String> RELEVANT = Set.of("a", "b", "c", "d");

    @Test
    void recallCountsRelevantIdsInTheTopK() {
        assertEquals(0.75, RetrievalMetrics.recallAtK(RANKED, RELEVANT, 5), 1e-12); // a, b, c of 4
        assertEquals(0.25, RetrievalMetrics.recallAtK(RANKED, RELEVANT, 2), 1e-12); // a of 4
        assertEquals(0.75, RetrievalMetrics.recallAtK(RANKED, RELEVANT, 10), 1e-12); // ranking shorter than k
        assertEquals(0.0, RetrievalMetrics.recallAtK(List.of("x"), Set.of("a"), 10), 1e-12);
    }

    @Test
    void ndcgUsesLog2DiscountAndIdealFromTheRelevantCount() {
        // DCG@5 = 1/log2(2) + 1/log2(4) + 1/log2(6) = 1 + 0.5 + 0.386853 = 1.886853
        // IDCG@5 = 1 + 1/log2(3) + 1/log2(4) + 1/log2(5) = 2.561606 (4 relevant, all ranked first)
        assertEquals(0.7365896932, RetrievalMetrics.ndcgAtK(RANKED, RELEVANT, 5), 1e-9);
        // k = 2: DCG = 1, IDCG = 1 + 1/log2(3) = 1.630930
        assertEquals(0.6131471928, RetrievalMetrics.ndcgAtK(RANKED, RELEVANT, 2), 1e-9);
        // One relevant document at rank 3: 1/log2(4) = 0.5.
        assertEquals(0.5, RetrievalMetrics.ndcgAtK(List.of("x", "y", "a"), Set.of("a"), 10), 1e-12);
        assertEquals(1.0, RetrievalMetrics.ndcgAtK(List.of("a", "b"), Set.of("b", "a"), 10), 1e-12);
    }

    @Test
    void aRepeatedIdCountsOnce() {
        // [a, a, b], relevant {a, b}: DCG = 1 + 1/log2(4) = 1.5, IDCG = 1 + 1/log2(3) -> 0.919721
        assertEquals(0.9197207891, RetrievalMetrics.ndcgAtK(List.of("a", "a", "b"), Set.of("a", "b"), 3), 1e-9);
        assertEquals(1.0, RetrievalMetrics.recallAtK(List.of("a", "a", "b"), Set.of("a", "b"), 3), 1e-12);
    }

    @Test
    void rejectsNoRelevantIdsAndBadK() {
        assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.recallAtK(RANKED, Set.of(), 5));
        assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.ndcgAtK(RANKED, RELEVANT, 0));
    }
}
