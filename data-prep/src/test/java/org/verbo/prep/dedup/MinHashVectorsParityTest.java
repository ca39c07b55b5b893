package org.verbo.prep.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Parity of the calling-thread twin ({@link MinHasher#onThread}, the Vector API loop of {@link MinHashVectors}
 * where the JVM has the module, as the surefire line gives it) with the plain-Java reference {@link
 * MinHasher#signature(int[])}: exact int equality, tolerance zero.
 */
class MinHashVectorsParityTest {

  /**
   * Permutation counts around the vector width: fewer than one vector, exactly one or two, the two-block pass
   * with and without a one-block remainder, and scalar tails of 1 to 7 permutations.
   */
  @ParameterizedTest
  @CsvSource({"1, 1", "1, 7", "1, 8", "2, 8", "3, 8", "9, 7", "14, 8", "5, 5", "20, 13"})
  void threadTwinMatchesReference(int bands, int rows) {
    List<int[]> docs = MinHashKernelParityTest.randomDocs(200, 31L * bands + rows);
    try (MinHasher mh = MinHasher.onThread(new MinHashConfig(5, bands, rows, 0.8, 17L + bands))) {
      int[][] sigs = mh.signatures(docs);
      assertEquals(docs.size(), sigs.length);
      for (int d = 0; d < docs.size(); d++) {
        assertEquals(bands * rows, sigs[d].length);
        assertArrayEquals(mh.signature(docs.get(d)), sigs[d], "document " + d);
      }
      assertEquals(MinHasher.SIMD ? "SIMD" : "JAVA", mh.executionMode());
    }
  }

  @Test
  void threadTwinMatchesReferenceOnRealTexts() {
    PlantedDuplicates.Corpus corpus = PlantedDuplicates.generate(30, 200, new double[] {0.05, 0.2}, 5L);
    try (MinHasher mh = MinHasher.onThread(MinHashConfig.defaults())) {
      List<int[]> docs = new ArrayList<>();
      for (PlantedDuplicates.Doc d : corpus.docs()) {
        docs.add(mh.shingles(d.text()));
      }
      int[][] sigs = mh.signatures(docs);
      for (int d = 0; d < docs.size(); d++) {
        assertArrayEquals(mh.signature(docs.get(d)), sigs[d], "document " + d);
      }
    }
  }

  /**
   * Values computed here independently: for shingle {@code x} and permutation {@code i}'s {@code a, b}, the high
   * word of {@code a * x + b} mod 2^64, by 32-bit limbs; the minimum over the shingles in the signed int order.
   */
  @Test
  void extremeShinglesGiveTheHandComputedHighWords() {
    int[] shingles = {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE};
    try (MinHasher mh = MinHasher.onThread(new MinHashConfig(5, 3, 8, 0.8, 99L))) {
      int[] sig = mh.signatures(List.of(shingles))[0];
      java.util.SplittableRandom rnd = new java.util.SplittableRandom(99L);
      for (int i = 0; i < 24; i++) {
        long a = rnd.nextLong();
        long b = rnd.nextLong();
        int min = Integer.MAX_VALUE;
        for (int x : shingles) {
          min = Math.min(min, highWord(a, Integer.toUnsignedLong(x), b));
        }
        assertEquals(min, sig[i], "permutation " + i);
      }
    }
  }

  @Test
  void emptyDocumentsGetMaxValueEverywhere() {
    try (MinHasher mh = MinHasher.onThread(MinHashConfig.defaults())) {
      int[] sig = mh.signatures(List.of(new int[0]))[0];
      int[] allMax = new int[112];
      Arrays.fill(allMax, Integer.MAX_VALUE);
      assertArrayEquals(allMax, sig);
      assertTrue(mh.signatures(List.of()).length == 0);
    }
  }

  /** The high 32 bits of {@code a * u + b} mod 2^64, computed by 32-bit limbs (independent of the code under test). */
  private static int highWord(long a, long u, long b) {
    long aLo = a & 0xFFFFFFFFL;
    long aHi = a >>> 32;
    long lo = aLo * u; // < 2^64 as an unsigned product: u, aLo < 2^32
    long mid = aHi * u; // only its low 32 bits reach the high word mod 2^64
    long loHigh = lo >>> 32;
    long loLow = lo & 0xFFFFFFFFL;
    long sumLow = loLow + (b & 0xFFFFFFFFL);
    long carry = sumLow >>> 32;
    long high = (loHigh + (mid & 0xFFFFFFFFL) + (b >>> 32) + carry) & 0xFFFFFFFFL;
    return (int) high;
  }
}
