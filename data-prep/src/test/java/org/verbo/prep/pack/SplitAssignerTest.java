package org.verbo.prep.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SplitAssignerTest {

    @Test
    void roughlyTheRequestedFractionOn10kIds() {
        int val = 0;
        for (int i = 0; i < 10_000; i++) {
            if (SplitAssigner.isValidation("doc-" + i, 0.1, 42)) {
                val++;
            }
        }
        // Binomial(10000, 0.1): sd = 30, so ±150 is 5 sd.
        assertTrue(val > 850 && val < 1150, "validation docs: " + val);
    }

    @Test
    void deterministicMonotoneAndSeeded() {
        int moved = 0;
        for (int i = 0; i < 2000; i++) {
            String id = "doc-" + i;
            boolean small = SplitAssigner.isValidation(id, 0.05, 7);
            assertEquals(small, SplitAssigner.isValidation(id, 0.05, 7));
            if (small) {
                assertTrue(SplitAssigner.isValidation(id, 0.2, 7), "val at 5% stays val at 20%");
            }
            assertFalse(SplitAssigner.isValidation(id, 0.0, 7));
            assertTrue(SplitAssigner.isValidation(id, 1.0, 7));
            if (SplitAssigner.isValidation(id, 0.5, 7) != SplitAssigner.isValidation(id, 0.5, 8)) {
                moved++;
            }
        }
        assertTrue(moved > 800 && moved < 1200, "another seed reshuffles about half: " + moved);
    }

    /**
     * Pinned: the split of an existing corpus must not change between verbo versions. The values
     * come from an independent Python implementation of FNV-1a 64 + SplitMix64.
     */
    @Test
    void hashIsStable() {
        assertEquals(SplitAssigner.hash("doc-0", 42), SplitAssigner.hash("doc-0", 42));
        long[] pinned = {SplitAssigner.hash("", 0), SplitAssigner.hash("doc-0", 42), SplitAssigner.hash("ação", 1)};
        assertEquals(PINNED[0], pinned[0]);
        assertEquals(PINNED[1], pinned[1]);
        assertEquals(PINNED[2], pinned[2]);
        assertEquals(0.33562171396746565, SplitAssigner.unit("doc-0", 42), 1e-15);
    }

    static final long[] PINNED = {0x5b21f68ffa77f14cL, 0x55eb4dfd5156dea9L, 0xfb27ce1a96fb733eL};

    @Test
    void rejectsBadFractions() {
        assertThrows(IllegalArgumentException.class, () -> SplitAssigner.isValidation("x", -0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> SplitAssigner.isValidation("x", 1.5, 0));
        assertThrows(IllegalArgumentException.class, () -> SplitAssigner.isValidation("x", Double.NaN, 0));
    }
}
