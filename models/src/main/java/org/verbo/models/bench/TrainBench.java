package org.verbo.models.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.nn.PackedGemm;
import org.verbo.models.train.LossCurvePlot;
import org.verbo.models.train.MemoryStats;
import org.verbo.models.train.TrainConfig;
import org.verbo.models.train.Trainer;

import java.awt.Color;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Training throughput benchmark (scripts/bench/train.sh): a preset model (default bench-7m), batch B, context T, a
 * fixed number of steps for AdamW and then SGD-SaI from the same initial weights on the same blocks. Then a longer,
 * cheaper optimizer comparison (a 0.4M-parameter Llama, 150 steps of 8 x 64 tokens) for the loss curves. Writes
 * {@code data.bin} (the blocks, int32 little-endian, so the PyTorch twin trains on identical tokens),
 * {@code java.json} and {@code optimizers.png} (AdamW and SGD-SaI loss curves on the same data) under --out.
 */
public final class TrainBench {
    private TrainBench() {
    }

    public static void main(String[] args) throws IOException {
        String preset = "bench-7m";
        int batch = 8;
        int steps = 10;
        int warmup = 1;
        double lr = 1e-3;
        double saiLr = 0.3;
        int curveSteps = 150;
        double curveLr = 3e-3;
        double curveSaiLr = 1.0;
        Path out = Path.of("target/bench/train");
        for (String a : args) {
            String[] kv = a.replaceFirst("^--", "").split("=", 2);
            if (kv.length != 2) {
                usage("bad argument " + a);
            }
            switch (kv[0]) {
                case "preset" -> preset = kv[1];
                case "batch" -> batch = Integer.parseInt(kv[1]);
                case "steps" -> steps = Integer.parseInt(kv[1]);
                case "warmup" -> warmup = Integer.parseInt(kv[1]);
                case "lr" -> lr = Double.parseDouble(kv[1]);
                case "sai-lr" -> saiLr = Double.parseDouble(kv[1]);
                case "out" -> out = Path.of(kv[1]);
                case "curve-steps" -> curveSteps = Integer.parseInt(kv[1]);
                case "curve-lr" -> curveLr = Double.parseDouble(kv[1]);
                case "curve-sai-lr" -> curveSaiLr = Double.parseDouble(kv[1]);
                default -> usage("unknown option --" + kv[0]);
            }
        }
        ModelConfig mc = ModelConfig.preset(preset);
        int t = mc.contextLength();
        Files.createDirectories(out);
        int nBlocks = (warmup + steps) * batch;
        List<int[]> blocks = markovBlocks(mc.vocabSize(), t + 1, nBlocks, 42);
        writeBlocks(out.resolve("data.bin"), blocks);

        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode result = json.createObjectNode();
        result.put("engine", "verbo/ND4J " + Nd4j.getBackend().getClass().getSimpleName() + ", "
                + org.verbo.models.nn.Kernels.describe());
        result.put("preset", preset);
        result.put("parameters", mc.parameterCount());
        result.put("batch", batch);
        result.put("context", t);
        result.put("steps", steps);
        result.put("warmup_steps", warmup);
        result.put("omp_threads", System.getenv().getOrDefault("OMP_NUM_THREADS", "default"));
        result.put("flops_per_token", mc.trainFlopsPerToken(t));
        result.put("matmul_flops_per_token", mc.matmulTrainFlopsPerToken(t));
        // measured before and after the timed runs, the best kept: a first measurement in a fresh JVM swung from 184 to
        // 359 GFLOP/s between rounds with AVX-512 kernels (clock and thread-pool start-up), which would make MFU swing
        double[] peak = {sgemmPeak()};
        GemmTimer probe = GemmTimer.peakProduct();
        probe.best(3);                                     // warm-up
        List<LossCurvePlot.Series> curves = new ArrayList<>();
        for (TrainConfig.OptimizerKind kind : TrainConfig.OptimizerKind.values()) {
            double rate = kind == TrainConfig.OptimizerKind.ADAMW ? lr : saiLr;
            TrainConfig cfg = TrainConfig.builder().steps(warmup + steps).microBatchSize(batch).lr(rate).minLr(rate / 10)
                    .warmupSteps(0).weightDecay(0.1).optimizer(kind).seed(1).build();
            System.gc();
            boolean hwm = MemoryStats.resetHighWaterRss();
            LlamaModel model = LlamaModel.initialize(mc, 1);
            long c0 = System.nanoTime();
            Trainer trainer = new Trainer(model, cfg);
            double constructSeconds = (System.nanoTime() - c0) / 1e9;
            System.out.printf(Locale.ROOT, "%s trainer ready in %.2fs (kernel warm-up %.2fs)%n", kind.id(),
                    constructSeconds, org.verbo.models.nn.Kernels.warmupSeconds());
            MemoryStats mem = new MemoryStats(8L * mc.parameterCount() + trainer.optimizer().stateBytes());
            var it = blocks.iterator();
            double[] losses = new double[warmup + steps];
            double[] warmupSeconds = new double[warmup];
            for (int i = 0; i < warmup; i++) {
                long s0 = System.nanoTime();
                losses[i] = trainer.trainStep(it).loss();
                warmupSeconds[i] = (System.nanoTime() - s0) / 1e9;
                mem.sample();
                System.out.printf(Locale.ROOT, "%s warm-up step %d %.2fs, RSS %d MiB, high-water %d MiB, workspaces %s%n",
                        kind.id(), i + 1, warmupSeconds[i], org.bytedeco.javacpp.Pointer.physicalBytes() >> 20,
                        MemoryStats.highWaterRssBytes() >> 20, workspaces());
            }
            long t0 = System.nanoTime();
            long tokens = 0;
            double[] stepSeconds = new double[steps];
            double[] probeRates = new double[steps];
            long probeNanos = 0;
            for (int i = 0; i < steps; i++) {
                long s0 = System.nanoTime();
                Trainer.StepResult r = trainer.trainStep(it);
                stepSeconds[i] = (System.nanoTime() - s0) / 1e9;
                tokens += (long) batch * t;
                losses[warmup + i] = r.loss();
                mem.sample();
                long p0 = System.nanoTime();
                probeRates[i] = probe.best(3);
                probeNanos += System.nanoTime() - p0;
                System.out.printf(Locale.ROOT, "%s step %d loss %.4f %.2fs, peak probe %.1f GFLOP/s%n", kind.id(),
                        r.step(), r.loss(), r.seconds(), probeRates[i] / 1e9);
            }
            double secs = (System.nanoTime() - t0 - probeNanos) / 1e9;
            // median step time: robust to other jobs stealing the CPU for a few steps (shared machines)
            double median = median(stepSeconds);
            double tps = (double) batch * t / median;
            ObjectNode o = result.putObject(kind.id());
            o.put("seconds", secs);
            o.put("median_step_s", median);
            o.put("tokens_per_s_mean", tokens / secs);
            o.put("tokens_per_s", tps);
            o.put("gflops_per_s", tps * mc.trainFlopsPerToken(t) / 1e9);
            double matmul = tps * mc.matmulTrainFlopsPerToken(t);
            o.put("matmul_gflops_per_s", matmul / 1e9);
            o.put("matmul_flops_per_s", matmul);
            // MFU step by step against the peak probe that ran right after the step (median of the ratios), and the
            // medians of both: the same moments in the numerator and the denominator, whatever the machine's speed did
            // between them
            double stepFlops = (double) batch * t * mc.matmulTrainFlopsPerToken(t);
            double[] paired = new double[steps];
            for (int i = 0; i < steps; i++) {
                paired[i] = stepFlops / stepSeconds[i] / probeRates[i];
            }
            o.put("mfu_paired", median(paired));
            o.put("peak_probe_median_gflops", median(probeRates) / 1e9);
            o.put("peak_probe_max_gflops", java.util.Arrays.stream(probeRates).max().orElse(0) / 1e9);
            if (warmup > 0) {
                o.put("first_step_s", warmupSeconds[0]);
                o.put("trainer_construct_s", constructSeconds);
                o.put("first_over_median", warmupSeconds[0] / median);
                ArrayNode w = o.putArray("warmup_step_s");
                for (double v : warmupSeconds) {
                    w.add(v);
                }
            }
            o.put("peak_heap_bytes", mem.peakHeapBytes());
            o.put("peak_offheap_bytes", mem.peakOffHeapBytes());
            // the kernel's high-water mark since this optimizer's model was built (sampled RSS misses spikes)
            long hwmBytes = hwm ? MemoryStats.highWaterRssBytes() : -1;
            o.put("peak_rss_bytes", Math.max(hwmBytes, mem.peakRssBytes()));
            o.put("sampled_peak_rss_bytes", mem.peakRssBytes());
            o.put("optimizer_state_bytes", trainer.optimizer().stateBytes());
            o.put("lr", rate);
            ArrayNode l = o.putArray("losses");
            for (double v : losses) {
                l.add(v);
            }
        }
        if (curveSteps > 0) {
            // Same data, same initial weights, each optimizer at its own tuned peak lr (sweep in docs/BENCHMARKS.md).
            ModelConfig small = new ModelConfig(512, 64, 2, 4, 4, 172, 64, 10000.0, 1e-5, false);
            List<int[]> data = markovBlocks(small.vocabSize(), small.contextLength() + 1, 8 * curveSteps, 7);
            ObjectNode cn = result.putObject("curve");
            cn.put("parameters", small.parameterCount());
            cn.put("batch", 8);
            cn.put("context", small.contextLength());
            cn.put("steps", curveSteps);
            for (TrainConfig.OptimizerKind kind : TrainConfig.OptimizerKind.values()) {
                double rate = kind == TrainConfig.OptimizerKind.ADAMW ? curveLr : curveSaiLr;
                TrainConfig cfg = TrainConfig.builder().steps(curveSteps).microBatchSize(8).lr(rate).minLr(rate / 10)
                        .warmupSteps(0).weightDecay(0.1).optimizer(kind).seed(1).build();
                Trainer trainer = new Trainer(LlamaModel.initialize(small, 1), cfg);
                List<Trainer.StepResult> rs = trainer.run(curveSteps, data.iterator(), null);
                double[] x = new double[curveSteps];
                double[] y = new double[curveSteps];
                ArrayNode l = cn.putObject(kind.id()).put("lr", rate).put("optimizer_state_bytes",
                        trainer.optimizer().stateBytes()).putArray("losses");
                for (int i = 0; i < curveSteps; i++) {
                    x[i] = i + 1;
                    y[i] = rs.get(i).loss();
                    l.add(y[i]);
                }
                System.out.printf(Locale.ROOT, "curve %s lr %g: loss %.4f -> %.4f%n", kind.id(), rate, y[0], y[curveSteps - 1]);
                curves.add(new LossCurvePlot.Series(kind.id() + " (peak lr " + rate + ")", x, y,
                        kind == TrainConfig.OptimizerKind.ADAMW ? new Color(31, 119, 180) : new Color(214, 39, 40)));
            }
        }
        peak[0] = Math.max(peak[0], sgemmPeak());
        result.put("sgemm_peak_gflops", peak[0] / 1e9);
        System.out.printf(Locale.ROOT, "sgemm peak (cblas_sgemm 2048^3, and the packed GEMM at 2048 x 1536 x 2048 where it "
                + "takes the products; best of 10 before and after the runs, this JVM): "
                + "%.1f GFLOP/s%n", peak[0] / 1e9);
        for (String k : new String[]{"adamw", "sgd-sai"}) {
            ObjectNode o = (ObjectNode) result.get(k);
            o.put("mfu_of_sgemm_peak", o.get("matmul_flops_per_s").asDouble() / peak[0]);
        }
        long adamBytes = result.get("adamw").get("optimizer_state_bytes").asLong();
        long saiBytes = result.get("sgd-sai").get("optimizer_state_bytes").asLong();
        result.put("sgd_sai_over_adamw_state", (double) saiBytes / adamBytes);
        if (!curves.isEmpty()) {
            LossCurvePlot.write(out.resolve("optimizers.png"), "AdamW vs SGD-SaI, same data and initial weights", "step",
                    curves);
        }
        Files.write(out.resolve("java.json"), json.writeValueAsBytes(result));
        System.out.println(json.writeValueAsString(result));
        System.out.printf(Locale.ROOT, "optimizer state: adamw %,d B, sgd-sai %,d B (ratio %.3f)%n", adamBytes, saiBytes,
                (double) saiBytes / adamBytes);
    }

