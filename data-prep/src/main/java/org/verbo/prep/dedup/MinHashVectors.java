package org.verbo.prep.dedup;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * MinHash signatures with the JDK Vector API on the calling thread: the same hash family and the same bits as
 * {@link MinHasher#signature(int[])} (integer arithmetic only, so there is nothing to round differently).
 *
 * <p>Why by hand: HotSpot does not auto-vectorise the reference loop (the minimum is a compare and a branch, and
 * the high word is a narrowing cast), and Aparapi's Java thread pool runs one work-item at a time, which on a
 * Spark executor whose tasks already fill the cores cost about 1.5x the CPU of the plain loop on one thread
 * (docs/BENCHMARKS.md). Here one vector holds {@code L} permutations ({@code L} = 8 longs with AVX-512): per
 * shingle {@code u} and block of {@code L} permutations, {@code h = (a * u + b) >> 32} is one 64-bit multiply, add
 * and arithmetic shift per lane, and the minimum one lane-wise {@code min}. The shifted value is the sign-extended
 * high word, so the minimum over longs is the minimum over the reference's {@code int}s. Permutations past the last
 * whole vector take the reference loop.
 *
 * <p>Loaded only when the module {@code jdk.incubator.vector} is in the JVM ({@link MinHasher} checks); the JVM
 * option {@code --add-modules=jdk.incubator.vector} is what {@code scripts/verbo} and {@code scripts/submit.sh}
 * pass.
 */
final class MinHashVectors {

  private static final VectorSpecies<Long> S = LongVector.SPECIES_PREFERRED;

  private MinHashVectors() {}

  /** Lanes of one vector: the permutations one multiply covers. */
  static int lanes() {
    return S.length();
  }

  /**
   * Writes the signature of {@code shingles} under {@code a}, {@code b} into {@code sig} ({@code [a.length]}), all
   * {@link Integer#MAX_VALUE} when there is no shingle.
   */
  static void signature(int[] shingles, long[] a, long[] b, int[] sig) {
    int p = a.length;
    int whole = S.loopBound(p);
    int lanes = S.length();
    long[] lane = new long[lanes];
    // Two blocks of permutations per pass over the shingles: one broadcast serves both, and the two minimum chains
    // are independent.
    int j = 0;
    for (; j + 2 * lanes <= whole; j += 2 * lanes) {
      LongVector a0 = LongVector.fromArray(S, a, j);
      LongVector b0 = LongVector.fromArray(S, b, j);
      LongVector a1 = LongVector.fromArray(S, a, j + lanes);
      LongVector b1 = LongVector.fromArray(S, b, j + lanes);
      LongVector m0 = LongVector.broadcast(S, Integer.MAX_VALUE);
      LongVector m1 = m0;
      for (int x : shingles) {
        LongVector u = LongVector.broadcast(S, x & 0xFFFFFFFFL); // [L] the 32-bit shingle as an unsigned key
        m0 = m0.min(a0.mul(u).add(b0).lanewise(VectorOperators.ASHR, 32));
        m1 = m1.min(a1.mul(u).add(b1).lanewise(VectorOperators.ASHR, 32));
      }
      store(m0, lane, sig, j);
      store(m1, lane, sig, j + lanes);
    }
    for (; j < whole; j += lanes) {
      LongVector a0 = LongVector.fromArray(S, a, j);
      LongVector b0 = LongVector.fromArray(S, b, j);
      LongVector m0 = LongVector.broadcast(S, Integer.MAX_VALUE);
      for (int x : shingles) {
        LongVector u = LongVector.broadcast(S, x & 0xFFFFFFFFL);
        m0 = m0.min(a0.mul(u).add(b0).lanewise(VectorOperators.ASHR, 32));
      }
      store(m0, lane, sig, j);
    }
    for (int i = whole; i < p; i++) { // the permutations past the last whole vector, with the reference's function
      int min = Integer.MAX_VALUE;
      for (int x : shingles) {
        min = Math.min(min, MinHasher.hash(a[i], b[i], x));
      }
      sig[i] = min;
    }
  }

  /** The lanes of {@code m} (sign-extended ints) into {@code sig[from ..]}. */
  private static void store(LongVector m, long[] lane, int[] sig, int from) {
    m.intoArray(lane, 0);
    for (int k = 0; k < lane.length; k++) {
      sig[from + k] = (int) lane[k];
    }
  }
}
