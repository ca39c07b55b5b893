package org.verbo.prep.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
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
     * come from an independent Python implementation of FNV-1a 64 + SplitMix64, shipped beside the
     * test: {@code python3 src/test/resources/pack/split_assigner_golden.py} prints them.
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

    /**
     * A second independent derivation over many ids: the same definition in {@link BigInteger}
     * arithmetic reduced mod 2^64 (no reliance on Java's wrapping long multiplication).
     */
    @Test
    void hashEqualsTheDefinitionInBigIntegerArithmetic() {
        for (int i = 0; i < 500; i++) {
            String id = i % 3 == 0 ? "doc-" + i : i % 3 == 1 ? "ação/árvore-" + i + "🙂" : "x".repeat(i % 17);
            long seed = i * 0x9E3779B97F4A7C15L;
            assertEquals(referenceHash(id, seed), SplitAssigner.hash(id, seed), id + " / " + seed);
        }
    }

    private static final BigInteger MOD = BigInteger.ONE.shiftLeft(64);

    private static long referenceHash(String id, long seed) {
        BigInteger h = new BigInteger("cbf29ce484222325", 16).xor(referenceMix(unsigned(seed)));
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h = h.xor(BigInteger.valueOf(b & 0xFF)).multiply(new BigInteger("100000001b3", 16)).mod(MOD);
        }
        return referenceMix(h).longValue();
    }

    private static BigInteger referenceMix(BigInteger x) {
        BigInteger z = x.add(new BigInteger("9e3779b97f4a7c15", 16)).mod(MOD);
        z = z.xor(z.shiftRight(30)).multiply(new BigInteger("bf58476d1ce4e5b9", 16)).mod(MOD);
        z = z.xor(z.shiftRight(27)).multiply(new BigInteger("94d049bb133111eb", 16)).mod(MOD);
        return z.xor(z.shiftRight(31));
    }

    private static BigInteger unsigned(long v) {
        return BigInteger.valueOf(v).mod(MOD);
    }

    @Test
    void rejectsBadFractions() {
        assertThrows(IllegalArgumentException.class, () -> SplitAssigner.isValidation("x", -0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> SplitAssigner.isValidation("x", 1.5, 0));
        assertThrows(IllegalArgumentException.class, () -> SplitAssigner.isValidation("x", Double.NaN, 0));
    }
}
