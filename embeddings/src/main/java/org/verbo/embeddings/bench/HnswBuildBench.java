package org.verbo.embeddings.bench;

import org.verbo.embeddings.store.StoreConfig;
import org.verbo.embeddings.store.VectorIndexWriter;
import org.verbo.models.nn.Kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The vector store's float32 HNSW build ({@link VectorIndexWriter}, as the driver of {@code verbo embed} builds the
 * store) with the graph scored by the Vector API scorer (the kernels on) and by Lucene's own scalar functions (the
 * kernels off, Lucene 9.12 on Java 17), alternating in one JVM, on the same seeded random unit vectors. Called by
 * {@code scripts/bench.sh hnsw}.
 * <p>
 * Usage: {@code HnswBuildBench [--n=20000] [--dim=256] [--rounds=3] [--similarity=cosine] [--seed=1]}
 */
public final class HnswBuildBench {
    private HnswBuildBench() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> o = BenchArgs.parse(List.of(args), List.of()).orElse(null);
        if (o == null) {
            System.err.println("usage: HnswBuildBench [--n=20000] [--dim=256] [--rounds=3] [--similarity=cosine] [--seed=1]");
            System.exit(2);
        }
        int n = Integer.parseInt(o.getOrDefault("n", "20000"));
        int dim = Integer.parseInt(o.getOrDefault("dim", "256"));
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "3"));
        StoreConfig config = StoreConfig.defaults(StoreConfig.Similarity.parse(o.getOrDefault("similarity", "cosine")));
        if (!Kernels.enabled()) {
            System.err.println("HnswBuildBench needs the Vector API kernels (--add-modules=jdk.incubator.vector)");
            System.exit(2);
        }
        Random rng = new Random(Long.parseLong(o.getOrDefault("seed", "1")));
        float[][] v = new float[n][dim];
        for (float[] x : v) {
            double sq = 0;
            for (int i = 0; i < dim; i++) {
                x[i] = (float) rng.nextGaussian();
                sq += x[i] * x[i];
            }
            for (int i = 0; i < dim; i++) {
                x[i] /= (float) Math.sqrt(sq);
            }
        }
        System.out.printf(Locale.ROOT, "HNSW build of %,d unit vectors of dimension %d, %s, M=%d beam=%d, one thread%n",
                n, dim, config.similarity().label(), config.maxConn(), config.beamWidth());
        for (int r = 1; r <= rounds; r++) {
            for (boolean vectorApi : new boolean[]{false, true}) {
                Kernels.setEnabled(vectorApi);   // the store's codec picks its scorer from this
                Path dir = Files.createTempDirectory("hnsw-bench-");
                long t0 = System.nanoTime();
                try (VectorIndexWriter w = VectorIndexWriter.create(dir.resolve("index"), config, dim)) {
                    for (int i = 0; i < n; i++) {
                        w.add("v" + i, v[i], null);
                    }
                }
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "round %d %-28s %.2f s (%,.0f vectors/s)%n", r,
                        vectorApi ? "Vector API scorer" : "Lucene's scalar scorer", s, n / s);
                org.verbo.models.io.Checkpoints.deleteTree(dir);
            }
        }
        Kernels.setEnabled(true);
    }
}
