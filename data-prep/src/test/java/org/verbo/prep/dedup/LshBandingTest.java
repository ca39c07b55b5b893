package org.verbo.prep.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LshBandingTest {

  private static int[] randomSignature(SplittableRandom rnd, int length) {
    return rnd.ints(length).toArray();
  }

  @Test
  void identicalBandsGiveIdenticalKeys() {
    SplittableRandom rnd = new SplittableRandom(5);
    int[] a = randomSignature(rnd, 112);
    int[] b = a.clone();
    b[3 * 8 + 2] ^= 1; // band 3 differs in one row
    long[] ka = LshBanding.bandKeys(a, 14, 8);
    long[] kb = LshBanding.bandKeys(b, 14, 8);
    assertEquals(14, ka.length);
    assertArrayEquals(ka, LshBanding.bandKeys(a.clone(), 14, 8));
    for (int band = 0; band < 14; band++) {
      if (band == 3) {
        assertNotEquals(ka[band], kb[band]);
      } else {
        assertEquals(ka[band], kb[band], "band " + band);
      }
    }
  }

  @Test
  void sameValuesInADifferentBandGiveADifferentKey() {
    int[] sig = new int[4 * 3];
    for (int band = 0; band < 4; band++) {
      sig[band * 3] = 7;
      sig[band * 3 + 1] = -1;
      sig[band * 3 + 2] = Integer.MAX_VALUE;
    }
    long[] keys = LshBanding.bandKeys(sig, 4, 3);
    Set<Long> distinct = new HashSet<>();
    for (long k : keys) {
      distinct.add(k);
    }
    assertEquals(4, distinct.size());
    // All-MAX_VALUE signatures (empty documents) collide band for band: why the job skips them.
    int[] empty = new int[12];
    java.util.Arrays.fill(empty, Integer.MAX_VALUE);
    assertArrayEquals(LshBanding.bandKeys(empty, 4, 3), LshBanding.bandKeys(empty.clone(), 4, 3));
  }

  @Test
  void unequalBandsDoNotCollideInPractice() {
    SplittableRandom rnd = new SplittableRandom(6);
    Set<Long> keys = new HashSet<>();
    int n = 0;
    for (int doc = 0; doc < 2000; doc++) {
      int[] sig = randomSignature(rnd, 112);
      sig[0] = doc & 1; // low-entropy rows too
      for (long k : LshBanding.bandKeys(sig, 14, 8)) {
        keys.add(k);
        n++;
      }
    }
    assertEquals(n, keys.size());
  }

  @Test
  void mismatchedShapeIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> LshBanding.bandKeys(new int[111], 14, 8));
    assertThrows(IllegalArgumentException.class, () -> LshBanding.bandKeys(new int[0], 0, 8));
    assertEquals(
        14, LshBanding.bandKeys(new int[112], MinHashConfig.defaults()).length);
  }

  @Test
  void estimatedJaccardIsTheFractionOfEqualPositions() {
    assertEquals(0.75, LshBanding.estimatedJaccard(new int[] {1, 2, 3, 4}, new int[] {1, 2, 0, 4}));
    assertEquals(0.0, LshBanding.estimatedJaccard(new int[] {1}, new int[] {2}));
    assertThrows(IllegalArgumentException.class, () -> LshBanding.estimatedJaccard(new int[2], new int[3]));
  }
}
