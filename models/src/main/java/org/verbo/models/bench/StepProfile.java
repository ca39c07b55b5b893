package org.verbo.models.bench;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;
import org.nd4j.linalg.profiler.ProfilerConfig;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.nn.BatchedMatmul;
import org.verbo.models.train.TrainConfig;
import org.verbo.models.train.Trainer;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * Profiling harness behind docs/PERFORMANCE.md (not a test): {@code gemm} times ND4J's {@code Nd4j.gemm} against a
 * direct {@code cblas_sgemm} call into the same OpenBLAS in the same JVM; {@code step} reports thread settings, time
 * per training step, garbage collection, and (with {@code --ops}) ND4J's per-op-type profile of one step.
 *
 * <p>Usage: {@code StepProfile gemm [--sizes=256,512,1024,2048] [--reps=10]} or
 * {@code StepProfile step [--preset=bench-7m] [--batch=8] [--steps=5] [--ops]} or
 * {@code StepProfile infer [--preset=bench-7m] [--batch=32] [--steps=5]} or
 * {@code StepProfile packed [--preset=bench-7m] [--reps=10]} (the model's projection shapes through
 * {@link org.verbo.models.nn.PackedGemm} and through OpenBLAS, same JVM, same threads) or
 * {@code StepProfile phases [--preset=bench-7m] [--batch=8] [--steps=5] [--ab-fused-attention]} (with the flag, steps
 * alternate between FlashAttention and the unfused kernel path in one JVM, each reported on its own).
 */
