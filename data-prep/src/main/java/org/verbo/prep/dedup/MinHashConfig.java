package org.verbo.prep.dedup;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * Hyper-parameters of MinHash near-duplicate detection with LSH banding.
 *
 * <p>A document is shingled into word {@code ngram}s ({@link Shingler}), summarised by
 * {@code bands * rows} MinHash values ({@link MinHasher}), and every band of {@code rows} values
 * becomes one bucket key ({@link LshBanding}). Two documents with Jaccard similarity {@code j}
 * share at least one bucket with probability {@code 1 - (1 - j^rows)^bands}; the S-curve's
 * midpoint sits near {@code (1/bands)^(1/rows)} (Leskovec, Rajaraman, Ullman, <i>Mining of
 * Massive Datasets</i>, ch. 3.4). Candidate pairs are then kept when their similarity reaches
 * {@code threshold}.
 *
 * <p>Defaults (5-grams, 14 bands x 8 rows = 112 permutations, threshold 0.8, seed 42) follow the
 * GigaVerbo / FineWeb-style setting: pairs at J = 0.85 become candidates with p ≈ 0.988, pairs at
 * J = 0.5 with p ≈ 0.053.
 *
 * @param ngram     words per shingle, at least 1
 * @param bands     number of LSH bands, at least 1
 * @param rows      MinHash values per band, at least 1
 * @param threshold Jaccard similarity at or above which a candidate pair counts as a duplicate, in (0, 1]
 * @param seed      seed from which the hash-function parameters are derived
 */
public record MinHashConfig(int ngram, int bands, int rows, double threshold, long seed) {

  /**
   * Upper bound on {@code bands * rows}: keeps {@code docs * permutations} work items and the
   * signature arrays well inside {@code int} range. Real settings use 64–512.
   */
  public static final int MAX_PERMUTATIONS = 1 << 14;

  public MinHashConfig {
    if (ngram < 1) {
      throw new IllegalArgumentException("minhash ngram must be >= 1, got " + ngram);
    }
    if (bands < 1) {
      throw new IllegalArgumentException("minhash bands must be >= 1, got " + bands);
    }
    if (rows < 1) {
      throw new IllegalArgumentException("minhash rows must be >= 1, got " + rows);
    }
    if ((long) bands * rows > MAX_PERMUTATIONS) {
      throw new IllegalArgumentException(
          "minhash bands * rows must be <= " + MAX_PERMUTATIONS + ", got " + bands + " * " + rows);
    }
    // NaN fails both comparisons' negation, so it is rejected too.
    if (!(threshold > 0.0 && threshold <= 1.0)) {
      throw new IllegalArgumentException("minhash threshold must be in (0, 1], got " + threshold);
    }
  }

  /** 5-word shingles, 14 bands of 8 rows (112 permutations), threshold 0.8, seed 42. */
  public static MinHashConfig defaults() {
    return new MinHashConfig(5, 14, 8, 0.8, 42L);
  }

  /** Number of MinHash values per document: {@code bands * rows}. */
  public int numPermutations() {
    return bands * rows;
  }

  /** Probability that a pair with Jaccard {@code jaccard} shares at least one band bucket. */
  public double candidateProbability(double jaccard) {
    return LshBanding.candidateProbability(jaccard, bands, rows);
  }

  /**
   * Reads the keys {@code ngram}, {@code bands}, {@code rows}, {@code threshold}, {@code seed} from
   * a Typesafe config block (e.g. {@code conf.getConfig("dedup.minhash")}); a missing key takes its
   * {@link #defaults()} value, other keys in the block are ignored. A value of the wrong type or out
   * of range fails with an {@link IllegalArgumentException} naming the key.
   */
  public static MinHashConfig from(Config c) {
    MinHashConfig d = defaults();
    return new MinHashConfig(
        c.hasPath("ngram") ? readInt(c, "ngram") : d.ngram(),
        c.hasPath("bands") ? readInt(c, "bands") : d.bands(),
        c.hasPath("rows") ? readInt(c, "rows") : d.rows(),
        c.hasPath("threshold") ? readDouble(c, "threshold") : d.threshold(),
        c.hasPath("seed") ? readLong(c, "seed") : d.seed());
  }

  private static int readInt(Config c, String key) {
    try {
      return c.getInt(key);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("minhash " + key + ": " + e.getMessage(), e);
    }
  }

  private static long readLong(Config c, String key) {
    try {
      return c.getLong(key);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("minhash " + key + ": " + e.getMessage(), e);
    }
  }

  private static double readDouble(Config c, String key) {
    try {
      return c.getDouble(key);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("minhash " + key + ": " + e.getMessage(), e);
    }
  }
}
