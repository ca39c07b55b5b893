package org.verbo.prep.dedup;

/**
 * Locality-sensitive hashing by banding (Leskovec, Rajaraman, Ullman, <i>Mining of Massive
 * Datasets</i>, ch. 3.4.1): a signature of {@code bands * rows} MinHash values is cut into {@code
 * bands} consecutive bands of {@code rows} values; two documents become a candidate pair when they
 * agree on every value of at least one band.
 */
public final class LshBanding {

  private LshBanding() {}

  /**
   * One 64-bit bucket key per band. Key {@code j} hashes the band index {@code j} and the band's
   * values {@code signature[j*rows .. (j+1)*rows)} with a chain of SplitMix64 finalisers (Steele,
   * Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014; constants from
   * Stafford's "Mix13"):
   *
   * <pre>
   *   k = mix64(j + GOLDEN);  for each value v of the band: k = mix64(k ^ (v &amp; 0xFFFFFFFFL));
   *   key_j = mix64(k + rows)
   * </pre>
   *
   * Every step is a bijection of {@code k}, so keys of different band indices always differ, and
   * bands that differ in exactly one value always differ; other unequal bands collide with
   * probability about 2^-64. Because the band index is inside the key, a single {@code long}
   * identifies a bucket (no separate band column is needed for grouping).
   *
   * @return {@code [bands]} keys
   * @throws IllegalArgumentException unless {@code signature.length == bands * rows}
   */
  public static long[] bandKeys(int[] signature, int bands, int rows) {
    if (bands < 1 || rows < 1) {
      throw new IllegalArgumentException("bands and rows must be >= 1, got " + bands + ", " + rows);
    }
    if ((long) bands * rows != signature.length) {
      throw new IllegalArgumentException(
          "signature has " + signature.length + " values but bands * rows = " + bands + " * " + rows);
    }
    long[] keys = new long[bands];
    for (int j = 0; j < bands; j++) {
      long k = mix64(j + GOLDEN);
      int base = j * rows;
      for (int r = 0; r < rows; r++) {
        k = mix64(k ^ (signature[base + r] & 0xFFFFFFFFL));
      }
      keys[j] = mix64(k + rows);
    }
    return keys;
  }

  /** {@link #bandKeys(int[], int, int)} with the bands and rows of {@code config}. */
  public static long[] bandKeys(int[] signature, MinHashConfig config) {
    return bandKeys(signature, config.bands(), config.rows());
  }

  /**
   * MinHash estimate of Jaccard similarity: the fraction of positions where the signatures agree.
   *
   * @throws IllegalArgumentException if the lengths differ or are zero
   */
  public static double estimatedJaccard(int[] sigA, int[] sigB) {
    if (sigA.length != sigB.length || sigA.length == 0) {
      throw new IllegalArgumentException(
          "signatures must have the same non-zero length, got " + sigA.length + " and " + sigB.length);
    }
    int equal = 0;
    for (int i = 0; i < sigA.length; i++) {
      if (sigA[i] == sigB[i]) {
        equal++;
      }
    }
    return (double) equal / sigA.length;
  }

  /**
   * Probability that two documents with Jaccard similarity {@code jaccard} share at least one band:
   * {@code 1 - (1 - jaccard^rows)^bands}.
   */
  public static double candidateProbability(double jaccard, int bands, int rows) {
    if (!(jaccard >= 0.0 && jaccard <= 1.0)) {
      throw new IllegalArgumentException("jaccard must be in [0, 1], got " + jaccard);
    }
    if (bands < 1 || rows < 1) {
      throw new IllegalArgumentException("bands and rows must be >= 1, got " + bands + ", " + rows);
    }
    // 1 - (1 - s)^b computed as -expm1(b * log1p(-s)) to keep precision when s is tiny.
    double s = Math.pow(jaccard, rows);
    if (s >= 1.0) {
      return 1.0;
    }
    return -Math.expm1(bands * Math.log1p(-s));
  }

  /** Jaccard value where the candidate S-curve is steepest, approximately {@code (1/bands)^(1/rows)}. */
  public static double approximateThreshold(int bands, int rows) {
    if (bands < 1 || rows < 1) {
      throw new IllegalArgumentException("bands and rows must be >= 1, got " + bands + ", " + rows);
    }
    return Math.pow(1.0 / bands, 1.0 / rows);
  }

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  /** SplitMix64 finaliser (Stafford Mix13): a bijection on 64-bit values with full avalanche. */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