public final class StepProfile {
    private StepProfile() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: StepProfile gemm|step|infer [--key=value ...]");
            System.exit(2);
        }
        String mode = args[0];
        String preset = "bench-7m";
        int batch = mode.equals("infer") ? 32 : 8;
        int steps = 5;
        int reps = 10;
        boolean ops = false;
        boolean abFused = false;
        long abSpin = -1;
        boolean abHeadLoss = false;
        String sizes = "256,512,1024,2048";
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].replaceFirst("^--", "").split("=", 2);
            switch (kv[0]) {
                case "preset" -> preset = kv[1];
                case "batch" -> batch = Integer.parseInt(kv[1]);
                case "steps" -> steps = Integer.parseInt(kv[1]);
                case "reps" -> reps = Integer.parseInt(kv[1]);
                case "sizes" -> sizes = kv[1];
                case "ops" -> ops = true;
                case "ab-fused-attention" -> abFused = true;
                case "ab-spin" -> abSpin = kv.length > 1 ? Long.parseLong(kv[1]) : 200;
                case "ab-head-loss" -> abHeadLoss = true;
                case "blas-threads" -> Nd4j.factory().blas().setMaxThreads(Integer.parseInt(kv[1]));
                case "nd4j-threads" -> Nd4j.getEnvironment().setMaxThreads(Integer.parseInt(kv[1]));
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        threads();
        switch (mode) {
            case "gemm" -> gemm(sizes, reps);
            case "shapes" -> shapes(ModelConfig.preset(preset), batch, reps);
            case "packed" -> packed(ModelConfig.preset(preset), reps);
            case "step" -> step(ModelConfig.preset(preset), batch, steps, ops, abSpin, abHeadLoss);
            case "infer" -> infer(ModelConfig.preset(preset), batch, steps);
            case "phases" -> phases(ModelConfig.preset(preset), batch, steps, abFused);
            default -> {
                System.err.println("unknown mode " + mode);
                System.exit(2);
            }
        }
    }

    static void threads() {
        System.out.printf(Locale.ROOT, "threads: cpus %d, OMP_NUM_THREADS=%s, OPENBLAS_NUM_THREADS=%s, "
                        + "OPENBLAS_CORETYPE=%s, nd4j maxThreads %d, maxMasterThreads %d%n",
                Runtime.getRuntime().availableProcessors(), System.getenv("OMP_NUM_THREADS"),
                System.getenv("OPENBLAS_NUM_THREADS"), System.getenv("OPENBLAS_CORETYPE"),
                Nd4j.getEnvironment().maxThreads(), Nd4j.getEnvironment().maxMasterThreads());
        System.out.println(org.verbo.models.nn.Kernels.describe());
        System.out.println("nd4j backend: " + Nd4j.getBackend().getClass().getName() + ", blas vendor "
                + Nd4j.factory().blas().getBlasVendor() + ", blas threads " + Nd4j.factory().blas().getMaxThreads());
    }

    /** GFLOP/s of square sgemm via ND4J and via cblas_sgemm directly, best of reps after warm-up. */
    static void gemm(String sizes, int reps) {
        System.out.println("| n | ND4J gemm NN | ND4J gemm NT | ND4J mmul | cblas_sgemm | ND4J / cblas |");
        System.out.println("|---:|---:|---:|---:|---:|---:|");
        for (String s : sizes.split(",")) {
            int n = Integer.parseInt(s.trim());
            double flops = 2.0 * n * n * n;
            INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
            INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
            INDArray c = Nd4j.create(DataType.FLOAT, n, n);
            double nn = best(reps, () -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0));
            double nt = best(reps, () -> Nd4j.gemm(a, b, c, false, true, 1.0, 0.0));
            double mm = best(reps, () -> a.mmul(b));
            FloatPointer pa = new FloatPointer(a.data().asFloat());
            FloatPointer pb = new FloatPointer(b.data().asFloat());
            FloatPointer pc = new FloatPointer((long) n * n);
            double blas = best(reps, () -> openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans,
                    openblas.CblasNoTrans, n, n, n, 1f, pa, n, pb, n, 0f, pc, n));
            System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f | %.2f |%n", n, flops / nn / 1e9,
                    flops / nt / 1e9, flops / mm / 1e9, flops / blas / 1e9, blas / Math.min(nn, nt));
        }
    }

    /**
     * The projections of an embedding batch (32 texts of 41 tokens: 1312 rows; the NV-Embed pooling's GEGLU 4x) and of
     * a training step (8 x contextLength rows; forward x W^T, dx = dy W, the weight gradients dW += dy^T x and the LM
     * head's dx, whose k is the vocabulary), each timed through PackedGemm and through
     * OpenBLAS (BatchedMatmul.gemm either way, preallocated output), best of reps; GFLOP/s and the ratio.
     */
    static void packed(ModelConfig mc, int reps) {
        int c = mc.hiddenSize();
        int f = mc.ffnSize();
        int enc = 32 * 41;
        int train = 8 * mc.contextLength();
        System.out.println("PackedGemm rule here: " + org.verbo.models.nn.PackedGemm.describe());
        System.out.println("| product | M x K x N | packed GFLOP/s | OpenBLAS GFLOP/s | packed / OpenBLAS |");
        System.out.println("|---|---|---:|---:|---:|");
        record P(String name, int m, int k, int n, boolean transB, boolean transA) {
            P(String name, int m, int k, int n, boolean transB) {
                this(name, m, k, n, transB, false);
            }
        }
        List<P> ps = List.of(new P("encode qkv x W^T", enc, c, 3 * c, true), new P("encode o x W^T", enc, c, c, true),
                new P("encode gate+up x W^T", enc, c, 2 * f, true), new P("encode down x W^T", enc, f, c, true),
                new P("encode pooling GEGLU x W1^T", enc, c, 8 * c, true),
                new P("train gate+up x W^T", train, c, 2 * f, true), new P("train down x W^T", train, f, c, true),
                new P("train gate+up dx = dy W", train, 2 * f, c, false), new P("train qkv dx = dy W", train, 3 * c, c, false),
                new P("train gate+up dW += dy^T x", 2 * f, train, c, false, true),
                new P("train qkv dW += dy^T x", 3 * c, train, c, false, true),
                new P("train o dW += dy^T x", c, train, c, false, true),
                new P("train LM head dx = dy W (k = vocabulary)", train, mc.vocabSize(), c, false));
        try {
            // All packed timings first, then all OpenBLAS ones: after each call OpenBLAS's worker threads spin for a
            // while (OPENBLAS_THREAD_TIMEOUT, 2^28 cycles by default), and a packed product timed right after an
            // OpenBLAS one had one of the two cores taken by them (two threads no faster than one). Each side gets 20
            // untimed calls per shape first, so C2 has compiled its code before any timing.
            double[][] secs = new double[ps.size()][2];
            for (int side = 0; side < 2; side++) {
                org.verbo.models.nn.PackedGemm.force(side == 0);
                for (int i = 0; i < ps.size(); i++) {
                    P p = ps.get(i);
                    INDArray a = p.transA() ? Nd4j.rand(DataType.FLOAT, p.k(), p.m())
                            : Nd4j.rand(DataType.FLOAT, p.m(), p.k());
                    INDArray b = p.transB() ? Nd4j.rand(DataType.FLOAT, p.n(), p.k())
                            : Nd4j.rand(DataType.FLOAT, p.k(), p.n());
                    INDArray y = Nd4j.create(DataType.FLOAT, p.m(), p.n());
                    double beta = p.transA() ? 1.0 : 0.0;                  // a weight gradient accumulates
                    for (int w = 0; w < 20; w++) {
                        BatchedMatmul.gemm(a, b, y, p.transA(), p.transB(), 1.0, beta);
                    }
                    secs[i][side] = best(reps, () -> BatchedMatmul.gemm(a, b, y, p.transA(), p.transB(), 1.0, beta));
                }
            }
            for (int i = 0; i < ps.size(); i++) {
                P p = ps.get(i);
                double fl = 2.0 * p.m() * p.k() * p.n();
                System.out.printf(Locale.ROOT, "| %s | %d x %d x %d | %.1f | %.1f | %.2f |%n", p.name(), p.m(), p.k(),
                        p.n(), fl / secs[i][0] / 1e9, fl / secs[i][1] / 1e9, secs[i][1] / secs[i][0]);
            }
        } finally {
            org.verbo.models.nn.PackedGemm.force(null);
        }
    }

    /** The GEMM shapes of one bench-7m training step, timed as the model calls them. */
    static void shapes(ModelConfig mc, int batch, int reps) {
        int t = mc.contextLength();
        int n = batch * t;
        int c = mc.hiddenSize();
        int f = mc.ffnSize();
        int v = mc.vocabSize();
        int d = mc.headDim();
        int bh = batch * mc.numKvHeads();
        int g = mc.numHeads() / mc.numKvHeads();
        // The model writes every product into its step workspace, whose pages are reused step after step, so the
        // first column is the in-situ rate; "new output" allocates and faults in fresh pages on every call, as a
        // first step (or a GEMM outside a workspace) does, and is what earlier versions of this table showed.
        System.out.println("| op | shape (M x K x N) | calls/step | ms/call (preallocated) | GFLOP/s into a preallocated "
                + "output (in situ) | GFLOP/s into a new output | ND4J Nd4j.gemm GFLOP/s (new output) |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|");
        int layers = mc.numLayers();
        record S(String name, int out, int in, int calls) { }
        for (S s : List.of(new S("qkvo proj", c, c, 4 * layers), new S("fused qkv", 3 * c, c, layers),
                new S("fused gate+up", 2 * f, c, layers), new S("gate/up proj", f, c, 2 * layers),
                new S("down proj", c, f, layers), new S("lm head", v, c, 1))) {
            INDArray x = Nd4j.rand(DataType.FLOAT, n, s.in());
            INDArray w = Nd4j.rand(DataType.FLOAT, s.out(), s.in());
            INDArray dy = Nd4j.rand(DataType.FLOAT, n, s.out());
            INDArray dw = Nd4j.create(DataType.FLOAT, s.out(), s.in());
            INDArray yo = Nd4j.create(DataType.FLOAT, n, s.out());
            INDArray dxo = Nd4j.create(DataType.FLOAT, n, s.in());
            double fl = 2.0 * n * s.in() * s.out();
            double fwPre = best(reps, () -> BatchedMatmul.gemm(x, w, yo, false, true, 1.0, 0.0));
            double fwNew = best(reps, () -> BatchedMatmul.gemm(x, w, null, false, true, 1.0, 0.0).close());
            double fwNd = best(reps, () -> Nd4j.gemm(x, w, false, true).close());
            double bwPre = best(reps, () -> BatchedMatmul.gemm(dy, x, dw, true, false, 1.0, 1.0));
            double bwNd = best(reps, () -> Nd4j.gemm(dy, x, dw, true, false, 1.0, 1.0));
            double bxPre = best(reps, () -> BatchedMatmul.gemm(dy, w, dxo, false, false, 1.0, 0.0));
            double bxNew = best(reps, () -> BatchedMatmul.gemm(dy, w, null, false, false, 1.0, 0.0).close());
            double bxNd = best(reps, () -> Nd4j.gemm(dy, w, false, false).close());
            INDArray wt = w.transpose().dup('c');
            double fwT = best(reps, () -> BatchedMatmul.gemm(x, wt, yo, false, false, 1.0, 0.0));
            System.out.printf(Locale.ROOT, "| %s fwd y = x W^T (NT) | %d x %d x %d | %d | %.2f | %.1f | %.1f | %.1f |%n",
                    s.name(), n, s.in(), s.out(), s.calls(), fwPre * 1e3, fl / fwPre / 1e9, fl / fwNew / 1e9, fl / fwNd / 1e9);
            System.out.printf(Locale.ROOT, "| %s fwd with a W^T copy (NN) | %d x %d x %d | | %.2f | %.1f | | |%n",
                    s.name(), n, s.in(), s.out(), fwT * 1e3, fl / fwT / 1e9);
            System.out.printf(Locale.ROOT, "| %s dW += dy^T x (TN) | %d x %d x %d | %d | %.2f | %.1f | n/a | %.1f |%n",
                    s.name(), s.out(), n, s.in(), s.calls(), bwPre * 1e3, fl / bwPre / 1e9, fl / bwNd / 1e9);
            System.out.printf(Locale.ROOT, "| %s dx = dy W (NN) | %d x %d x %d | %d | %.2f | %.1f | %.1f | %.1f |%n",
                    s.name(), n, s.out(), s.in(), s.calls(), bxPre * 1e3, fl / bxPre / 1e9, fl / bxNew / 1e9, fl / bxNd / 1e9);
            for (INDArray z : new INDArray[]{x, w, dy, dw, yo, dxo, wt}) {
                z.close();
            }
        }
        INDArray q = Nd4j.rand(DataType.FLOAT, bh, g * t, d);
        INDArray k = Nd4j.rand(DataType.FLOAT, bh, t, d);
        INDArray p = Nd4j.rand(DataType.FLOAT, bh, g * t, t);
        double fl = 2.0 * bh * g * t * t * d;
        double s1 = best(reps, () -> Nd4j.matmul(q, k, false, true, false));
        double s2 = best(reps, () -> Nd4j.matmul(p, k, false, false, false));
        double s3 = best(reps, () -> Nd4j.matmul(p, q, true, false, false));
        double d1 = best(reps, () -> BatchedMatmul.matmul(q, k, false, true));
        INDArray kt = k.permute(0, 2, 1).dup('c');
        double e1 = best(reps, () -> BatchedMatmul.matmul(q, kt, false, false));
        double e2 = best(reps, () -> k.permute(0, 2, 1).dup('c'));
        int bt = Nd4j.factory().blas().getMaxThreads();
        Nd4j.factory().blas().setMaxThreads(1);
        double e3 = best(reps, () -> BatchedMatmul.matmul(q, k, false, true));
        double e4 = best(reps, () -> BatchedMatmul.matmul(q, kt, false, false));
        double e5 = best(reps, () -> BatchedMatmul.matmul(p, k, false, false));
        Nd4j.factory().blas().setMaxThreads(bt);
        System.out.printf(Locale.ROOT, "q k^T variants: NN with k^T copy %.1f GFLOP/s (copy %.2f ms); 1 BLAS thread NT %.1f, NN %.1f, p v %.1f%n",
                fl / e1 / 1e9, e2 * 1e3, fl / e3 / 1e9, fl / e4 / 1e9, fl / e5 / 1e9);
        double d2 = best(reps, () -> BatchedMatmul.matmul(p, k, false, false));
        double d3 = best(reps, () -> BatchedMatmul.matmul(p, q, true, false));
        System.out.printf(Locale.ROOT, "| attn batched q k^T | %d x (%d x %d x %d) | %d | %.2f | %.1f | %.1f |%n", bh, g * t, d,
                t, 2 * layers, s1 * 1e3, fl / s1 / 1e9, fl / d1 / 1e9);
        System.out.printf(Locale.ROOT, "| attn batched p v | %d x (%d x %d x %d) | %d | %.2f | %.1f | %.1f |%n", bh, g * t, t,
                d, 2 * layers, s2 * 1e3, fl / s2 / 1e9, fl / d2 / 1e9);
        System.out.printf(Locale.ROOT, "| attn batched p^T dO | %d x (%d x %d x %d) | %d | %.2f | %.1f | %.1f |%n", bh, t,
                g * t, d, 2 * layers, s3 * 1e3, fl / s3 / 1e9, fl / d3 / 1e9);
    }

    /** Best wall seconds of {@code reps} runs after 3 untimed ones. */
    static double best(int reps, Runnable r) {
        for (int i = 0; i < 3; i++) {
            r.run();
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    static long gcMillis() {
        long ms = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            ms += Math.max(0, g.getCollectionTime());
        }
        return ms;
    }

    static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, g.getCollectionCount());
        }
        return n;
    }

    /**
     * Timed training steps. With abSpin >= 0 (`--ab-spin[=MICROS]`, default 200), steps alternate in pairs whose order
     * also alternates between kernel helpers that poll for MICROS and helpers that park at once
     * ({@link org.verbo.models.nn.Kernels#setSpinMicros}), so both see the same load on a shared machine; the medians
     * of both are printed at the end. With abHeadLoss (`--ab-head-loss`) the pairs alternate the same way between the LM
     * head's product fused with the loss ({@link org.verbo.models.nn.CrossEntropyLoss#headLoss}) and the product stored
     * and then the loss.
     */
    static void step(ModelConfig mc, int batch, int steps, boolean ops, long abSpin, boolean abHeadLoss) {
        int t = mc.contextLength();
        List<int[]> blocks = TrainBench.markovBlocks(mc.vocabSize(), t + 1, (steps + 2) * batch, 42);
        TrainConfig cfg = TrainConfig.builder().steps(steps + 2).microBatchSize(batch).lr(1e-3).minLr(1e-4)
                .warmupSteps(0).weightDecay(0.1).optimizer(TrainConfig.OptimizerKind.ADAMW).seed(1).build();
        Trainer trainer = new Trainer(LlamaModel.initialize(mc, 1), cfg);
        var it = blocks.iterator();
        trainer.trainStep(it);
        long gc0 = gcMillis();
        long gcn0 = gcCount();
        List<List<Double>> ab = List.of(new java.util.ArrayList<>(), new java.util.ArrayList<>());
        String[] names = abHeadLoss ? new String[]{"head product stored, then the loss", "head product + loss fused"}
                : new String[]{"helpers park", "helpers poll " + abSpin + " µs"};
        for (int i = 0; i < steps; i++) {
            int variant = ((i % 2) ^ ((i / 2) % 2));          // pairs (0, 1), (1, 0), (0, 1), ...
            if (abSpin >= 0) {
                org.verbo.models.nn.Kernels.setSpinMicros(variant == 1 ? abSpin : 0);
            }
            if (abHeadLoss) {
                org.verbo.models.nn.CrossEntropyLoss.setFusedHeadLoss(variant == 1);
            }
            Trainer.StepResult r = trainer.trainStep(it);
            System.out.printf(Locale.ROOT, "step %d %.3f s, %.0f tokens/s, loss %.4f%s%n", r.step(), r.seconds(),
                    batch * t / r.seconds(), r.loss(), abSpin >= 0 || abHeadLoss ? " (" + names[variant] + ")" : "");
            ab.get(variant).add(r.seconds());
        }
        if (abSpin >= 0 || abHeadLoss) {
            for (int v = 0; v < 2; v++) {
                List<Double> xs = new java.util.ArrayList<>(ab.get(v));
                java.util.Collections.sort(xs);
                System.out.printf(Locale.ROOT, "median step, %s: %.4f s over %d steps%n", names[v],
                        xs.get(xs.size() / 2), xs.size());
            }
        }
        System.out.printf(Locale.ROOT, "gc during %d steps: %d collections, %d ms%n", steps, gcCount() - gcn0,
                gcMillis() - gc0);
        if (ops) {
            Nd4j.getExecutioner().setProfilingConfig(ProfilerConfig.builder().checkForNAN(false).checkForINF(false)
                    .stackTrace(false).checkElapsedTime(true).build());
            Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.ALL);
            OpProfiler.getInstance().reset();
            Trainer.StepResult r = trainer.trainStep(it);
            System.out.printf(Locale.ROOT, "profiled step %.3f s%n", r.seconds());
            OpProfiler.getInstance().printOutDashboard();
        }
    }

    /**
     * Wall time of the phases of one step (forward, loss, forward+loss+backward, clip, optimizer), median of steps.
     * With abFused, iterations alternate (in pairs whose order also alternates) between FlashAttention and the unfused
     * kernel path, so both see the same load on a shared machine; each gets steps timed iterations after two warm-up
     * ones, and its own table.
     */
    static void phases(ModelConfig mc, int batch, int steps, boolean abFused) {
        int t = mc.contextLength();
        List<int[]> blocks = TrainBench.markovBlocks(mc.vocabSize(), t + 1, batch, 42);
        org.verbo.models.Batch b = org.verbo.models.Batch.of(blocks, mc.vocabSize(), t);
        TrainConfig cfg = TrainConfig.builder().steps(10).microBatchSize(batch).lr(1e-3).minLr(1e-4)
                .warmupSteps(0).weightDecay(0.1).optimizer(TrainConfig.OptimizerKind.ADAMW).seed(1).build();
        LlamaModel model = LlamaModel.initialize(mc, 1);
        System.out.printf(Locale.ROOT, "kernel warm-up (as a Trainer does): %.2f s%n",
                org.verbo.models.nn.Kernels.warmUp(org.verbo.models.nn.Kernels.Use.TRAINING));
        org.verbo.models.train.Optimizer opt = org.verbo.models.train.Optimizer.create(cfg, model.layout(), model.dataType());
        INDArray grads = model.gradients();
        String[] names = {"zero grads", "forward (logits)", "cross-entropy + dlogits", "forward + loss + backward",
                "grad norm + clip", "AdamW update"};
        int variants = abFused ? 2 : 1;
        double[][][] times = new double[variants][names.length][steps];
        java.util.Map<String, long[]> shapes = new java.util.TreeMap<>();
        for (int it = 0; it < variants * (steps + 2); it++) {
            int i = it / variants;                     // the iteration of this variant
            int variant = 0;
            if (abFused) {
                variant = (it % 2) ^ (i % 2);          // pairs (0, 1), (1, 0), (0, 1), ...
                org.verbo.models.nn.CausalSelfAttention.setFusedAttention(variant == 1);
            }
            long faults0 = minorFaults();
            double[] row = new double[names.length];
            long t0 = System.nanoTime();
            model.zeroGradients();
            row[0] = lap(t0);
            try (var ws = org.verbo.models.Workspaces.step("verbo-phases")) {
                t0 = System.nanoTime();
                INDArray logits = model.logits(b.inputs(), batch, t);
                row[1] = lap(t0);
                t0 = System.nanoTime();
                org.verbo.models.nn.CrossEntropyLoss.compute(logits, b.targets(), 1.0 / (batch * t));
                row[2] = lap(t0);
            }
            BatchedMatmul.stats(true);
            BatchedMatmul.shapeStats(true);
            try (var ws = org.verbo.models.Workspaces.step("verbo-train")) {
                t0 = System.nanoTime();
                model.meanLossAndBackward(b, 1.0);
                row[3] = lap(t0);
            }
            if (i >= 2) {
                BatchedMatmul.shapeStats(true).forEach((k, v) -> {
                    long[] acc = shapes.computeIfAbsent(k, x -> new long[3]);
                    for (int j = 0; j < 3; j++) {
                        acc[j] += v[j];
                    }
                });
            }
            long[] g = BatchedMatmul.stats(true);
            if (g[0] > 0) {
                System.out.printf(Locale.ROOT, "forward+backward GEMM: 2-D %.1f ms at %.1f GFLOP/s, batched %.1f ms at %.1f GFLOP/s%n",
                        g[0] / 1e6, (double) g[1] / g[0], g[2] / 1e6, (double) g[3] / Math.max(1, g[2]));
            }
            t0 = System.nanoTime();
            double norm = org.verbo.models.nn.Kernels.norm2(grads);
            grads.muli(Math.min(1.0, 1.0 / norm));
            row[4] = lap(t0);
            try (var ws = org.verbo.models.Workspaces.step("verbo-train")) {
                t0 = System.nanoTime();
                opt.step(model.parameters(), grads, 1e-4, i + 1);
                row[5] = lap(t0);
            }
            System.out.printf(Locale.ROOT, "iteration %d%s: forward + loss + backward %.1f ms, %,d minor page faults "
                    + "(%.0f MiB first touched)%n", i, abFused ? (variant == 1 ? " fused" : " unfused") : "",
                    row[3] * 1e3, minorFaults() - faults0, (minorFaults() - faults0) * 4096 / 1048576.0);
            if (i >= 2) {
                for (int k = 0; k < names.length; k++) {
                    times[variant][k][i - 2] = row[k];
                }
            }
        }
        if (BatchedMatmul.STATS) {
            System.out.println("| GEMM (m x n x k, ops, +C = accumulate) | calls per step | ms per step | GFLOP/s |");
            System.out.println("|---|---:|---:|---:|");
            shapes.forEach((shape, v) -> System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f |%n",
                    shape, v[2] / steps, v[0] / 1e6 / steps, (double) v[1] / v[0]));
        }
        for (int variant = 0; variant < variants; variant++) {
            if (abFused) {
                System.out.println(variant == 1 ? "FlashAttention (fused):" : "unfused kernel path:");
            }
            System.out.println("| phase | median ms |");
            System.out.println("|---|---:|");
            for (int k = 0; k < names.length; k++) {
                double[] v = times[variant][k].clone();
                java.util.Arrays.sort(v);
                System.out.printf(Locale.ROOT, "| %s | %.1f |%n", names[k], v[v.length / 2] * 1e3);
            }
        }
        if (abFused) {
            double[] ratio = new double[steps];
            for (int i = 0; i < steps; i++) {
                ratio[i] = times[0][3][i] / times[1][3][i];   // the two runs of a pair are adjacent in time
            }
            java.util.Arrays.sort(ratio);
            System.out.printf(Locale.ROOT, "forward + loss + backward, unfused / fused per pair: median %.3f "
                    + "(range %.3f-%.3f)%n", ratio[steps / 2], ratio[0], ratio[steps - 1]);
        }
    }

    /** Minor page faults of this process so far (Linux /proc/self/stat field 10), 0 elsewhere. */
    static long minorFaults() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]);
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double lap(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    static void infer(ModelConfig mc, int batch, int steps) {
        int t = mc.contextLength();
        LlamaModel model = LlamaModel.initialize(mc, 1);
        List<int[]> blocks = TrainBench.markovBlocks(mc.vocabSize(), t, batch, 42);
        int[] tokens = new int[batch * t];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(blocks.get(i), 0, tokens, i * t, t);
        }
        for (int i = 0; i < steps + 1; i++) {
            long t0 = System.nanoTime();
            try (var ws = org.verbo.models.Workspaces.step("verbo-infer")) {
                model.inferenceLogits(tokens, batch, t);
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "forward %d %.3f s, %.0f tokens/s%n", i, s, batch * t / s);
            if (BatchedMatmul.STATS) {   // -Dverbo.gemmStats=true: how much of the forward is GEMM
                long[] g = BatchedMatmul.stats(true);
                System.out.printf(Locale.ROOT, "  gemm 2-D %.1f ms (%.1f GFLOP/s), batched %.1f ms (%.1f GFLOP/s), rest %.1f ms%n",
                        g[0] / 1e6, g[1] / (double) Math.max(1, g[0]), g[2] / 1e6, g[3] / (double) Math.max(1, g[2]),
                        s * 1e3 - (g[0] + g[2]) / 1e6);
                java.util.Map<String, long[]> shapes = BatchedMatmul.shapeStats(true);   // this forward's calls
                if (i == steps) {
                    shapes.forEach((k, v) -> System.out.printf(Locale.ROOT,
                            "  %s: %d calls, %.1f ms, %.1f GFLOP/s%n", k, v[2], v[0] / 1e6, v[1] / (double) v[0]));
                }
            } else {
                BatchedMatmul.shapeStats(true);
            }
        }
    }
}
