package org.verbo.prep.dedup;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Throughput of shingling and of the MinHash twins (reference loop, calling thread, Aparapi kernel) on ~200-word documents (not a test; run with
 * {@code java -cp <test classpath> org.verbo.prep.dedup.MinHashBench [docs] [seconds]}). Prints
 * documents per second; the numbers depend on the machine, so nothing is asserted.
 */
public final class MinHashBench {

  private MinHashBench() {}

  public static void main(String[] args) {
    int numDocs = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3.0;
    int families = Math.max(1, numDocs / 2);
    PlantedDuplicates.Corpus corpus =
        PlantedDuplicates.generate(families, 200, new double[] {0.05}, 1L);
    MinHashConfig config = MinHashConfig.defaults();
    List<int[]> shingles = new ArrayList<>();
    for (PlantedDuplicates.Doc d : corpus.docs()) {
      shingles.add(Shingler.shingles(d.text(), config.ngram()));
    }
    double shingleRate =
        rate(seconds, corpus.docs().size(), () -> {
          for (PlantedDuplicates.Doc d : corpus.docs()) {
            Shingler.shingles(d.text(), config.ngram());
          }
        });
    double meanShingles = shingles.stream().mapToInt(s -> s.length).average().orElse(0);
    System.out.printf(
        Locale.ROOT,
        "docs=%d mean shingles/doc=%.1f perms=%d cores=%d%n",
        shingles.size(), meanShingles, config.numPermutations(),
        Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "shingling (1 thread):      %,10.0f docs/s%n", shingleRate);
    double hashRate =
        rate(seconds, corpus.docs().size(), () -> {
          for (PlantedDuplicates.Doc d : corpus.docs()) {
            Shingler.ngramHashes(d.text(), config.ngram());
          }
        });
    System.out.printf(Locale.ROOT, "n-gram hashes, unsorted:   %,10.0f docs/s%n", hashRate);
    try (MinHasher mh = MinHasher.onAparapi(config); MinHasher thread = MinHasher.onThread(config)) {
      double ref = rate(seconds, shingles.size(), () -> mh.referenceSignatures(shingles));
      System.out.printf(Locale.ROOT, "reference (1 thread):      %,10.0f signatures/s%n", ref);
      double simd = rate(seconds, shingles.size(), () -> thread.signatures(shingles));
      System.out.printf(
          Locale.ROOT, "%s (1 thread):           %,10.0f signatures/s   [%s]%n",
          thread.executionMode(), simd, thread.executionDevice());
      double kernel = rate(seconds, shingles.size(), () -> mh.signatures(shingles));
      System.out.printf(
          Locale.ROOT, "kernel (%s, batch %d): %,10.0f signatures/s   [%s]%n",
          mh.executionMode(), shingles.size(), kernel, mh.executionDevice());
      List<int[]> small = shingles.subList(0, Math.min(256, shingles.size()));
      double kernelSmall = rate(seconds, small.size(), () -> mh.signatures(small));
      System.out.printf(
          Locale.ROOT, "kernel (%s, batch %d):  %,10.0f signatures/s%n",
          mh.executionMode(), small.size(), kernelSmall);
    }
  }

  private static double rate(double seconds, int docsPerRun, Runnable run) {
    run.run(); // warm-up (JIT, Aparapi start)
    run.run();
    long start = System.nanoTime();
    long runs = 0;
    while (System.nanoTime() - start < seconds * 1e9) {
      run.run();
      runs++;
    }
    return runs * docsPerRun / ((System.nanoTime() - start) / 1e9);
  }
}
