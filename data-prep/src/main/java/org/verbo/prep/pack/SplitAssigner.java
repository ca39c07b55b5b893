package org.verbo.prep.pack;

import java.nio.charset.StandardCharsets;

/**
 * Assigns documents to the validation split by a hash of {@code (seed, docId)}: the same document
 * lands in the same split on every run, partition and machine, with no coordination, and a
 * document in validation at fraction f stays there at any larger fraction.
 *
 * <p>Hash: FNV-1a 64 over the UTF-8 bytes of the id, started from the seed mixed by SplitMix64,
 * finished by SplitMix64 (Steele et al. 2014) so that similar ids spread; the top 53 bits form a
 * uniform {@code u} in [0, 1) and the document is validation iff {@code u < valFraction}. Part of
 * the data format: changing it reshuffles existing splits ({@code SplitAssignerTest} pins values).
 */
public final class SplitAssigner {

    private static final long FNV_PRIME = 0x100000001b3L;
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;

    private SplitAssigner() {}

    /**
     * @throws IllegalArgumentException if {@code valFraction} is not in [0, 1] or docId is null
     */
    public static boolean isValidation(String docId, double valFraction, long seed) {
        if (!(valFraction >= 0.0 && valFraction <= 1.0)) {
            throw new IllegalArgumentException("valFraction must be in [0, 1], got " + valFraction);
        }
        if (docId == null) {
            throw new IllegalArgumentException("docId must not be null");
        }
        return unit(docId, seed) < valFraction;
    }

    /** The uniform value in [0, 1) that decides the split of {@code docId}. */
    public static double unit(String docId, long seed) {
        return (hash(docId, seed) >>> 11) * 0x1.0p-53;
    }

    /** The 64-bit hash of {@code (seed, docId)}. */
    public static long hash(String docId, long seed) {
        long h = FNV_OFFSET ^ splitMix64(seed);
        for (byte b : docId.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= FNV_PRIME;
        }
        return splitMix64(h);
    }

    static long splitMix64(long x) {
        long z = x + 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
