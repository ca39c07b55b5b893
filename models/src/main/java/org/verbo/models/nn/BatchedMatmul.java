package org.verbo.models.nn;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products that call OpenBLAS's {@code cblas_?gemm} directly on ND4J's buffers: {@link #matmul} over rank-3
 * row-major arrays (one call per batch slice) and {@link #gemm} for rank 2. The binding is
 * {@code org.bytedeco.openblas.global.openblas}, i.e. the same {@code libopenblas.so.0} (and thread pool) that
 * libnd4jcpu links; {@code openblas_nolapack} would load a second copy with a second pool of spinning threads.
 * Why: ND4J's rank-3 {@code matmul} runs its own batched loop, which fell to 10-25 GFLOP/s for the attention shapes
 * on a loaded 2-core machine, and direct calls skip ND4J's per-op overhead; end to end the gain is within noise on a
 * quiet machine (docs/PERFORMANCE.md). Anything that is not a dense row-major float/double array on the CPU backend
 * takes the reference twin ({@link #reference}, {@link Nd4j#gemm}); {@code BatchedMatmulTest} holds them equal.
 */
public final class BatchedMatmul {
    /** {@code -Dverbo.directBlas=false} routes every call to the ND4J reference path (A/B runs in docs/PERFORMANCE.md). */
    static final boolean DIRECT = !"false".equals(System.getProperty("verbo.directBlas"))
            && "CpuBackend".equals(Nd4j.getBackend().getClass().getSimpleName());   // host pointers only
    /** {@code -Dverbo.directBatchedBlas=false} routes only the rank-3 calls to ND4J. */
    static final boolean DIRECT_BATCHED = DIRECT && !"false".equals(System.getProperty("verbo.directBatchedBlas"));
    /** {@code -Dverbo.gemmStats=true} accumulates wall time and FLOPs of the direct calls (profiling only). */
    public static final boolean STATS = Boolean.getBoolean("verbo.gemmStats");
    private static final java.util.concurrent.atomic.AtomicLongArray STAT =
            new java.util.concurrent.atomic.AtomicLongArray(4);

    /** [2-D nanos, 2-D flops, batched nanos, batched flops] since the last reset (zeros unless verbo.gemmStats). */
    public static long[] stats(boolean reset) {
        long[] out = new long[4];
        for (int i = 0; i < 4; i++) {
            out[i] = reset ? STAT.getAndSet(i, 0) : STAT.get(i);
        }
        return out;
    }

    private static final java.util.Map<String, long[]> BY_SHAPE = new java.util.concurrent.ConcurrentSkipListMap<>();

    private static void record(int slot, long t0, double flops) {
        STAT.addAndGet(slot, System.nanoTime() - t0);
        STAT.addAndGet(slot + 1, (long) flops);
    }

    private static void recordShape(String shape, long t0, double flops) {
        long[] s = BY_SHAPE.computeIfAbsent(shape, k -> new long[3]);
        synchronized (s) {
            s[0] += System.nanoTime() - t0;
            s[1] += (long) flops;
            s[2]++;
        }
    }

    /** Per GEMM shape ("2d m x n x k ta tb" or "batched b x m x n x k ...") {nanos, flops, calls} (verbo.gemmStats). */
    public static java.util.Map<String, long[]> shapeStats(boolean reset) {
        java.util.Map<String, long[]> out = new java.util.TreeMap<>();
        BY_SHAPE.forEach((k, v) -> out.put(k, v.clone()));
        if (reset) {
            BY_SHAPE.clear();
        }
        return out;
    }

    private BatchedMatmul() {
    }

    /** Reference twin: ND4J's own batched matmul. */
    public static INDArray reference(INDArray a, INDArray b, boolean transA, boolean transB) {
        return Nd4j.matmul(a, b, transA, transB, false);
    }

    /** a [B, M, K] (or [B, K, M] if transA), b [B, K, N] (or [B, N, K] if transB) -> new [B, M, N]. */
    public static INDArray matmul(INDArray a, INDArray b, boolean transA, boolean transB) {
        DataType dt = a.dataType();
        if (!DIRECT_BATCHED || a.rank() != 3 || b.rank() != 3 || dt != b.dataType()
                || (dt != DataType.FLOAT && dt != DataType.DOUBLE) || !Kernels.dense(a) || !Kernels.dense(b)) {
            return reference(a, b, transA, transB);
        }
        long batch = a.size(0);
        int m = (int) (transA ? a.size(2) : a.size(1));
        int k = (int) (transA ? a.size(1) : a.size(2));
        int n = (int) (transB ? b.size(1) : b.size(2));
        int kb = (int) (transB ? b.size(2) : b.size(1));
        if (b.size(0) != batch || kb != k) {
            throw new IllegalArgumentException("matmul shapes " + java.util.Arrays.toString(a.shape()) + " x "
                    + java.util.Arrays.toString(b.shape()) + " do not agree");
        }
        INDArray c = Nd4j.createUninitialized(dt, new long[]{batch, m, n}, 'c');
        int lda = (int) a.size(2);
        int ldb = (int) b.size(2);
        int ta = transA ? openblas.CblasTrans : openblas.CblasNoTrans;
        int tb = transB ? openblas.CblasTrans : openblas.CblasNoTrans;
        long sa = a.size(1) * a.size(2);
        long sb = b.size(1) * b.size(2);
        long sc = (long) m * n;
        long t0 = STATS ? System.nanoTime() : 0;
        Pointer ra = at(a);
        Pointer rb = at(b);
        Pointer rc = at(c);
        // One threaded sgemm per slice. (One single-threaded sgemm per core over a split of the slices measured the
        // same on 2 cores, docs/PERFORMANCE.md, so the simple loop stays.)
        slices(dt, ra, rb, rc, 0, batch, ta, tb, m, n, k, lda, ldb, sa, sb, sc);
        if (STATS) {
            record(2, t0, 2.0 * batch * m * n * k);
            recordShape(String.format("batched %d x %d x %d x %d %s%s", batch, m, n, k, transA ? "T" : "N",
                    transB ? "T" : "N"), t0, 2.0 * batch * m * n * k);
        }
        return c;
    }

    /**
     * 2-D GEMM c = alpha op(a) op(b) + beta c straight into OpenBLAS for dense row-major float/double arrays (c null:
     * a new array, beta ignored); anything else goes through {@link Nd4j#gemm}, the reference twin. Why: with
     * row-major operands libnd4j 1.0.0-M2.1 copies some transposed operands to column-major before calling BLAS.
     */
    public static INDArray gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
                                double beta) {
        DataType dt = a.dataType();
        boolean direct = DIRECT && a.rank() == 2 && b.rank() == 2 && dt == b.dataType()
                && (dt == DataType.FLOAT || dt == DataType.DOUBLE) && Kernels.dense(a) && Kernels.dense(b)
                && (c == null || (c.dataType() == dt && c.rank() == 2 && Kernels.dense(c)));
        int m = (int) (transA ? a.size(1) : a.size(0));
        int k = (int) (transA ? a.size(0) : a.size(1));
        int n = (int) (transB ? b.size(0) : b.size(1));
        if (!direct || (transB ? b.size(1) : b.size(0)) != k || (c != null && (c.size(0) != m || c.size(1) != n))) {
            return c == null ? Nd4j.gemm(a, b, transA, transB) : Nd4j.gemm(a, b, c, transA, transB, alpha, beta);
        }
        if (c == null) {
            c = Nd4j.createUninitialized(dt, new long[]{m, n}, 'c');
            beta = 0.0;
        }
        int ta = transA ? openblas.CblasTrans : openblas.CblasNoTrans;
        int tb = transB ? openblas.CblasTrans : openblas.CblasNoTrans;
        int lda = (int) a.size(1);
        int ldb = (int) b.size(1);
        long t0 = STATS ? System.nanoTime() : 0;
        if (alpha == 1.0 && (beta == 0.0 || beta == 1.0) && packs(a, b, transA, transB)) {
            PackedGemm.gemm(Kernels.buffer(a), transA, Kernels.buffer(b), transB, Kernels.buffer(c), m, n, k,
                    beta == 1.0);
        } else if (dt == DataType.FLOAT) {
            openblas.cblas_sgemm(openblas.CblasRowMajor, ta, tb, m, n, k, (float) alpha,
                    new FloatPointer(at(a)), lda, new FloatPointer(at(b)), ldb, (float) beta, new FloatPointer(at(c)), n);
        } else {
            openblas.cblas_dgemm(openblas.CblasRowMajor, ta, tb, m, n, k, alpha,
                    new DoublePointer(at(a)), lda, new DoublePointer(at(b)), ldb, beta, new DoublePointer(at(c)), n);
        }
        if (STATS) {
            record(0, t0, 2.0 * m * n * k);
            recordShape(String.format("2d %d x %d x %d %s%s%s", m, n, k, transA ? "T" : "N", transB ? "T" : "N",
                    beta != 0 ? " +C" : ""), t0, 2.0 * m * n * k);
        }
        return c;
    }

    /** Runs a product fused with other work, counted under {@code shape} in the {@code -Dverbo.gemmStats} tables. */
    static void timed(String shape, double flops, Runnable product) {
        long t0 = STATS ? System.nanoTime() : 0;
        product.run();
        if (STATS) {
            record(0, t0, flops);
            recordShape(shape, t0, flops);
        }
    }

    /**
     * Whether {@link #gemm}(a, b, c, transA, transB, 1, 0 or 1) runs in {@link PackedGemm} (float, dense, rank 2, a
     * shape worth packing, the packed GEMM chosen): gemm's own rule, and callers that fuse work into a product need
     * its exact arithmetic. Kernels.enabled() before PackedGemm: without the Vector API module that class cannot load.
     */
    static boolean packs(INDArray a, INDArray b, boolean transA, boolean transB) {
        if (!DIRECT || a.rank() != 2 || b.rank() != 2 || a.dataType() != DataType.FLOAT
                || b.dataType() != DataType.FLOAT || !Kernels.enabled() || !Kernels.dense(a) || !Kernels.dense(b)
                || !PackedGemm.chosen()) {
            return false;
        }
        int k = (int) (transA ? a.size(0) : a.size(1));
        if ((transB ? b.size(1) : b.size(0)) != k) {
            return false;
        }
        return PackedGemm.worthIt((int) (transA ? a.size(1) : a.size(0)), (int) (transB ? b.size(0) : b.size(1)), k);
    }

    /**
     * Inference SwiGLU of a fused gate|up projection: h [m, F] = silu(g) u with [g | u] = a w^T, a [m, C], w [2F, C];
     * null when {@link #packs} does not hold (the caller then takes the unfused path, its reference twin).
     */
    static INDArray swiGlu(INDArray a, INDArray w) {
        if (!packs(a, w, false, true) || w.size(0) % 2 != 0 || a.size(1) > PackedGemm.MAX_K) {
            return null;
        }
        int m = (int) a.size(0);
        int n = (int) w.size(0);
        int k = (int) a.size(1);
        INDArray h = Nd4j.createUninitialized(DataType.FLOAT, m, n / 2);
        long t0 = STATS ? System.nanoTime() : 0;
        PackedGemm.gemmSwiGlu(Kernels.buffer(a), Kernels.buffer(w), true, Kernels.buffer(h), m, n, k);
        if (STATS) {
            record(0, t0, 2.0 * m * n * k);
            recordShape(String.format("2d %d x %d x %d NT swiglu", m, n, k), t0, 2.0 * m * n * k);
        }
        return h;
    }

    /** The three shapes of {@link #causal}: which products of causal attention it computes. */
    public enum Causal {
        /** a [S, G*T, D] (queries or dO), b [S, T, D] (keys or values) -> a b^T [S, G*T, T]: scores, dP. */
        SCORES,
        /** a [S, G*T, T] (probabilities or dS), b [S, T, D] -> a b [S, G*T, D]: output, dQ. */
        MIX,
        /** a [S, G*T, T] (probabilities or dS), b [S, G*T, D] (dO or queries) -> a^T b [S, T, D] summed over G: dV, dK. */
        KEYS
    }

    /**
     * {@code -Dverbo.attentionBlock=N}: query/key block size of {@link #causal} (0: whole slices, no skipping).
     */
    private static volatile int attentionBlock = Integer.getInteger("verbo.attentionBlock", 128);

    /** Changes the block size of {@link #causal} (tests use small blocks on short sequences); 0 = whole slices. */
    static void setAttentionBlock(int rows) {
        attentionBlock = rows;
    }

    static int attentionBlock() {
        return attentionBlock;
    }

    /**
     * Causal attention's batched products computed only where the causal mask lets a value through: query rows of
     * block i meet keys of blocks 0..i only, so with two blocks of 128 over T = 256 a product does 3/4 of the work
     * of the full one (the mask's upper triangle is never multiplied). Entries of a SCORES result above the block
     * diagonal are left unset: the causal softmax kernels read only keys j <= i and write the rest. Float, dense
     * row-major, direct BLAS only; the reference twin is the full {@link #matmul} ({@code VectorKernelsTest}). Causal
     * mask only: under a bidirectional mask the upper triangle carries weight, and {@code CausalSelfAttention} takes
     * the full products (a key-padding mask on top of the causal one is fine: it only zeroes more entries).
     *
     * @param t      sequence length T
     * @param groups query heads per key/value head G (a's middle dimension is G*T)
     */
    public static INDArray causal(Causal kind, INDArray a, INDArray b, int t, int groups) {
        long slices = a.size(0);
        int d = (int) (kind == Causal.MIX ? b.size(2) : kind == Causal.KEYS ? b.size(2) : a.size(2));
        int gt = groups * t;
        int block = attentionBlock;
        int bs = block <= 0 ? t : Math.min(t, block);
        if (a.size(1) != gt) {
            throw new IllegalArgumentException("causal product: a has " + a.size(1) + " rows per slice, expected G*T = "
                    + gt);
        }
        if (!DIRECT_BATCHED || a.dataType() != DataType.FLOAT || b.dataType() != DataType.FLOAT || !Kernels.dense(a)
                || !Kernels.dense(b)) {
            // the full products; the masked entries of probabilities and dS are zeros, so the results agree
            return switch (kind) {
                case SCORES -> matmul(a, b, false, true);
                case MIX -> matmul(a, b, false, false);
                case KEYS -> matmul(a, b, true, false);   // K = G*T sums the group
            };
        }
        long[] shape = switch (kind) {
            case SCORES -> new long[]{slices, gt, t};
            case MIX -> new long[]{slices, gt, d};
            case KEYS -> new long[]{slices, t, d};
        };
        INDArray c = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        FloatPointer pa = new FloatPointer(at(a));
        FloatPointer pb = new FloatPointer(at(b));
        FloatPointer pc = new FloatPointer(at(c));
        long sa = a.size(1) * a.size(2);
        long sb = b.size(1) * b.size(2);
        long sc = shape[1] * shape[2];
        int nt = openblas.CblasNoTrans;
        int tr = openblas.CblasTrans;
        int rm = openblas.CblasRowMajor;
        long t0 = STATS ? System.nanoTime() : 0;
        double flops = 0;
        for (long s = 0; s < slices; s++) {
            for (int g = 0; g < groups; g++) {
                for (int r0 = 0; r0 < t; r0 += bs) {
                    int r1 = Math.min(t, r0 + bs);
                    long row = (long) g * t + r0;
                    switch (kind) {
                        case SCORES -> {   // C[rows r0..r1, keys 0..r1) = A[rows] B[keys 0..r1)^T
                            openblas.cblas_sgemm(rm, nt, tr, r1 - r0, r1, d, 1f, pa.position(s * sa + row * d), d,
                                    pb.position(s * sb), d, 0f, pc.position(s * sc + row * t), t);
                            flops += 2.0 * (r1 - r0) * r1 * d;
                        }
                        case MIX -> {      // C[rows r0..r1] = A[rows, keys 0..r1) B[keys 0..r1)
                            openblas.cblas_sgemm(rm, nt, nt, r1 - r0, d, r1, 1f, pa.position(s * sa + row * t), t,
                                    pb.position(s * sb), d, 0f, pc.position(s * sc + row * d), d);
                            flops += 2.0 * (r1 - r0) * r1 * d;
                        }
                        case KEYS -> {     // C[keys r0..r1] (+)= A[rows r0..T, keys r0..r1)^T B[rows r0..T]
                            openblas.cblas_sgemm(rm, tr, nt, r1 - r0, d, t - r0, 1f,
                                    pa.position(s * sa + row * t + r0), t, pb.position(s * sb + row * d), d,
                                    g == 0 ? 0f : 1f, pc.position(s * sc + (long) r0 * d), d);
                            flops += 2.0 * (r1 - r0) * (t - r0) * d;
                        }
                        default -> throw new IllegalStateException(kind.toString());
                    }
                }
            }
        }
        if (STATS) {
            record(2, t0, flops);
            recordShape(String.format("causal %s %d slices T=%d D=%d block %d", kind, slices, t, d, bs), t0, flops);
        }
        return c;
    }

    /** Slices [from, to) of one batched product, each a single cblas call. */
    private static void slices(DataType dt, Pointer ra, Pointer rb, Pointer rc, long from, long to, int ta, int tb, int m,
                               int n, int k, int lda, int ldb, long sa, long sb, long sc) {
        if (dt == DataType.FLOAT) {
            FloatPointer pa = new FloatPointer(ra);
            FloatPointer pb = new FloatPointer(rb);
            FloatPointer pc = new FloatPointer(rc);
            for (long i = from; i < to; i++) {
                openblas.cblas_sgemm(openblas.CblasRowMajor, ta, tb, m, n, k, 1f,
                        pa.position(i * sa), lda, pb.position(i * sb), ldb, 0f, pc.position(i * sc), n);
            }
        } else {
            DoublePointer pa = new DoublePointer(ra);
            DoublePointer pb = new DoublePointer(rb);
            DoublePointer pc = new DoublePointer(rc);
            for (long i = from; i < to; i++) {
                openblas.cblas_dgemm(openblas.CblasRowMajor, ta, tb, m, n, k, 1.0,
                        pa.position(i * sa), lda, pb.position(i * sb), ldb, 0.0, pc.position(i * sc), n);
            }
        }
    }

    /** A raw pointer to element 0 of x (a view's buffer already starts at its offset). */
    static Pointer at(INDArray x) {
        Pointer base = x.data().addressPointer();
        long addr = base.address() + base.position() * x.dataType().width();   // a view's buffer already starts at its offset
        return new Pointer() {
            {
                address = addr;
            }
        };
    }
}
