package org.verbo.prep.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aparapi.internal.kernel.KernelManager;
import com.aparapi.internal.model.ClassModel;
import com.aparapi.internal.writer.KernelWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Parity of the Aparapi kernel ({@link MinHasher#signatures}) with the plain-Java reference ({@link
 * MinHasher#signature(int[])}): exact int equality, tolerance zero.
 */
class MinHashKernelParityTest {

  private static final Set<String> MODES = Set.of("GPU", "CPU", "ACC", "JTP");

  /** Random shingle arrays: empty, single-shingle, extreme values, and 1..400 random hashes. */
  static List<int[]> randomDocs(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<int[]> docs = new ArrayList<>();
    docs.add(new int[0]);
    docs.add(new int[] {12345});
    docs.add(new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE});
    while (docs.size() < n) {
      int kind = rnd.nextInt(10);
      int len = kind == 0 ? 0 : kind == 1 ? 1 : 1 + rnd.nextInt(400);
      int[] s = new int[len];
      for (int i = 0; i < len; i++) {
        s[i] = rnd.nextInt();
      }
      docs.add(s);
    }
    return docs;
  }

  /** Aparapi's own record of the device that last ran a MinHashKernel (independent of MinHasher). */
  static String lastProfiledDevice() {
    return KernelManager.instance().getProfile(MinHashKernel.class).getLastDeviceProfile().toString();
  }

  private static void assertParity(MinHasher mh, List<int[]> docs, int[][] sigs) {
    assertEquals(docs.size(), sigs.length);
    for (int d = 0; d < docs.size(); d++) {
      assertArrayEquals(mh.signature(docs.get(d)), sigs[d], "document " + d);
    }
  }

  @Test
  void kernelMatchesReferenceOnALargeBatch() {
    List<int[]> docs = randomDocs(300, 1L);
    try (MinHasher mh = MinHasher.onAparapi(MinHashConfig.defaults())) {
      assertEquals("NONE", mh.executionMode());
      int[][] sigs = mh.signatures(docs);
      assertParity(mh, docs, sigs);
      assertTrue(MODES.contains(mh.executionMode()), mh.executionMode());
      String device = mh.executionDevice(); // e.g. "JTP (Java Thread Pool)"
      String shortDescription = device.substring(device.indexOf('(') + 1, device.length() - 1);
      assertTrue(lastProfiledDevice().contains(shortDescription), lastProfiledDevice() + " vs " + device);
      if (AparapiRuntime.OPENCL_DEVICES == 0) {
        assertEquals("JTP", mh.executionMode()); // the explicit Java-thread-pool fallback ran
      }
      // Empty document: MAX_VALUE everywhere (documented; the Spark job skips such documents).
      int[] allMax = new int[112];
      Arrays.fill(allMax, Integer.MAX_VALUE);
      assertArrayEquals(allMax, sigs[0]);
      // A one-shingle document: every position is h_i of that shingle, so values differ by position.
      assertTrue(Arrays.stream(sigs[1]).distinct().count() > 100);
    }
  }

  @Test
  void kernelMatchesReferenceOneDocumentPerBatch() {
    List<int[]> docs = randomDocs(40, 2L);
    try (MinHasher mh = MinHasher.onAparapi(new MinHashConfig(5, 9, 7, 0.8, 7L))) {
      for (int[] doc : docs) {
        int[][] sigs = mh.signatures(List.of(doc));
        assertEquals(1, sigs.length);
        assertEquals(63, sigs[0].length);
        assertArrayEquals(mh.signature(doc), sigs[0]);
      }
      assertTrue(MODES.contains(mh.executionMode()), mh.executionMode());
    }
  }

  @Test
  void kernelMatchesReferenceOnRealTexts() {
    PlantedDuplicates.Corpus corpus =
        PlantedDuplicates.generate(30, 200, new double[] {0.05, 0.2}, 3L);
    try (MinHasher mh = MinHasher.onAparapi(MinHashConfig.defaults())) {
      List<int[]> docs = new ArrayList<>();
      for (PlantedDuplicates.Doc d : corpus.docs()) {
        docs.add(mh.shingles(d.text()));
      }
      assertParity(mh, docs, mh.signatures(docs));
    }
  }

  @Test
  void largeBatchesAreSplitIntoSeveralLaunches() {
    List<int[]> docs = randomDocs(250, 3L);
    try (MinHasher mh = new MinHasher(MinHashConfig.defaults(), 64, 5_000)) {
      int[][] sigs = mh.signatures(docs);
      assertParity(mh, docs, sigs);
      assertTrue(mh.launches() >= 5, "launches: " + mh.launches());
    }
    assertEquals(0, MinHasher.onAparapi(MinHashConfig.defaults()).signatures(List.of()).length);
  }

  @Test
  void pooledKernelsAreReusedAcrossConfigsAndInstances() {
    List<int[]> docs = randomDocs(80, 4L);
    MinHasher a = MinHasher.onAparapi(new MinHashConfig(5, 14, 8, 0.8, 1L));
    MinHasher b = MinHasher.onAparapi(new MinHashConfig(5, 10, 5, 0.8, 2L));
    for (int round = 0; round < 3; round++) {
      assertParity(a, docs, a.signatures(docs));
      assertParity(b, docs, b.signatures(docs));
      a.close(); // the kernel goes back to the pool; the next batch of b or a may pick it up
      assertParity(b, docs, b.signatures(docs));
      b.close();
    }
    a.close(); // idempotent
  }

  @Test
  void kernelTranslatesToOpenClWithoutUnsignedOrRemainderOps() throws Exception {
    AparapiRuntime.ensureStarted();
    MinHashKernel kernel = new MinHashKernel();
    String openCl =
        KernelWriter.writeToString(
            ClassModel.createClassModel(MinHashKernel.class).getEntrypoint("run", kernel));
    kernel.dispose();
    assertTrue(openCl.contains("__kernel void run("), openCl);
    assertTrue(openCl.contains(">> 32"), openCl);
    assertFalse(openCl.contains("unsigned"), openCl);
    assertFalse(openCl.contains("%"), openCl);
  }
}
