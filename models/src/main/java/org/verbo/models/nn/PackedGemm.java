package org.verbo.models.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Locale;

/**
 * Float GEMM c = a op(b) (+ c) in the JDK Vector API, for CPUs whose vectors are wider than the BLAS kernels OpenBLAS
 * was told to use. Why by hand: OpenBLAS follows {@code OPENBLAS_CORETYPE}, and a machine that sets it to an AVX2 core
 * (Haswell, Zen) on an AVX-512 CPU gets half the vector width in every product; this GEMM uses the JVM's vectors
 * instead. On the family-26 AMD EPYC (AVX-512, {@code OPENBLAS_CORETYPE=Haswell}) one thread ran the encoder's
 * projection shapes (1312 x 256..2048 x 256..688, packing included) at 139-169 GFLOP/s against OpenBLAS's 100-106 with
 * the Haswell kernels (and 160-185 with its own AVX-512 ones); hence the rule in {@link #chosen()}: used only where
 * OpenBLAS is held below the JVM's vector width (docs/PERFORMANCE.md, "Packed GEMM").
 * <p>
 * Layout (the Goto/BLIS scheme, reduced to what these shapes need): op(b) [k, n] is packed into panels of {@link #NR}
 * = 4 vectors of columns, each panel k rows of NR floats, the last one zero-padded; a 6-row x 4-vector register block
 * (24 accumulators, 4 loads of b and 6 broadcasts of a per step of k) walks each panel, rows of a taken in chunks that
 * stay in cache while every panel passes over them. Panels and row chunks are heap arrays: the same loop reading a
 * direct buffer ran at 110-130 GFLOP/s (a bounds and scope check per load).
 * <p>
 * Every element of c is one fused multiply-add chain over k in order 0..k-1 (then + c when accumulating), computed by
 * one thread: results do not depend on the thread count or the split. An inner dimension above {@link #MAX_K} runs in
 * passes, each a chain over its part of k added to what c holds (the first pass adds c only when accumulating).
 * Results differ from OpenBLAS's in rounding only; {@code PackedGemmTest} holds them to the product in double precision
 * and to OpenBLAS, and {@link BatchedMatmul}'s ND4J path stays the reference twin.
 */