    /**
     * The best GEMM rate of the kernels the model's products run on (the denominator of the model FLOP utilisation),
     * each best of 10 after 3 warm-up calls into a preallocated output: OpenBLAS's cblas_sgemm on 2048 x 2048 x 2048,
     * and, where {@link PackedGemm#chosen()} sends most products to the packed GEMM, that GEMM at its largest inner
     * dimension of one pass (2048 x 1536 x 2048). Why both: with the packed GEMM in use, OpenBLAS's rate alone would
     * let the MFU count products that ran faster than the peak it divides by. The OpenBLAS side is forced to OpenBLAS:
     * the packed GEMM now takes 2048³ too (in passes).
     */
    static double sgemmPeak() {
        if (!org.verbo.models.nn.Kernels.enabled() || !PackedGemm.chosen()) {
            return gemmRate(2048, 2048, 2048);
        }
        try {
            PackedGemm.force(false);
            double blas = gemmRate(2048, 2048, 2048);
            PackedGemm.force(true);
            return Math.max(blas, gemmRate(2048, PackedGemm.MAX_K, 2048));
        } finally {
            PackedGemm.force(null);
        }
    }

    /** FLOP/s of BatchedMatmul.gemm on [m, k] x [k, n], best of 10 after 3 warm-up calls. */
    private static double gemmRate(int m, int k, int n) {
        try (GemmTimer g = new GemmTimer(m, k, n)) {
            g.best(3);
            return g.best(10);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /**
     * BatchedMatmul.gemm on preallocated random [m, k] x [k, n] operands into a preallocated output, timed: {@link
     * #gemmRate}'s peak measurement, and the peak probe after each timed step (best of 3 calls of the peak product,
     * see the main loop). Why the probe: this VM's speed moves 10-25 % within minutes, and the best-of-20 peak of
     * {@link #sgemmPeak} catches its fastest moment while the median step is a typical one. Why best of 3: a single
     * call right after a step ran 10-15 % below the best-of-10 rate (helpers parked, caches holding the step's data),
     * which would have lowered the peak, not measured it.
     */
    private static final class GemmTimer implements AutoCloseable {
        private final int m;
        private final int k;
        private final int n;
        private final org.nd4j.linalg.api.ndarray.INDArray a;
        private final org.nd4j.linalg.api.ndarray.INDArray b;
        private final org.nd4j.linalg.api.ndarray.INDArray c;

        GemmTimer(int m, int k, int n) {
            this.m = m;
            this.k = k;
            this.n = n;
            a = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, m, k);
            b = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, k, n);
            c = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, m, n);
        }

