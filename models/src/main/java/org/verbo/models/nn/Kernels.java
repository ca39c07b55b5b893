package org.verbo.models.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * When and how the fused SIMD kernels of {@link VectorKernels} run. Why they exist: one ND4J elementwise op is one
 * pass over memory plus a native call, and a training step issued about 500 of them (docs/PERFORMANCE.md); libnd4j's
 * exp is scalar. The kernels fuse each block's elementwise work (softmax with its causal or key-padding mask, RMSNorm, SwiGLU, RoPE
 * with the head permutation, cross-entropy, AdamW, SGD-SaI) into one or two passes with the JDK Vector API. Their
 * arithmetic is the same in every JIT tier, so runs stay bit-reproducible (see {@link VectorKernels#exp}).
 *
 * <p>The Vector API is an incubator module in Java 17: the JVM needs {@code --add-modules=jdk.incubator.vector}
 * (the pom's surefire line, {@code scripts/verbo}, {@code scripts/submit.sh} and the bench scripts pass it).
 * Without it, for non-float arrays, for anything that is not a dense row-major array, or with
 * {@code -Dverbo.vectorKernels=false}, every block takes its reference path of plain ND4J ops, which the parity
 * tests hold equal to the kernels.
 */
public final class Kernels {
    private static final boolean MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    private static final boolean CPU = "CpuBackend".equals(Nd4j.getBackend().getClass().getSimpleName());
    /** The module is resolved and the CPU backend holds the arrays in host memory. */
    public static final boolean AVAILABLE = MODULE && CPU;
    private static volatile boolean enabled = AVAILABLE && !"false".equals(System.getProperty("verbo.vectorKernels"));

    /** Threads per kernel call: OMP_NUM_THREADS when set (the budget ND4J's and OpenBLAS's pools use), else the cores. */
    private static volatile int threads = defaultThreads();
    /**
     * How long an idle {@link Helper} keeps polling for its next part before it parks, and how long a caller polls
     * for a helper's part before it blocks: {@code -Dverbo.kernelSpinMicros=N}, or by default 200 µs where
     * {@link PackedGemm#chosen()} (the JVM's kernels take every product of a step) and 0 elsewhere; 0 parks at once
     * and hands parts to the pool below, as before. Why: a bench-7m training step makes about 180 parallel calls of
     * 0.2-5 ms each, and a part handed to a parked thread started 100-200 µs later on this project's 2-core VMs (20-40
     * ms a step, measured inside this class), while the cores sat idle. Steps alternating in one JVM
     * (`StepProfile step --steps=40 --ab-spin=MICROS`): with the packed GEMM, a median 2-7 % shorter polling than
     * parked in eight runs of eight (50-1000 µs); with OpenBLAS taking the products (OPENBLAS_CORETYPE unset), 6 %
     * longer in two runs of two, a polling helper taking a core from OpenBLAS's threads; hence the rule.
     */
    private static final long SPIN_MICROS_SET = spinProperty();
    /** The polling time in ns; -1 until the first parallel call decides it. */
    private static volatile long spinNanos = -1;

    /** Overflow helpers when the polling ones are busy (nested calls, concurrent tasks); idle ones exit after a minute. */
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "verbo-kernels");
        t.setDaemon(true);
        return t;
    });

    static {
        if (CPU && !MODULE) {
            System.err.println("verbo: " + describe() + "; add the JVM option --add-modules=jdk.incubator.vector "
                    + "(scripts/verbo and scripts/submit.sh do) for about 1.5x faster CPU training");
        }
    }

    private Kernels() {
    }

    /** One line for logs and benchmark records: whether the SIMD kernels run, with what vector width. */
    public static String describe() {
        if (!CPU) {
            return "SIMD kernels off (not the ND4J CPU backend)";
        }
        if (!MODULE) {
            return "SIMD kernels off (module jdk.incubator.vector not in this JVM)";
        }
        if (!enabled) {
            return "SIMD kernels off (-Dverbo.vectorKernels=false or switched off)";
        }
        return "SIMD kernels on (JDK Vector API, " + VectorKernels.lanes() + " float lanes, " + threads + " threads; "
                + "products: " + PackedGemm.describe() + ")";
    }

    private static int defaultThreads() {
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            String omp = System.getenv("OMP_NUM_THREADS");
            return omp == null ? cores : Math.max(1, Math.min(cores, Integer.parseInt(omp.trim())));
        } catch (NumberFormatException e) {
            return cores;
        }
    }

    /** {@code -Dverbo.kernelWarmup=false} skips {@link #warmUp(Use)}; {@code -Dverbo.kernelWarmupCalls=N} sizes it. */
    private static final boolean WARMUP = !"false".equals(System.getProperty("verbo.kernelWarmup"));
    private static final int WARMUP_CALLS = Integer.getInteger("verbo.kernelWarmupCalls", 1000);
    private static double warmupSeconds; // all uses together
    private static final java.util.EnumSet<Use> WARMED = java.util.EnumSet.noneOf(Use.class);

    /** What a JVM runs the kernels for, so that {@link #warmUp(Use)} compiles what that work calls and no more. */
    public enum Use {
        /** Forward passes only (encoding, evaluation, generation). */
        INFERENCE,
        /** Training steps: forward, backward, loss, optimizer updates. */
        TRAINING
    }

    /** Below this much work per call (tokens x parameters) the warm-up is skipped: see {@link #warmUpFor}. */
    private static final double WARMUP_MIN_WORK = Double.parseDouble(
            System.getProperty("verbo.kernelWarmupMinWork", "2e9"));

    /**
     * {@link #warmUp(Use)} for a caller whose calls do about {@code tokensTimesParameters} of work (a training step's
     * tokens times the model's parameters). Small models skip it: their kernels run on small arrays, where C2 gets
     * them compiled within a few steps anyway, while the warm-up costs about 3 s per JVM (measured on 2 cores; the
     * demo's tiny model and every JVM of the standalone check paid it for nothing). bench-7m's step is 1.5e10;
     * the default threshold is 2e9 ({@code -Dverbo.kernelWarmupMinWork}). Returns the seconds spent (0 when skipped).
     */
    public static double warmUpFor(double tokensTimesParameters, Use use) {
        return tokensTimesParameters >= WARMUP_MIN_WORK ? warmUp(use) : 0.0;
    }

    /** Seconds this JVM spent in {@link #warmUp(Use)}, all uses (0 before or without it). */
    public static synchronized double warmupSeconds() {
        return warmupSeconds;
    }

    /**
     * Compiles the kernels before first real use (see {@link KernelWarmup} for why): those that {@code use} calls, once
     * per use per JVM (a JVM that encodes and then trains warms the training set when its trainer is built); a no-op
     * when the kernels are off. Returns the seconds this JVM spent warming up, all uses together.
     */
    public static synchronized double warmUp(Use use) {
        if (WARMED.add(use)) {
            long t0 = System.nanoTime();
            if (WARMUP && enabled) {
                boolean training = use == Use.TRAINING;
                // C2 compiles in background threads: keep calling (a tenth of the calls a round) while kernels of
                // this package are still queued or being compiled, so they are compiled, not merely queued, when the
                // first real step starts; at most 20 s (a machine busy with other work)
                KernelWarmup.run(WARMUP_CALLS, training);
                long deadline = System.nanoTime() + 20_000_000_000L;
                int quiet = 0;
                while (quiet < 2 && System.nanoTime() < deadline) {
                    Boolean compiling = KernelWarmup.kernelsInCompileQueue();
                    if (compiling == null) {
                        break;   // no way to see the queue on this JVM: the fixed number of calls has to do
                    }
                    quiet = compiling ? 0 : quiet + 1;
                    KernelWarmup.run(Math.max(1, WARMUP_CALLS / 10), training);
                }
            }
            warmupSeconds += (System.nanoTime() - t0) / 1e9;
        }
        return warmupSeconds;
    }

    /**
     * a . b of two float arrays of one length: the Vector API kernel when the kernels are on, else a plain loop (for
     * callers outside this module, such as the vector store's HNSW scorer, that cannot name the Vector API).
     */
    public static float dot(float[] a, float[] b) {
        sameLength(a, b);
        if (enabled) {
            return VectorKernels.dot(a, b);
        }
        float s = 0f;
        for (int i = 0; i < a.length; i++) {
            s = Math.fma(a[i], b[i], s);
        }
        return s;
    }

    private static void sameLength(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of " + a.length + " and " + b.length + " dimensions");
        }
    }

    /** The cosine of two float arrays of one length (the quotient in double), as {@link #dot}. */
    public static float cosine(float[] a, float[] b) {
        sameLength(a, b);
        if (enabled) {
            return VectorKernels.cosine(a, b);
        }
        float ab = 0f;
        float aa = 0f;
        float bb = 0f;
        for (int i = 0; i < a.length; i++) {
            ab = Math.fma(a[i], b[i], ab);
            aa = Math.fma(a[i], a[i], aa);
            bb = Math.fma(b[i], b[i], bb);
        }
        return (float) (ab / Math.sqrt((double) aa * (double) bb));
    }

    /** Whether the kernels are in use (false when the module is missing or they were switched off). */
    public static boolean enabled() {
        return enabled;
    }

    /**
     * Switches the kernels on or off for this JVM (parity tests, A/B benchmarks); switching on without the module
     * is refused.
     */
    public static void setEnabled(boolean on) {
        if (on && !AVAILABLE) {
            throw new IllegalStateException("the SIMD kernels need the JVM option --add-modules=jdk.incubator.vector");
        }
        enabled = on;
    }

    /** True when the kernels are on and every array is a dense row-major float array small enough for int offsets. */
    static boolean applies(INDArray... xs) {
        if (!enabled) {
            return false;
        }
        for (INDArray x : xs) {
            if (x == null || x.dataType() != DataType.FLOAT || !dense(x) || x.length() >= Integer.MAX_VALUE / 4) {
                return false;
            }
        }
        return true;
    }

    /** Row-major with unit element stride and no gaps (a contiguous view is fine). */
    static boolean dense(INDArray x) {
        if (x.isEmpty() || x.elementWiseStride() != 1) {
            return false;
        }
        if (x.rank() <= 1) {
            return true;   // ND4J reports 'f' ordering for some vector views; a unit-stride vector is dense either way
        }
        if (x.ordering() != 'c') {
            return false;
        }
        long expected = 1;
        for (int d = x.rank() - 1; d >= 0; d--) {
            if (x.size(d) != 1 && x.stride(d) != expected) {
                return false;
            }
            expected *= x.size(d);
        }
        return true;
    }

    /** A native-order ByteBuffer over x's elements, starting at element 0 of x (views included). */
    static ByteBuffer buffer(INDArray x) {
        long bytes = x.length() * x.dataType().width();
        return BatchedMatmul.at(x).capacity(bytes).limit(bytes).asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /**
     * AdamW in one fused pass when the kernels apply (see {@code org.verbo.models.train.AdamW} for the arithmetic and
     * its reference path): p *= decay inside the ranges [decayFrom[i], decayTo[i]) (sorted offsets), m and v updated,
     * p -= stepSize m / (sqrt(v) invSqrtBc2 + eps). Returns false, having done nothing, when they do not apply.
     */
    public static boolean adamw(INDArray p, INDArray g, INDArray m, INDArray v, int[] decayFrom, int[] decayTo,
                                double decay, double beta1, double beta2, double stepSize, double invSqrtBc2,
                                double eps) {
        if (decayFrom == null || !applies(p, g, m, v) || p.length() != g.length() || p.length() != m.length()
                || p.length() != v.length()) {
            return false;
        }
        VectorKernels.adamw(buffer(p), buffer(g), buffer(m), buffer(v), (int) p.length(), decayFrom, decayTo,
                (float) decay, (float) beta1, (float) beta2, (float) stepSize, (float) invSqrtBc2, (float) eps);
        return true;
    }

    /**
     * SGD with momentum and per-tensor step sizes in one fused pass when the kernels apply (SGD-SaI's update, see
     * {@code org.verbo.models.train.SgdSai}): for tensor i on [offsets[i], offsets[i+1]), buf = momentum buf + g;
     * p = p decay[i] - stepSize[i] buf. Returns false, having done nothing, when they do not apply.
     */
    public static boolean sgdMomentum(INDArray p, INDArray g, INDArray buf, double momentum, int[] offsets,
                                      double[] decay, double[] stepSize) {
        if (!applies(p, g, buf) || p.length() != g.length() || p.length() != buf.length()
                || offsets[0] != 0 || offsets[offsets.length - 1] != p.length()) {
            return false;
        }
        float[] d = new float[decay.length];
        float[] st = new float[stepSize.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) decay[i];
            st[i] = (float) stepSize[i];
        }
        VectorKernels.sgdMomentum(buffer(p), buffer(g), buffer(buf), (float) momentum, offsets, d, st);
        return true;
    }

    /** The L2 norm of x: one SIMD pass when the kernels apply, else ND4J's norm2. */
    public static double norm2(INDArray x) {
        if (applies(x)) {
            return Math.sqrt(VectorKernels.sumSquares(buffer(x), (int) x.length()));
        }
        return x.norm2Number().doubleValue();
    }

    /** x + y as a new array (the residual connections): one SIMD pass when the kernels apply, else ND4J's add. */
    public static INDArray add(INDArray x, INDArray y) {
        if (applies(x, y) && java.util.Arrays.equals(x.shape(), y.shape())) {
            INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape());
            VectorKernels.add(buffer(x), buffer(y), buffer(out), (int) x.length());
            return out;
        }
        return x.add(y);
    }

    /**
     * Inference LayerNorm of x [n, c] with weight and bias [c] (torch.nn.LayerNorm's arithmetic, biased variance) as a
     * new array in one SIMD pass per row; null, having done nothing, when the kernels do not apply (the caller's ND4J
     * path is the reference twin).
     */
    public static INDArray layerNorm(INDArray x, INDArray weight, INDArray bias, double eps) {
        if (x.rank() != 2 || !applies(x, weight, bias) || weight.length() != x.size(1) || bias.length() != x.size(1)) {
            return null;
        }
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.shape());
        VectorKernels.layerNormForward(buffer(x), buffer(weight), buffer(bias), buffer(y), (int) x.size(0),
                (int) x.size(1), eps);
        return y;
    }

    /**
     * GEGLU with exact GELU, h [n, f] = u * z * Phi(z) with [u | z] = g + bias, g [n, 2f] and bias [2f]: one SIMD pass
     * (Phi by an erf accurate to 1.5e-7, as PyTorch's CPU kernel); null, having done nothing, when the kernels do not
     * apply.
     */
    public static INDArray geglu(INDArray g, INDArray bias) {
        if (g.rank() != 2 || g.size(1) % 2 != 0 || !applies(g, bias) || bias.length() != g.size(1)) {
            return null;
        }
        int f = (int) (g.size(1) / 2);
        INDArray h = Nd4j.createUninitialized(g.dataType(), g.size(0), f);
        VectorKernels.gegluForward(buffer(g), buffer(bias), buffer(h), (int) g.size(0), f);
        return h;
    }

    /** Softmax over each row of s [rows, cols], in place, in one SIMD pass per row; false when the kernels do not apply. */
    public static boolean softmaxRows(INDArray s) {
        if (s.rank() != 2 || !applies(s)) {
            return false;
        }
        int rows = (int) s.size(0);
        int cols = (int) s.size(1);
        VectorKernels.maskedSoftmax(buffer(s), rows, cols, rows, 0, 1f, false, null, rows);
        return true;
    }

    /** Sets x to zero (one SIMD pass when the kernels apply). */
    public static void zero(INDArray x) {
        if (applies(x)) {
            VectorKernels.zero(buffer(x), (int) x.length());
        } else {
            x.assign(0);
        }
    }

    /**
     * Threads a kernel call splits its work over: this thread's budget when one was set ({@link #setThreadBudget}),
     * else the JVM-wide count. The split decides the rounding of the partial sums, so two runs give the same bits
     * when they use the same budget, whatever the machine's core count.
     */
    static int threads() {
        int own = THREAD_BUDGET.get();
        return own > 0 ? own : threads;
    }

    /** Per-thread budgets: a Spark task sets the cores Spark gave it, and concurrent tasks never share one. */
    private static final ThreadLocal<Integer> THREAD_BUDGET = ThreadLocal.withInitial(() -> 0);

    /**
     * Sets the kernel thread budget of the calling thread only (0 clears it). A Spark task sets
     * {@code spark.task.cpus} here, so a trainer uses the cores it was given and its results do not depend on the
     * executor's core count or on other tasks in the same JVM.
     */
    public static void setThreadBudget(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("thread budget must be >= 0, got " + n);
        }
        THREAD_BUDGET.set(n);
    }

    /** Changes the split (tests exercise several parts on a one-thread machine); results then differ in rounding. */
    static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        threads = n;
    }

    /** Sets the helpers' and callers' polling time (A/B benchmarks: `StepProfile step --ab-spin`); 0 parks at once. */
    public static void setSpinMicros(long micros) {
        if (micros < 0) {
            throw new IllegalArgumentException("spin time must be >= 0 µs, got " + micros);
        }
        spinNanos = micros * 1000L;
    }

    /** -Dverbo.kernelSpinMicros as a number of µs, or -1 when unset (the rule decides). */
    private static long spinProperty() {
        String v = System.getProperty("verbo.kernelSpinMicros");
        if (v == null || v.isBlank()) {
            return -1;
        }
        try {
            long micros = Long.parseLong(v.trim());
            if (micros >= 0) {
                return micros;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-Dverbo.kernelSpinMicros takes microseconds >= 0, got " + v);
    }

    /** The polling time in ns (see {@link #spinNanos}'s field). */
    static long spinNanos() {
        long s = spinNanos;
        if (s < 0) {
            s = SPIN_MICROS_SET >= 0 ? SPIN_MICROS_SET * 1000L : PackedGemm.chosen() ? 200_000L : 0L;
            spinNanos = s;
        }
        return s;
    }

    /** A range task over [from, to). */
    @FunctionalInterface
    interface Range {
        void run(int part, int from, int to);
    }

    /** {@link #parallel(int, int, int, Range)} over at most {@link #threads()} parts. */
    static int parallel(int n, int minPerPart, Range body) {
        return parallel(n, minPerPart, threads(), body);   // the calling task's budget, not the JVM's count
    }

    /**
     * Runs body over [0, n) split into at most maxParts contiguous parts, part p on [n p / k, n (p+1) / k); the
     * caller runs part 0. The split depends only on n and the part count, so per-part partial sums make results
     * reproducible. Below minPerPart items per part it uses fewer parts. Returns the number of parts.
     */
    static int parallel(int n, int minPerPart, int maxParts, Range body) {
        int parts = (int) Math.max(1, Math.min(maxParts, n / (long) Math.max(1, minPerPart)));
        if (parts == 1) {
            body.run(0, 0, n);
            return 1;
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            int part = p;
            int from = (int) ((long) n * p / parts);
            int to = (int) ((long) n * (p + 1) / parts);
            FutureTask<Void> task = new FutureTask<>(() -> {
                try {
                    body.run(part, from, to);
                } finally {
                    Helper.release();                 // idle again before the caller sees the part done
                }
            }, null);
            if (!Helper.offer(task)) {
                POOL.execute(task);
            }
            futures.add(task);
        }
        RuntimeException failure = null;
        try {
            body.run(0, 0, (int) ((long) n / parts));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                long until = System.nanoTime() + spinNanos();
                while (!f.isDone() && System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a kernel", e);
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return parts;
    }

    /**
     * A kernel helper thread that, after each part, polls for the next one for {@link #spinNanos} before it parks.
     * One per core beyond the caller's (the JVM's default thread count - 1), daemons, started on the first parallel
     * call. A part goes to an idle one, else to {@link #POOL}; which thread runs a part changes no result.
     */
    private static final class Helper extends Thread {
        private static volatile Helper[] all;
        private final AtomicReference<Runnable> slot = new AtomicReference<>();
        private volatile boolean parked;

        private Helper(int i) {
            super("verbo-kernels-" + i);
            setDaemon(true);
        }

        /** Hands task to an idle helper (waking it if it parked); false when none is idle or polling is off. */
        static boolean offer(Runnable task) {
            if (spinNanos() == 0) {
                return false;
            }
            for (Helper h : helpers()) {
                if (h.slot.compareAndSet(null, task)) {
                    if (h.parked) {
                        LockSupport.unpark(h);
                    }
                    return true;
                }
            }
            return false;
        }

        /**
         * Called by a part as its last action: the helper running it takes the next part from then on. Before the
         * part's future completes, so a caller that goes straight to its next parallel call finds this helper idle
         * (cleared after the future instead, that call often went to the pool). Not earlier: a part that itself
         * calls {@link Kernels#parallel} must not be handed its own sub-part.
         */
        static void release() {
            if (Thread.currentThread() instanceof Helper h) {
                h.slot.set(null);
            }
        }

        private static Helper[] helpers() {
            Helper[] hs = all;
            if (hs == null) {
                synchronized (Helper.class) {
                    hs = all;
                    if (hs == null) {
                        hs = new Helper[Math.max(0, defaultThreads() - 1)];
                        for (int i = 0; i < hs.length; i++) {
                            hs[i] = new Helper(i);
                            hs[i].start();
                        }
                        all = hs;
                    }
                }
            }
            return hs;
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (true) {
                Runnable task = slot.get();
                if (task != null) {
                    try {
                        task.run();                                  // a FutureTask: failures go to its caller
                    } finally {
                        slot.compareAndSet(task, null);             // if the task did not release() itself
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < spinNanos()) {
                    Thread.onSpinWait();
                } else {
                    parked = true;                                   // offer() unparks after its CAS if this is set
                    if (slot.get() == null) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
