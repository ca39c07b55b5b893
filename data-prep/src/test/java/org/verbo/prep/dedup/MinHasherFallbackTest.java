package org.verbo.prep.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The explicit fallback to Aparapi's Java thread pool, and concurrent use from several threads. */
class MinHasherFallbackTest {

  @AfterEach
  void forgetFallback() {
    MinHasher.resetDeviceChoice();
  }

  @Test
  void aThrowingPreferredDeviceFallsBackToJtp() {
    List<int[]> docs = MinHashKernelParityTest.randomDocs(50, 21L);
    try (MinHasher mh = MinHasher.onAparapi(MinHashConfig.defaults())) {
      mh.failNextPreferredLaunch = true;
      int[][] sigs = mh.signatures(docs);
      assertEquals("JTP", mh.executionMode());
      assertTrue(MinHashKernelParityTest.lastProfiledDevice().contains("Java Thread Pool"));
      for (int d = 0; d < docs.size(); d++) {
        assertArrayEquals(mh.signature(docs.get(d)), sigs[d]);
      }
      // Sticky for the JVM: the next instance goes straight to JTP.
      try (MinHasher next = MinHasher.onAparapi(MinHashConfig.defaults())) {
        next.signatures(docs.subList(0, 3));
        assertEquals("JTP", next.executionMode());
      }
    }
  }

  @Test
  void aWrongResultIsCaughtBySpotCheck() {
    List<int[]> docs = MinHashKernelParityTest.randomDocs(30, 22L);
    try (MinHasher mh = MinHasher.onAparapi(MinHashConfig.defaults())) {
      mh.signatures(docs.subList(0, 2)); // learn the preferred device
      mh.corruptNextPreferredLaunch = true;
      if (mh.executionMode().equals("JTP")) {
        // Nothing left to fall back to: a wrong JTP result is a bug and must not pass silently.
        assertThrows(IllegalStateException.class, () -> mh.signatures(docs));
      } else {
        int[][] sigs = mh.signatures(docs); // recomputed on JTP
        assertEquals("JTP", mh.executionMode());
        assertTrue(MinHashKernelParityTest.lastProfiledDevice().contains("Java Thread Pool"));
        for (int d = 0; d < docs.size(); d++) {
          assertArrayEquals(mh.signature(docs.get(d)), sigs[d]);
        }
      }
    }
  }

  @Test
  void concurrentHashersAgreeWithTheReference() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        final long seed = 30L + t;
        results.add(
            pool.submit(
                () -> {
                  List<int[]> docs = MinHashKernelParityTest.randomDocs(60, seed);
                  boolean ok = true;
                  for (int round = 0; round < 3; round++) {
                    try (MinHasher mh = MinHasher.onAparapi(new MinHashConfig(5, 14, 8, 0.8, seed))) {
                      int[][] sigs = mh.signatures(docs);
                      for (int d = 0; d < docs.size(); d++) {
                        ok &= java.util.Arrays.equals(mh.signature(docs.get(d)), sigs[d]);
                      }
                    }
                  }
                  return ok;
                }));
      }
      for (Future<Boolean> f : results) {
        assertEquals(Boolean.TRUE, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