        /** The peak product of {@link #sgemmPeak}'s rule: the packed GEMM's where it takes the products, else 2048^3. */
        static GemmTimer peakProduct() {
            return new GemmTimer(2048, PackedGemm.chosen() ? PackedGemm.MAX_K : 2048, 2048);
        }

        /** FLOP/s of the fastest of {@code calls} calls. */
        double best(int calls) {
            long best = Long.MAX_VALUE;
            for (int i = 0; i < calls; i++) {
                long s0 = System.nanoTime();
                org.verbo.models.nn.BatchedMatmul.gemm(a, b, c, false, false, 1.0, 0.0);
                best = Math.min(best, System.nanoTime() - s0);
            }
            return 2.0 * m * n * k / (best / 1e9);
        }

        @Override
        public void close() {
            for (var x : new org.nd4j.linalg.api.ndarray.INDArray[]{a, b, c}) {
                x.close();
            }
        }
    }

    /** This thread's ND4J workspaces and their sizes in MiB (what a step keeps allocated). */
    static String workspaces() {
        StringBuilder sb = new StringBuilder();
        for (var ws : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(ws.getId()).append(' ')
                    .append(ws.getCurrentSize() >> 20).append(" MiB");
        }
        return sb.toString();
    }

    private static void usage(String msg) {
        System.err.println(msg + "; usage: TrainBench [--preset=bench-7m] [--batch=8] [--steps=10] [--warmup=1] "
                + "[--lr=1e-3] [--sai-lr=0.1] [--out=target/bench/train]");
        System.exit(2);
    }

    /**
     * Learnable synthetic text: a seeded first-order Markov chain where each token has 4 likely successors
     * (so the achievable loss is about ln 4 plus noise, well below ln V).
     */
    static List<int[]> markovBlocks(int vocab, int len, int n, long seed) {
        Random rng = new Random(seed);
        int[][] next = new int[vocab][4];
        for (int v = 0; v < vocab; v++) {
            for (int j = 0; j < 4; j++) {
                next[v][j] = rng.nextInt(vocab);
            }
        }
        List<int[]> out = new ArrayList<>();
        int cur = rng.nextInt(vocab);
        for (int b = 0; b < n; b++) {
            int[] blk = new int[len];
            for (int i = 0; i < len; i++) {
                blk[i] = cur;
                cur = rng.nextDouble() < 0.9 ? next[cur][rng.nextInt(4)] : rng.nextInt(vocab);
            }
            out.add(blk);
        }
        return out;
    }

    static void writeBlocks(Path file, List<int[]> blocks) throws IOException {
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(file))) {
            ByteBuffer bb = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            for (int[] b : blocks) {
                for (int v : b) {
                    bb.clear();
                    bb.putInt(v);
                    o.write(bb.array());
                }
            }
        }
    }
}
