package org.verbo.prep.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** MinHash estimates against exact Jaccard; the LSH candidate probability against hand values. */
class MinHashQualityTest {

  private static final int PERMS = 112;

  /**
   * Two sets with union {@code union} and intersection {@code round(j * union)}, elements distinct
   * random ints: exact Jaccard known by construction.
   */
  private static int[][] pairWithJaccard(double j, int union, SplittableRandom rnd) {
    int inter = (int) Math.round(j * union);
    int onlyA = (union - inter) / 2;
    int onlyB = union - inter - onlyA;
    int[] pool = rnd.ints().distinct().limit(union).toArray();
    int[] a = IntStream.concat(Arrays.stream(pool, 0, inter), Arrays.stream(pool, inter, inter + onlyA)).sorted().toArray();
    int[] b = IntStream.concat(Arrays.stream(pool, 0, inter), Arrays.stream(pool, inter + onlyA, union)).sorted().toArray();
    return new int[][] {a, b};
  }

  @Test
  void estimatesAreWithinFourSigmaOfExactJaccard() {
    SplittableRandom rnd = new SplittableRandom(2024);
    int pairsPerJ = 30;
    try (MinHasher mh = new MinHasher(MinHashConfig.defaults())) {
      assertEquals(PERMS, mh.numPermutations());
      for (double j : new double[] {0.2, 0.5, 0.8, 0.9}) {
        List<int[]> batch = new ArrayList<>();
        for (int p = 0; p < pairsPerJ; p++) {
          int[][] pair = pairWithJaccard(j, 1000, rnd);
          assertEquals(j, Shingler.jaccard(pair[0], pair[1]), 1e-12);
          batch.add(pair[0]);
          batch.add(pair[1]);
        }
        int[][] sigs = mh.signatures(batch);
        double sigma = Math.sqrt(j * (1 - j) / PERMS);
        double sum = 0;
        for (int p = 0; p < pairsPerJ; p++) {
          double est = LshBanding.estimatedJaccard(sigs[2 * p], sigs[2 * p + 1]);
          assertEquals(j, est, 4 * sigma, "pair " + p + " at J=" + j);
          sum += est;
        }
        // Unbiased: the mean of 30 independent estimates is within 4 standard errors.
        assertEquals(j, sum / pairsPerJ, 4 * sigma / Math.sqrt(pairsPerJ), "mean at J=" + j);
      }
    }
  }

  @Test
  void estimatesTrackExactJaccardOfPlantedTextPairs() {
    PlantedDuplicates.Corpus corpus =
        PlantedDuplicates.generate(20, 200, new double[] {0.01, 0.05, 0.15}, 11L);
    try (MinHasher mh = new MinHasher(MinHashConfig.defaults())) {
      Map<String, int[]> sig = new HashMap<>();
      List<int[]> shingles = new ArrayList<>();
      for (PlantedDuplicates.Doc d : corpus.docs()) {
        shingles.add(mh.shingles(d.text()));
      }
      int[][] sigs = mh.signatures(shingles);
      for (int i = 0; i < sigs.length; i++) {
        sig.put(corpus.docs().get(i).id(), sigs[i]);
      }
      for (PlantedDuplicates.Pair p : corpus.planted()) {
        double j = p.jaccard();
        double sigma = Math.sqrt(Math.max(j * (1 - j), 0.01) / PERMS);
        double est = LshBanding.estimatedJaccard(sig.get(p.a()), sig.get(p.b()));
        assertEquals(j, est, 4 * sigma, p.toString());
      }
      // Unrelated documents (different families) share no shingle, so they agree nowhere.
      double est =
          LshBanding.estimatedJaccard(
              sig.get(PlantedDuplicates.baseId(0)), sig.get(PlantedDuplicates.baseId(1)));
      assertEquals(0.0, est);
    }
  }

  @Test
  void candidateProbabilityMatchesHandValues() {
    // 1 - (1 - j^8)^14, evaluated independently (Python, double precision):
    assertEquals(0.9883656759977398, LshBanding.candidateProbability(0.85, 14, 8), 1e-12);
    assertEquals(0.053320415032723556, LshBanding.candidateProbability(0.5, 14, 8), 1e-12);
    assertEquals(0.9235475586325811, LshBanding.candidateProbability(0.8, 14, 8), 1e-12);
    assertEquals(3.583940362827942e-05, LshBanding.candidateProbability(0.2, 14, 8), 1e-15);
    assertEquals(0.0, LshBanding.candidateProbability(0.0, 14, 8));
    assertEquals(1.0, LshBanding.candidateProbability(1.0, 14, 8));
    assertEquals(0.3, LshBanding.candidateProbability(0.3, 1, 1), 1e-15);
    assertEquals(0.9883656759977398, MinHashConfig.defaults().candidateProbability(0.85), 1e-12);
    // (1/14)^(1/8)
    assertEquals(0.7190084519372291, LshBanding.approximateThreshold(14, 8), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> LshBanding.candidateProbability(1.5, 14, 8));
  }

  @Test
  void bandedCandidatesFollowTheSCurve() {
    // Empirical candidate rate of pairs at J = 0.85 and J = 0.5 over 400 pairs each, against the
    // formula (binomial 4-sigma band).
    SplittableRandom rnd = new SplittableRandom(99);
    try (MinHasher mh = new MinHasher(MinHashConfig.defaults())) {
      for (double j : new double[] {0.85, 0.5}) {
        List<int[]> batch = new ArrayList<>();
        int pairs = 400;
        for (int p = 0; p < pairs; p++) {
          int[][] pair = pairWithJaccard(j, 200, rnd);
          batch.add(pair[0]);
          batch.add(pair[1]);
        }
        int[][] sigs = mh.signatures(batch);
        int candidates = 0;
        for (int p = 0; p < pairs; p++) {
          long[] ka = LshBanding.bandKeys(sigs[2 * p], 14, 8);
          long[] kb = LshBanding.bandKeys(sigs[2 * p + 1], 14, 8);
          boolean shared = false;
          for (int band = 0; band < 14; band++) {
            shared |= ka[band] == kb[band];
          }
          candidates += shared ? 1 : 0;
        }
        double expected = LshBanding.candidateProbability(j, 14, 8);
        double sd = Math.sqrt(expected * (1 - expected) / pairs);
        double rate = (double) candidates / pairs;
        assertTrue(Math.abs(rate - expected) <= 4 * sd + 1e-9, "J=" + j + " rate=" + rate + " expected=" + expected);
      }
    }
  }
}