public final class PackedGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Columns per packed panel: 4 vectors (64 floats with AVX-512). */
    static final int NR = 4 * L;
    /**
     * Rows per register block: 6 rows x 4 vectors = 24 accumulators, with the 4 panel vectors and a broadcast 29 of
     * AVX-512's 32 registers. Against 4 rows (16 accumulators, 8 loads per 16 FMAs instead of 10 per 24) the bench-7m
     * encoder's products ran at 149-164 against 130-145 GFLOP/s in situ on one Zen 5 core (three alternating JVM
     * pairs, `-Dverbo.gemmStats=true`); the values are the same bits, as every element keeps one fma chain over k.
     */
    private static final int MR = 6;
    /** Floats of a per cache chunk of rows: 128 KB, in L2 while every panel passes over it (21 blocks at k = 256). */
    private static final int CHUNK_FLOATS = 32 * 1024;
    /**
     * Floats of a thread's rows of a^T copied at once (1 MB, a group of chunks; see packRowsT): runs of 250+ rows at
     * k = 1024, where the copies' cost no longer shows, in 1 MB of scratch per thread.
     */
    private static final int GROUP_FLOATS = 1 << 18;
    /** Floats added to a^T's row stride where it would be a multiple of 1 KB (see strideT). */
    private static final int STRIDE_PAD = 16;
    /**
     * The longest k of one pass: a panel is k x NR floats (256 KB at k = 1024 with AVX-512) and has to stay in L2
     * while the row blocks pass. Longer products (training's weight gradients, k = the batch's tokens; the LM head's
     * dx, k = vocabulary) run in passes of at most this many.
     */
    public static final int MAX_K = 1536;

    /** {@code -Dverbo.gemm=auto|packed|blas}: auto follows {@link #chosen()}'s rule. */
    private static final String MODE = System.getProperty("verbo.gemm", "auto").trim().toLowerCase(Locale.ROOT);
    private static volatile Boolean forced;

    private PackedGemm() {
    }

    /**
     * Whether products go through this GEMM: {@code -Dverbo.gemm=packed} (with the kernels on), never with
     * {@code blas}; with {@code auto} (the default) when the JVM's vectors are 512 bits and {@code OPENBLAS_CORETYPE}
     * names a core without OpenBLAS's AVX-512 SGEMM kernels (they exist for SkylakeX, Cooperlake and SapphireRapids
     * in OpenBLAS 0.3.21). Unset, OpenBLAS picks its kernels by CPUID, and its own AVX-512 kernels are faster than
     * this one, so BLAS stays. A rule on the configuration, not a timing: a choice by measured speed could differ
     * between two executors and with it the bits of their results.
     */
    public static boolean chosen() {
        Boolean f = forced;
        if (f != null) {
            return f && Kernels.enabled();
        }
        return switch (MODE) {
            case "packed" -> Kernels.enabled();
            case "blas" -> false;
            default -> Kernels.enabled() && L >= 16 && blasHeldBelowAvx512(System.getenv("OPENBLAS_CORETYPE"));
        };
    }

    /** OPENBLAS_CORETYPE set to a core whose SGEMM kernels are narrower than AVX-512. */
    static boolean blasHeldBelowAvx512(String coreType) {
        if (coreType == null || coreType.isBlank()) {
            return false;
        }
        String t = coreType.trim().toLowerCase(Locale.ROOT);
        return !(t.equals("skylakex") || t.equals("cooperlake") || t.equals("sapphirerapids"));
    }

    /** Forces the choice for this JVM (tests, A/B benchmarks); null returns to the rule. */
    public static void force(Boolean packed) {
        forced = packed;
    }

    /** One line for benchmark records. */
    public static String describe() {
        return chosen() ? "packed Vector API GEMM (" + L + " lanes)" : "OpenBLAS GEMM";
    }

    /** Shapes worth packing (a full register block of rows, a vector of columns) with int offsets. */
    static boolean worthIt(int m, int n, int k) {
        long most = Integer.MAX_VALUE / 4 - 64;
        return m >= MR && n >= L && k >= 8 && (long) m * n < most && (long) m * k < most && (long) n * k < most
                && (long) ((n + NR - 1) / NR) * NR * Math.min(k, MAX_K) < most;
    }

    /**
     * c [m, n] = a [m, k] op(b) (+ c when accumulate); op(b) = b^T for b [n, k] (transB), else b [k, n]. All three are
     * dense row-major float buffers (native order).
     */
    static void gemm(ByteBuffer a, ByteBuffer b, boolean transB, ByteBuffer c, int m, int n, int k, boolean accumulate) {
        gemm(a, false, b, transB, c, m, n, k, accumulate);
    }

    /**
     * c [m, n] = op(a) op(b) (+ c when accumulate); op(a) = a^T for a [k, m] (transA: training's weight gradients,
     * dy^T x), else a [m, k]. An inner dimension above {@link #MAX_K} runs in passes of at most MAX_K (as equal as
     * possible), each adding into c: an element is then one fma chain per pass, the passes added in order, whatever
     * the thread count.
     */
    static void gemm(ByteBuffer a, boolean transA, ByteBuffer b, boolean transB, ByteBuffer c, int m, int n, int k,
                     boolean accumulate) {
        int passes = (k + MAX_K - 1) / MAX_K;
        int kc = (k + passes - 1) / passes;
        for (int k0 = 0; k0 < k; k0 += kc) {
            pass(a, transA, b, transB, c, m, n, k, k0, Math.min(kc, k - k0), accumulate || k0 > 0, PLAIN);
        }
    }

    /**
     * SwiGLU on the product, for inference: h [m, n/2] = silu(g) * u where [g | u] = a op(b) [m, n], gate columns
     * first (a fused gate|up weight). The same bits as this GEMM into a [m, n] array followed by
     * {@link VectorKernels#swigluForward}, without writing the [m, n] product out and reading it back: each chunk of
     * rows is turned into h while it is still in cache.
     */
    static void gemmSwiGlu(ByteBuffer a, ByteBuffer b, boolean transB, ByteBuffer h, int m, int n, int k) {
        if (n % 2 != 0 || k > MAX_K) {
            throw new IllegalArgumentException("a gate|up product has an even column count and one pass of k (at most "
                    + MAX_K + "), got n = " + n + ", k = " + k);
        }
        pass(a, false, b, transB, h, m, n, k, 0, k, false, (rows, r0, count, cols, out) -> {
            int f = cols / 2;
            float[] hRows = scratch(CHUNK_H, count * f);
            VectorKernels.swigluRows(rows, count, f, hRows);
            out.put(r0 * f, hRows, 0, count * f);
        });
    }

    /**
     * How a chunk of finished rows of the product leaves the pass, while the rows are in cache: the GEMM stores them as
     * they are ({@link #PLAIN}); the fused products turn them into what they store instead.
     */
    interface ChunkStore {
        /** rows [count, n] (heap, may be rewritten) are rows r0..r0+count-1 of the product; out is the output buffer. */
        void store(float[] rows, int r0, int count, int n, FloatBuffer out);
    }

    /** The product's rows into c [m, n]. */
    private static final ChunkStore PLAIN = (rows, r0, count, n, out) -> out.put(r0 * n, rows, 0, count * n);

    /**
     * The LM head's logits with the cross-entropy applied chunk by chunk while the rows are in cache: c [m, n] gets
     * dL/dlogits of {@code gradScale * sum of token losses} (what {@link VectorKernels#crossEntropy} writes over the
     * logits), rowLoss[r] the loss of row r (0 for an ignored target). The same bits as this GEMM into c followed by
     * crossEntropy on c: each row's values are those the GEMM would have stored, and the row goes through the same
     * vector ops ({@link VectorKernels#crossEntropyRows}). What it saves: the [m, n] logits (64 MB at bench-7m) written
     * out, read back and written again.
     */
    static void gemmCrossEntropy(ByteBuffer a, ByteBuffer b, boolean transB, ByteBuffer c, int m, int n, int k,
                                 int[] targets, float gradScale, double[] rowLoss) {
        if (k > MAX_K) {
            throw new IllegalArgumentException("a fused cross-entropy product has one pass of k (at most " + MAX_K
                    + "), got k = " + k);
        }
        pass(a, false, b, transB, c, m, n, k, 0, k, false, (rows, r0, count, cols, out) -> {
            VectorKernels.crossEntropyRows(rows, r0, count, cols, targets, gradScale, rowLoss);
            PLAIN.store(rows, r0, count, cols, out);
        });
    }

    /** One pass over k0..k0+kb of the inner dimension k (all of it when kb = k). */
    private static void pass(ByteBuffer a, boolean transA, ByteBuffer b, boolean transB, ByteBuffer c, int m, int n,
                             int k, int k0, int kb, boolean accumulate, ChunkStore store) {
        int panels = (n + NR - 1) / NR;
        float[] p = scratch(PANELS, panels * kb * NR);
        if (transB) {
            Kernels.parallel(panels, 4, (part, from, to) -> {
                for (int q = from; q < to; q++) {
                    packTransposed(b, n, k, k0, kb, q, p);
                }
            });
        } else {
            // split along k: at 256 columns there are only 4 panels, and one thread packed all of b (2-8 MB in the
            // weight gradients and the LM head's dx) while the other waited
            Kernels.parallel(kb, 64, (part, from, to) -> packRows(b, n, k0, kb, from, to, p));
        }
        int blocks = (m + MR - 1) / MR;
        int chunkBlocks = Math.max(1, CHUNK_FLOATS / (MR * kb));
        // transA: a thread packs its rows of a once per group of chunks (see packRowsT), not per chunk
        int groupBlocks = transA ? chunkBlocks * Math.max(1, GROUP_FLOATS / (chunkBlocks * MR * kb)) : chunkBlocks;
        Kernels.parallel(blocks, 8, (part, from, to) -> {
            float[] tile = new float[MR * NR];
            // a chunk's rows of a and of c live in heap arrays, moved in and out in bulk: a heap array's loads and
            // stores are plain, where a direct buffer's carry a bounds and a scope check each (the kernel ran at
            // 110-130 GFLOP/s on buffers, and storing through one cost a tenth of the product's time)
            // transA: a group's stride is at most its rows + STRIDE_PAD (strideT), whatever the group's size
            float[] rowsOfA = scratch(CHUNK_A, (transA ? groupBlocks * MR + STRIDE_PAD : chunkBlocks * MR) * kb);
            float[] rowsOfC = scratch(CHUNK_C, chunkBlocks * MR * n);
            float[] oldC = accumulate ? scratch(CHUNK_OLD_C, chunkBlocks * MR * n) : null;
            FloatBuffer af = a.asFloatBuffer();
            FloatBuffer cf = c.asFloatBuffer();
            int g0 = from;
            int stride = 0;
            for (int c0 = from; c0 < to; c0 += chunkBlocks) {
                int c1 = Math.min(to, c0 + chunkBlocks);
                int r0 = c0 * MR;
                int rows = Math.min(m, c1 * MR) - r0;
                if (!transA) {
                    rowsOfA(af, k, k0, kb, r0, rows, rowsOfA);
                } else if ((c0 - from) % groupBlocks == 0) {
                    g0 = c0;
                    stride = packRowsT(af, m, k0, kb, g0, Math.min(to, g0 + groupBlocks), rowsOfA);
                }
                for (int q = 0; q < panels; q++) {
                    int j0 = q * NR;
                    int cols = Math.min(NR, n - j0);
                    int pOff = q * kb * NR;
                    for (int blk = c0; blk < c1; blk++) {
                        int ri = blk * MR - r0;                      // the block's first row within the chunk
                        int rb = Math.min(MR, rows - ri);
                        if (transA) {
                            // the group's [kb, stride] rows, a last partial block's missing rows zero: the 6-row kernel
                            int a0 = (blk - g0) * MR;
                            if (rb == MR && cols == NR) {
                                blockT(rowsOfA, a0, stride, kb, p, pOff, rowsOfC, ri * n + j0, n);
                                continue;
                            }
                            blockT(rowsOfA, a0, stride, kb, p, pOff, tile, 0, NR);
                        } else if (rb == MR && cols == NR) {
                            block(rowsOfA, ri * kb, kb, p, pOff, rowsOfC, ri * n + j0, n);
                            continue;
                        } else if (rb == MR) {
                            // a last panel narrower than NR: through the tile, valid columns only
                            block(rowsOfA, ri * kb, kb, p, pOff, tile, 0, NR);
                        } else {
                            // the last rows
                            rows(rowsOfA, ri * kb, rb, kb, p, pOff, tile);
                        }
                        for (int i = 0; i < rb; i++) {
                            System.arraycopy(tile, i * NR, rowsOfC, (ri + i) * n + j0, cols);
                        }
                    }
                }
                if (accumulate) {
                    cf.get(r0 * n, oldC, 0, rows * n);
                    for (int i = 0; i < rows * n; i++) {
                        rowsOfC[i] += oldC[i];
                    }
                }
                store.store(rowsOfC, r0, rows, n, cf);
            }
        });
    }

    /** Rows r0..r0+rows of a [m, k], columns k0..k0+kb, into dst [rows, kb]: one bulk copy (one per row for part of k). */
    private static void rowsOfA(FloatBuffer af, int k, int k0, int kb, int r0, int rows, float[] dst) {
        if (kb == k) {
            af.get(r0 * k, dst, 0, rows * k);
        } else {
            for (int i = 0; i < rows; i++) {
                af.get((r0 + i) * k + k0, dst, i * kb, kb);
            }
        }
    }

    /**
     * Blocks g0..g1 of op(a) = a^T for a [k, m] (training's weight gradients), steps k0..k0+kb, as {@link #blockT}
     * reads them: dst [kb, stride], step kk's run of the group's rows at kk stride, the rows of a last partial block
     * zero (so it runs in the 6-row kernel too). One bulk copy per step of the whole group's run (a group's rows share
     * a thread): copying each chunk's 30-row run per step instead (1,024 short copies a chunk) held the o projection's
     * dW (256 x 2048 x 256, two threads) to 130 GFLOP/s against 190 now, and the qkv one to 190 against 250-265
     * (`StepProfile packed`). A transpose into [rows, kb] ran the weight gradients at half of OpenBLAS's speed, its
     * writes 4 KB apart. Returns the stride ({@link #strideT} of the group's rows rounded up to whole blocks).
     */
    private static int packRowsT(FloatBuffer af, int m, int k0, int kb, int g0, int g1, float[] dst) {
        int r0 = g0 * MR;
        int rows = Math.min(m, g1 * MR) - r0;
        int padded = (g1 - g0) * MR;
        int stride = strideT(padded);
        for (int kk = 0; kk < kb; kk++) {
            af.get((k0 + kk) * m + r0, dst, kk * stride, rows);
            if (rows < padded) {
                java.util.Arrays.fill(dst, kk * stride + rows, kk * stride + padded, 0f);
            }
        }
        return stride;
    }

    /**
     * packRowsT's row stride for a group of {@code padded} rows (whole blocks): plus {@link #STRIDE_PAD} floats where
     * that is a multiple of 256 floats (1 KB), so that successive steps of k do not fall into the same cache sets.
     */
    private static int strideT(int padded) {
        return padded % 256 == 0 ? padded + STRIDE_PAD : padded;
    }

    /** Per thread, reused (grown when short): the caller's packed panels, a worker's rows of a, rows of b being packed. */
    private static final ThreadLocal<float[]> PANELS = new ThreadLocal<>();
    private static final ThreadLocal<float[]> CHUNK_A = new ThreadLocal<>();
    private static final ThreadLocal<float[]> CHUNK_C = new ThreadLocal<>();
    private static final ThreadLocal<float[]> CHUNK_OLD_C = new ThreadLocal<>();
    private static final ThreadLocal<float[]> CHUNK_H = new ThreadLocal<>();
    private static final ThreadLocal<float[]> ROWS = new ThreadLocal<>();

    /**
     * Panel q of the pass k0..k0+kb for b [n, k] (op(b) = b^T): rows kk = 0..kb-1 of NR floats, b[q NR + j, k0 + kk],
     * zero past column n.
     */
    private static void packTransposed(ByteBuffer b, int n, int k, int k0, int kb, int q, float[] p) {
        int j0 = q * NR;
        int cols = Math.min(NR, n - j0);
        int base = q * kb * NR;
        FloatBuffer bf = b.asFloatBuffer();
        // column j of op(b) is row j of b, read along k
        float[] rows = scratch(ROWS, cols * kb);
        if (kb == k) {
            bf.get(j0 * k, rows, 0, cols * k);
        } else {
            for (int j = 0; j < cols; j++) {
                bf.get((j0 + j) * k + k0, rows, j * kb, kb);
            }
        }
        for (int j = 0; j < cols; j++) {
            for (int kk = 0; kk < kb; kk++) {
                p[base + kk * NR + j] = rows[j * kb + kk];
            }
        }
        if (cols < NR) {
            for (int kk = 0; kk < kb; kk++) {
                java.util.Arrays.fill(p, base + kk * NR + cols, base + (kk + 1) * NR, 0f);
            }
        }
    }

    /**
     * Rows from..to of every panel of the pass k0..k0+kb for b [k, n]: row kk of panel q is the run of b's row k0 + kk
     * at column q NR (zero past column n). One bulk copy of b's row, then a heap copy per panel.
     */
    private static void packRows(ByteBuffer b, int n, int k0, int kb, int from, int to, float[] p) {
        FloatBuffer bf = b.asFloatBuffer();
        float[] row = scratch(ROWS, n);
        int panels = (n + NR - 1) / NR;
        for (int kk = from; kk < to; kk++) {
            bf.get((k0 + kk) * n, row, 0, n);
            for (int q = 0; q < panels; q++) {
                int j0 = q * NR;
                int cols = Math.min(NR, n - j0);
                int dst = q * kb * NR + kk * NR;
                System.arraycopy(row, j0, p, dst, cols);
                if (cols < NR) {
                    java.util.Arrays.fill(p, dst + cols, dst + NR, 0f);
                }
            }
        }
    }

    private static float[] scratch(ThreadLocal<float[]> slot, int floats) {
        float[] a = slot.get();
        if (a == null || a.length < floats) {
            a = new float[floats];
            slot.set(a);
        }
        return a;
    }

    /**
     * The 6 rows of a from a0 (row length k) times the panel at pOff: 6 x NR values into out at o (row stride oRs).
     * FlashAttention's kernel4x4 has a 4-row shape with general strides; called here instead of this one's 4-row
     * predecessor it ran the products about 10 % slower, as the panel's row stride and a's unit column stride are then
     * no longer constants to C2. Into a heap array: storing into c's buffer (and adding c) inside this method made it
     * large enough that C2 stopped inlining the vector intrinsics (17 GFLOP/s, boxed vectors).
     */
    private static void block(float[] a, int a0, int k, float[] p, int pOff, float[] out, int o, int oRs) {
        FloatVector x00 = FloatVector.zero(S);
        FloatVector x01 = x00;
        FloatVector x02 = x00;
        FloatVector x03 = x00;
        FloatVector x10 = x00;
        FloatVector x11 = x00;
        FloatVector x12 = x00;
        FloatVector x13 = x00;
        FloatVector x20 = x00;
        FloatVector x21 = x00;
        FloatVector x22 = x00;
        FloatVector x23 = x00;
        FloatVector x30 = x00;
        FloatVector x31 = x00;
        FloatVector x32 = x00;
        FloatVector x33 = x00;
        FloatVector x40 = x00;
        FloatVector x41 = x00;
        FloatVector x42 = x00;
        FloatVector x43 = x00;
        FloatVector x50 = x00;
        FloatVector x51 = x00;
        FloatVector x52 = x00;
        FloatVector x53 = x00;
        int bi = pOff;
        for (int kk = 0; kk < k; kk++, bi += NR) {
            FloatVector v0 = FloatVector.fromArray(S, p, bi);
            FloatVector v1 = FloatVector.fromArray(S, p, bi + L);
            FloatVector v2 = FloatVector.fromArray(S, p, bi + 2 * L);
            FloatVector v3 = FloatVector.fromArray(S, p, bi + 3 * L);
            int ai = a0 + kk;
            FloatVector av = FloatVector.broadcast(S, a[ai]);
            x00 = av.fma(v0, x00);
            x01 = av.fma(v1, x01);
            x02 = av.fma(v2, x02);
            x03 = av.fma(v3, x03);
            av = FloatVector.broadcast(S, a[ai + k]);
            x10 = av.fma(v0, x10);
            x11 = av.fma(v1, x11);
            x12 = av.fma(v2, x12);
            x13 = av.fma(v3, x13);
            av = FloatVector.broadcast(S, a[ai + 2 * k]);
            x20 = av.fma(v0, x20);
            x21 = av.fma(v1, x21);
            x22 = av.fma(v2, x22);
            x23 = av.fma(v3, x23);
            av = FloatVector.broadcast(S, a[ai + 3 * k]);
            x30 = av.fma(v0, x30);
            x31 = av.fma(v1, x31);
            x32 = av.fma(v2, x32);
            x33 = av.fma(v3, x33);
            av = FloatVector.broadcast(S, a[ai + 4 * k]);
            x40 = av.fma(v0, x40);
            x41 = av.fma(v1, x41);
            x42 = av.fma(v2, x42);
            x43 = av.fma(v3, x43);
            av = FloatVector.broadcast(S, a[ai + 5 * k]);
            x50 = av.fma(v0, x50);
            x51 = av.fma(v1, x51);
            x52 = av.fma(v2, x52);
            x53 = av.fma(v3, x53);
        }
        x00.intoArray(out, o);
        x01.intoArray(out, o + L);
        x02.intoArray(out, o + 2 * L);
        x03.intoArray(out, o + 3 * L);
        x10.intoArray(out, o + oRs);
        x11.intoArray(out, o + oRs + L);
        x12.intoArray(out, o + oRs + 2 * L);
        x13.intoArray(out, o + oRs + 3 * L);
        x20.intoArray(out, o + 2 * oRs);
        x21.intoArray(out, o + 2 * oRs + L);
        x22.intoArray(out, o + 2 * oRs + 2 * L);
        x23.intoArray(out, o + 2 * oRs + 3 * L);
        x30.intoArray(out, o + 3 * oRs);
        x31.intoArray(out, o + 3 * oRs + L);
        x32.intoArray(out, o + 3 * oRs + 2 * L);
        x33.intoArray(out, o + 3 * oRs + 3 * L);
        x40.intoArray(out, o + 4 * oRs);
        x41.intoArray(out, o + 4 * oRs + L);
        x42.intoArray(out, o + 4 * oRs + 2 * L);
        x43.intoArray(out, o + 4 * oRs + 3 * L);
        x50.intoArray(out, o + 5 * oRs);
        x51.intoArray(out, o + 5 * oRs + L);
        x52.intoArray(out, o + 5 * oRs + 2 * L);
        x53.intoArray(out, o + 5 * oRs + 3 * L);
    }

    /**
     * {@link #block} for a in the transposed chunk layout [k, step] (training's weight gradients): row r of the block
     * at step kk is a[a0 + kk step + r]. The same fma chain per element as block, so the same bits. A second copy of
     * the kernel rather than one with both strides as parameters: with a's unit stride a constant, as in each of the
     * two, the general-stride form ran about 10 % slower (see block).
     */
    private static void blockT(float[] a, int a0, int step, int k, float[] p, int pOff, float[] out, int o,
                               int oRs) {
        FloatVector x00 = FloatVector.zero(S);
        FloatVector x01 = x00;
        FloatVector x02 = x00;
        FloatVector x03 = x00;
        FloatVector x10 = x00;
        FloatVector x11 = x00;
        FloatVector x12 = x00;
        FloatVector x13 = x00;
        FloatVector x20 = x00;
        FloatVector x21 = x00;
        FloatVector x22 = x00;
        FloatVector x23 = x00;
        FloatVector x30 = x00;
        FloatVector x31 = x00;
        FloatVector x32 = x00;
        FloatVector x33 = x00;
        FloatVector x40 = x00;
        FloatVector x41 = x00;
        FloatVector x42 = x00;
        FloatVector x43 = x00;
        FloatVector x50 = x00;
        FloatVector x51 = x00;
        FloatVector x52 = x00;
        FloatVector x53 = x00;
        int bi = pOff;
        int ai = a0;
        for (int kk = 0; kk < k; kk++, bi += NR, ai += step) {
            FloatVector v0 = FloatVector.fromArray(S, p, bi);
            FloatVector v1 = FloatVector.fromArray(S, p, bi + L);
            FloatVector v2 = FloatVector.fromArray(S, p, bi + 2 * L);
            FloatVector v3 = FloatVector.fromArray(S, p, bi + 3 * L);
            FloatVector av = FloatVector.broadcast(S, a[ai]);
            x00 = av.fma(v0, x00);
            x01 = av.fma(v1, x01);
            x02 = av.fma(v2, x02);
            x03 = av.fma(v3, x03);
            av = FloatVector.broadcast(S, a[ai + 1]);
            x10 = av.fma(v0, x10);
            x11 = av.fma(v1, x11);
            x12 = av.fma(v2, x12);
            x13 = av.fma(v3, x13);
            av = FloatVector.broadcast(S, a[ai + 2]);
            x20 = av.fma(v0, x20);
            x21 = av.fma(v1, x21);
            x22 = av.fma(v2, x22);
            x23 = av.fma(v3, x23);
            av = FloatVector.broadcast(S, a[ai + 3]);
            x30 = av.fma(v0, x30);
            x31 = av.fma(v1, x31);
            x32 = av.fma(v2, x32);
            x33 = av.fma(v3, x33);
            av = FloatVector.broadcast(S, a[ai + 4]);
            x40 = av.fma(v0, x40);
            x41 = av.fma(v1, x41);
            x42 = av.fma(v2, x42);
            x43 = av.fma(v3, x43);
            av = FloatVector.broadcast(S, a[ai + 5]);
            x50 = av.fma(v0, x50);
            x51 = av.fma(v1, x51);
            x52 = av.fma(v2, x52);
            x53 = av.fma(v3, x53);
        }
        x00.intoArray(out, o);
        x01.intoArray(out, o + L);
        x02.intoArray(out, o + 2 * L);
        x03.intoArray(out, o + 3 * L);
        x10.intoArray(out, o + oRs);
        x11.intoArray(out, o + oRs + L);
        x12.intoArray(out, o + oRs + 2 * L);
        x13.intoArray(out, o + oRs + 3 * L);
        x20.intoArray(out, o + 2 * oRs);
        x21.intoArray(out, o + 2 * oRs + L);
        x22.intoArray(out, o + 2 * oRs + 2 * L);
        x23.intoArray(out, o + 2 * oRs + 3 * L);
        x30.intoArray(out, o + 3 * oRs);
        x31.intoArray(out, o + 3 * oRs + L);
        x32.intoArray(out, o + 3 * oRs + 2 * L);
        x33.intoArray(out, o + 3 * oRs + 3 * L);
        x40.intoArray(out, o + 4 * oRs);
        x41.intoArray(out, o + 4 * oRs + L);
        x42.intoArray(out, o + 4 * oRs + 2 * L);
        x43.intoArray(out, o + 4 * oRs + 3 * L);
        x50.intoArray(out, o + 5 * oRs);
        x51.intoArray(out, o + 5 * oRs + L);
        x52.intoArray(out, o + 5 * oRs + 2 * L);
        x53.intoArray(out, o + 5 * oRs + 3 * L);
    }

    /**
     * The last rows of a [m, k] (fewer than 6): one row at a time (row i at step kk is a[a0 + i k + kk]), the same fma
     * chain per element as {@link #block} (so a value does not depend on which path computed it), into tile (row
     * stride NR). a^T's last rows go through {@link #blockT} on zero-padded rows instead.
     */
    private static void rows(float[] a, int a0, int rows, int k, float[] p, int pOff, float[] tile) {
        for (int i = 0; i < rows; i++) {
            FloatVector x0 = FloatVector.zero(S);
            FloatVector x1 = x0;
            FloatVector x2 = x0;
            FloatVector x3 = x0;
            int ai = a0 + i * k;
            int bi = pOff;
            for (int kk = 0; kk < k; kk++, bi += NR, ai++) {
                FloatVector av = FloatVector.broadcast(S, a[ai]);
                x0 = av.fma(FloatVector.fromArray(S, p, bi), x0);
                x1 = av.fma(FloatVector.fromArray(S, p, bi + L), x1);
                x2 = av.fma(FloatVector.fromArray(S, p, bi + 2 * L), x2);
                x3 = av.fma(FloatVector.fromArray(S, p, bi + 3 * L), x3);
            }
            x0.intoArray(tile, i * NR);
            x1.intoArray(tile, i * NR + L);
            x2.intoArray(tile, i * NR + 2 * L);
            x3.intoArray(tile, i * NR + 3 * L);
        }
    }
}
