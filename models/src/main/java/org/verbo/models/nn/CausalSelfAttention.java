package org.verbo.models.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.HashMap;
import java.util.Map;

/**
 * Causal multi-head self-attention with grouped-query attention (Ainslie et al. 2023) and rotary embeddings on
 * q and k, as HF {@code LlamaAttention}. Query head h uses key/value head h / G (HF {@code repeat_kv} repeats each
 * kv head G times consecutively); instead of repeating, q is viewed as [B*Hk, G*T, D] so one batched matmul
 * serves the whole group and the backward pass sums the group's gradients for free.
 *
 * <p>Causal is the default and the language model's mask; {@link #forward(INDArray, int, int, AttentionMask)} also
 * runs it bidirectionally (the encoder view of NV-Embed) and with a key-padding mask for right-padded batches of
 * different lengths. Both paths (ND4J reference and SIMD kernels) implement every mask; masked keys get weight exactly
 * 0, so a real position's output does not depend on the padding at all.
 */
@SuppressWarnings("try")   // workspace scopes are opened for their side effect only
public final class CausalSelfAttention {
    /** Large negative added to masked scores; exp underflows to exactly 0 in float and double. */
    static final double MASKED = -1e9;
    /**
     * {@code -Dverbo.fusedAttention=false}: the kernel path computes attention as three steps (scores GEMM, masked
     * softmax, output GEMM, keeping the probabilities) instead of {@link FlashAttention} (A/B runs,
     * docs/PERFORMANCE.md "Fused attention").
     */
    private static volatile boolean fusedAttention = !"false".equals(System.getProperty("verbo.fusedAttention"));

    /**
     * Switches the kernel path between {@link FlashAttention} and the three-step product/softmax/product for this JVM
     * (parity tests, A/B benchmarks: {@code AttentionBench}); both are held equal by {@code FlashAttentionTest}.
     */
    public static void setFusedAttention(boolean on) {
        fusedAttention = on;
    }

    /** Whether the kernel path uses {@link FlashAttention} (default on; {@code -Dverbo.fusedAttention=false}). */
    public static boolean fusedAttention() {
        return fusedAttention;
    }

    /**
     * {@code -Dverbo.packedAttention=false}: packed inference permutes q, k, v into the padded head layout and back
     * around {@link FlashAttention#forward} instead of running {@link FlashAttention#forwardPacked} on the packed rows
     * (A/B runs; the two give the same bits, {@code VectorKernelsTest}).
     */
    static volatile boolean packedAttention = !"false".equals(System.getProperty("verbo.packedAttention"));

    private final Param wq;
    private final Param wk;
    private final Param wv;
    private final Param wo;
    private final Param wqkv;   // [(H + 2 Hk) D, C] view over q, k, v weights, or null
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final RotaryEmbedding rope;
    private final double scale;
    private final Map<Integer, INDArray> masks = new HashMap<>();

    // forward cache
    private int b;
    private int t;
    private INDArray xn;   // [N, C]
    private INDArray qg;   // [B*Hk, G*T, D] rotated queries
    private INDArray kr;   // [B*Hk, T, D] rotated keys
    private INDArray vh;   // [B*Hk, T, D]
    private INDArray p;    // [B*Hk, G*T, T] attention probabilities (reference and unfused kernel paths)
    private INDArray oh;   // [B*Hk, G*T, D] attention output in head layout (fused path)
    private float[] lse;   // [B*Hk*G*T] log-sum-exp of each row's scaled scores (fused path)
    private FlashAttention.Shape flash;   // the fused forward's shape and mask, or null when it did not run
    private INDArray o2;   // [N, H*D] attention output before o_proj
    private AttentionMask attnMask = AttentionMask.CAUSAL;   // the last forward's mask
    private boolean kernelPath;   // the forward used the SIMD kernels (then p, or oh + lse when fused; mask implied)
    private int[] rowOf;          // packed forward: token (b, t) -> row of xn, -1 for padding; null when xn is [B*T, C]

    public CausalSelfAttention(Param wq, Param wk, Param wv, Param wo, int heads, int kvHeads, RotaryEmbedding rope) {
        this(wq, wk, wv, wo, heads, kvHeads, rope, null);
    }

    /**
     * @param wqkv a [(H + 2 Hk) D, C] parameter viewing the q, k and v weights (and gradients) one after the other
     *             (adjacent in {@code ParameterLayout}), so the three projections are one GEMM; or null
     */
    public CausalSelfAttention(Param wq, Param wk, Param wv, Param wo, int heads, int kvHeads, RotaryEmbedding rope,
                               Param wqkv) {
        this.wqkv = wqkv;
        this.wq = wq;
        this.wk = wk;
        this.wv = wv;
        this.wo = wo;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = (int) (wq.value().size(0) / heads);
        this.rope = rope;
        this.scale = 1.0 / Math.sqrt(headDim);
    }

    /** [T*T] additive causal mask: 0 where key j <= query i, MASKED above the diagonal. */
    private INDArray mask(int len, DataType dtype) {
        return masks.computeIfAbsent(len, n -> {
            double[] m = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    m[i * n + j] = MASKED;
                }
            }
            try (var ws = org.verbo.models.Workspaces.outside()) {
                return Nd4j.createFromArray(m).castTo(dtype);
            }
        });
    }

    /**
     * [B, T*T] additive mask for a key-padded batch: MASKED where key j >= the row's length, and above the diagonal
     * when causal; per call (lengths change from batch to batch), not cached.
     */
    private static INDArray paddedMask(AttentionMask m, int batch, int len, DataType dtype) {
        double[] v = new double[batch * len * len];
        for (int bi = 0; bi < batch; bi++) {
            int keys = m.length(bi, len);
            for (int i = 0; i < len; i++) {
                for (int j = 0; j < len; j++) {
                    if (j >= keys || (m.causal() && j > i)) {
                        v[(bi * len + i) * len + j] = MASKED;
                    }
                }
            }
        }
        return Nd4j.createFromArray(v).castTo(dtype).reshape(batch, (long) len * len);
    }

    /**
     * Adds the mask to raw scores s [B*Hk, G*T, T] = [B, H, T, T] in place: the cached causal [T*T] row for the plain
     * causal mask (the language model's path, unchanged), a per-sequence row for key padding, nothing for an unpadded
     * bidirectional batch.
     */
    private void addMask(INDArray s) {
        if (attnMask.padded(t)) {
            INDArray m = paddedMask(attnMask, b, t, s.dataType());                         // [B, T*T]
            INDArray sb = s.reshape(b, heads, (long) t * t);                               // [B, H, T*T]
            for (int bi = 0; bi < b; bi++) {
                sb.get(NDArrayIndex.point(bi), NDArrayIndex.all(), NDArrayIndex.all()).addiRowVector(m.getRow(bi));
            }
        } else if (attnMask.causal()) {
            s.reshape((long) b * heads, (long) t * t).addiRowVector(mask(t, s.dataType()));
        }
    }

    /**
     * Row softmax of s [R, L], in place. The row max is subtracted explicitly: libnd4j 1.0.0-M2.1's softmax op
     * returns NaN for rows whose entries all lie below the exp underflow point (about -87 in float32).
     */
    static INDArray softmaxRows(INDArray s) {
        s.subiColumnVector(s.max(1).reshape(s.size(0), 1));
        INDArray e = Transforms.exp(s, false);
        return e.diviColumnVector(e.sum(1).reshape(s.size(0), 1));
    }

    /** [N, C] -> [B, T, heads, D] -> [B*heads, T, D] (contiguous). */
    private INDArray toHeads(INDArray x, int nHeads) {
        return x.reshape(b, t, nHeads, headDim).permute(0, 2, 1, 3).dup('c').reshape((long) b * nHeads, t, headDim);
    }

    /** [B*heads, T, D] -> [N, heads*D]. */
    private INDArray fromHeads(INDArray x, int nHeads) {
        return x.reshape(b, nHeads, t, headDim).permute(0, 2, 1, 3).dup('c').reshape((long) b * t, (long) nHeads * headDim);
    }

    /** Causal attention: xn [B*T, C] (rows ordered b-major) -> [B*T, C]. */
    public INDArray forward(INDArray xn, int batch, int len) {
        return forward(xn, batch, len, AttentionMask.CAUSAL);
    }

    /**
     * xn [B*T, C] (rows ordered b-major) -> [B*T, C] under the given mask (causal or bidirectional, optionally key
     * padded); {@link #backward} then follows the same mask.
     *
     * <p>Packed inference: with a key-padding mask, xn may instead hold only the real tokens [M, C], sequence after
     * sequence (M = the mask's real tokens); the output is then [M, C] too. The projections skip the padding rows, and
     * only the head layout of attention has them (zeros, masked). Kernel path only, and no {@link #backward} after it.
     */
    public INDArray forward(INDArray xn, int batch, int len, AttentionMask mask) {
        mask.check(batch, len);
        this.attnMask = mask;
        this.b = batch;
        this.t = len;
        long rows = xn.size(0);
        boolean packed = rows != (long) batch * len;
        if (packed && rows != mask.realTokens(batch, len)) {
            throw new IllegalArgumentException("xn has " + rows + " rows; expected B*T = " + (long) batch * len
                    + " or the mask's " + mask.realTokens(batch, len) + " real tokens (packed)");
        }
        this.rowOf = packed ? mask.packedRows(batch, len) : null;
        int g = heads / kvHeads;
        this.xn = xn;
        long hd = (long) heads * headDim;
        long kd = (long) kvHeads * headDim;
        INDArray qkv = wqkv == null ? null : Linear.forward(xn, wqkv);    // [N, (H + 2 Hk) D]
        INDArray q2 = qkv == null ? Linear.forward(xn, wq) : qkv.get(NDArrayIndex.all(), NDArrayIndex.interval(0, hd));
        INDArray k2 = qkv == null ? Linear.forward(xn, wk)
                : qkv.get(NDArrayIndex.all(), NDArrayIndex.interval(hd, hd + kd));
        INDArray v2 = qkv == null ? Linear.forward(xn, wv)
                : qkv.get(NDArrayIndex.all(), NDArrayIndex.interval(hd + kd, hd + 2 * kd));
        this.kernelPath = qkv != null ? Kernels.applies(qkv) : Kernels.applies(q2, k2, v2);
        if (kernelPath) {
            return forwardKernels(qkv, q2, k2, v2);
        }
        if (rowOf != null) {
            throw new IllegalStateException("packed rows (only the real tokens) need the kernel path: float32 with the "
                    + "Vector API kernels on");
        }
        INDArray q = toHeads(q2, heads);                                   // [B*H, T, D]
        INDArray k = toHeads(k2, kvHeads);                                 // [B*Hk, T, D]
        this.vh = toHeads(v2, kvHeads);                                    // [B*Hk, T, D]
        this.qg = rope.apply(q, 0).reshape((long) b * kvHeads, (long) g * t, headDim);   // [B*Hk, G*T, D]
        this.kr = rope.apply(k, 0);                                        // [B*Hk, T, D]
        INDArray s = BatchedMatmul.matmul(qg, kr, false, true).muli(scale);  // [B*Hk, G*T, T]
        addMask(s);
        INDArray s2 = s.reshape((long) b * heads * t, t);                  // [B*H*T, T]
        INDArray probs = softmaxRows(s2);
        this.p = probs.reshape((long) b * kvHeads, (long) g * t, t);
        INDArray o = BatchedMatmul.matmul(p, vh, false, false);              // [B*Hk, G*T, D]
        this.o2 = fromHeads(o.reshape((long) b * heads, t, headDim), heads);   // [N, H*D]
        return Linear.forward(o2, wo);
    }

    /** dy [B*T, C] -> dxn [B*T, C]; accumulates the four projection gradients. */
    public INDArray backward(INDArray dy) {
        if (rowOf != null) {
            throw new IllegalStateException("no backward after a packed (inference) forward");
        }
        int g = heads / kvHeads;
        INDArray do2 = Linear.backward(dy, o2, wo);                                         // [N, H*D]
        if (kernelPath) {
            return backwardKernels(do2);
        }
        INDArray dog = toHeads(do2, heads).reshape((long) b * kvHeads, (long) g * t, headDim);  // [B*Hk, G*T, D]
        INDArray dp = BatchedMatmul.matmul(dog, vh, false, true);                            // [B*Hk, G*T, T]
        INDArray dv = BatchedMatmul.matmul(p, dog, true, false);                             // [B*Hk, T, D]
        // softmax backward: ds = p * (dp - sum_j dp_j p_j)
        INDArray p2 = p.reshape((long) b * heads * t, t);
        INDArray dp2 = dp.reshape((long) b * heads * t, t);
        INDArray rowDot = dp2.mul(p2).sum(1).reshape(p2.size(0), 1);
        INDArray ds = dp2.subiColumnVector(rowDot).muli(p2).muli(scale).reshape((long) b * kvHeads, (long) g * t, t);
        INDArray dq = BatchedMatmul.matmul(ds, kr, false, false);                            // [B*Hk, G*T, D]
        INDArray dk = BatchedMatmul.matmul(ds, qg, true, false);                             // [B*Hk, T, D]
        dq = rope.backward(dq.reshape((long) b * heads, t, headDim), 0);
        dk = rope.backward(dk, 0);
        if (wqkv != null) {
            return Linear.backward(Nd4j.concat(1, fromHeads(dq, heads), fromHeads(dk, kvHeads), fromHeads(dv, kvHeads)),
                    xn, wqkv);
        }
        INDArray dx = Linear.backward(fromHeads(dq, heads), xn, wq);
        dx.addi(Linear.backward(fromHeads(dk, kvHeads), xn, wk));
        dx.addi(Linear.backward(fromHeads(dv, kvHeads), xn, wv));
        return dx;
    }

    /** Source or target of a head permutation: a token-major array, its row stride and first column. */
    private record TokenMajor(java.nio.ByteBuffer buffer, int rowStride, int colOff) {
    }

    private TokenMajor tokenMajor(INDArray fused, INDArray part, long colOff) {
        return fused != null ? new TokenMajor(Kernels.buffer(fused), (int) fused.size(1), (int) colOff)
                : new TokenMajor(Kernels.buffer(part), (int) part.size(1), 0);
    }

    /** Token-major [N, nh*D] (maybe a column block of a wider array) -> head-major [B*nh, T, D], RoPE'd if asked. */
    private INDArray heads(TokenMajor src, int nHeads, int rotate) {
        INDArray out = Nd4j.createUninitialized(xn.dataType(), (long) b * nHeads, t, headDim);
        VectorKernels.permuteHeads(src.buffer(), src.rowStride(), src.colOff(), Kernels.buffer(out), b, t, nHeads,
                headDim, true, rotate, rope.cosTable(), rope.sinTable(), 0, rowOf);
        return out;
    }

    /** Head-major [B*nh, T, D] -> token-major columns of dst, inverse RoPE'd if asked. */
    private void unheads(INDArray src, TokenMajor dst, int nHeads, int rotate) {
        VectorKernels.permuteHeads(dst.buffer(), dst.rowStride(), dst.colOff(), Kernels.buffer(src), b, t, nHeads,
                headDim, false, rotate, rope.cosTable(), rope.sinTable(), 0, rowOf);
    }

    /**
     * One of attention's batched products: with the causal mask the block-skipping {@link BatchedMatmul#causal} (the
     * masked upper triangle is never multiplied), otherwise the full product (bidirectional: every key may be
     * visible). Key padding needs nothing here: the masked softmax writes exact zeros over padded keys.
     */
    private INDArray product(BatchedMatmul.Causal kind, INDArray a, INDArray bm) {
        if (attnMask.causal()) {
            return BatchedMatmul.causal(kind, a, bm, t, heads / kvHeads);
        }
        return switch (kind) {
            case SCORES -> BatchedMatmul.matmul(a, bm, false, true);   // [S, G*T, T]
            case MIX -> BatchedMatmul.matmul(a, bm, false, false);     // [S, G*T, D]
            case KEYS -> BatchedMatmul.matmul(a, bm, true, false);     // [S, T, D], K = G*T sums the group
        };
    }

    /**
     * The forward pass with the fused kernels: head split + RoPE in one copy (no [D, D] rotation GEMM, no permute
     * dup), then {@link FlashAttention} (blocked, online softmax; keeps o and the row log-sum-exp for backward instead
     * of the [B*Hk, G*T, T] probabilities), or with {@code -Dverbo.fusedAttention=false} scores without a
     * materialised mask, softmax with its scale and (causal, key-padding) mask in one row pass, and the output product.
     */
    private INDArray forwardKernels(INDArray qkv, INDArray q2, INDArray k2, INDArray v2) {
        int g = heads / kvHeads;
        long hd = (long) heads * headDim;
        long kd = (long) kvHeads * headDim;
        if (rowOf != null && fusedAttention && packedAttention) {
            // packed inference: attention reads the projections' rows and writes o2's, no head layout in between
            TokenMajor q = tokenMajor(qkv, q2, 0);
            TokenMajor k = tokenMajor(qkv, k2, hd);
            TokenMajor v = tokenMajor(qkv, v2, hd + kd);
            this.flash = null;
            this.oh = null;
            this.p = null;
            this.o2 = Nd4j.createUninitialized(xn.dataType(), xn.size(0), hd);             // [M, H*D]
            FlashAttention.forwardPacked(q.buffer(), q.rowStride(), q.colOff(), k.buffer(), k.rowStride(), k.colOff(),
                    v.buffer(), v.rowStride(), v.colOff(), rope.cosTable(), rope.sinTable(), Kernels.buffer(o2),
                    new FlashAttention.Shape(b * kvHeads, g, t, headDim, (float) scale, attnMask.causal(),
                            attnMask.keyLengths(), kvHeads));
            return Linear.forward(o2, wo);
        }
        INDArray q = heads(tokenMajor(qkv, q2, 0), heads, 1);                              // [B*H, T, D] rotated
        this.kr = heads(tokenMajor(qkv, k2, hd), kvHeads, 1);                              // [B*Hk, T, D] rotated
        this.vh = heads(tokenMajor(qkv, v2, hd + kd), kvHeads, 0);                         // [B*Hk, T, D]
        this.qg = q.reshape((long) b * kvHeads, (long) g * t, headDim);                    // [B*Hk, G*T, D]
        INDArray o;
        if (fusedAttention) {
            this.p = null;
            this.flash = new FlashAttention.Shape(b * kvHeads, g, t, headDim, (float) scale, attnMask.causal(),
                    attnMask.keyLengths(), kvHeads);                                       // slice s: sequence s / Hk
            int rows = b * heads * t;
            this.lse = lse != null && lse.length == rows ? lse : new float[rows];          // [B*Hk*G*T]
            o = Nd4j.createUninitialized(xn.dataType(), (long) b * kvHeads, (long) g * t, headDim);   // [B*Hk, G*T, D]
            FlashAttention.forward(Kernels.buffer(qg), Kernels.buffer(kr), Kernels.buffer(vh), Kernels.buffer(o), lse,
                    flash);
            this.oh = o;
        } else {
            this.flash = null;
            this.oh = null;
            INDArray s = product(BatchedMatmul.Causal.SCORES, qg, kr);                    // [B*Hk, G*T, T] raw
            VectorKernels.maskedSoftmax(Kernels.buffer(s), b * heads * t, t, t, 0, (float) scale, attnMask.causal(),
                    attnMask.keyLengths(), heads * t);                                    // rows [B, H, T]
            this.p = s;
            o = product(BatchedMatmul.Causal.MIX, p, vh);                                 // [B*Hk, G*T, D]
        }
        this.o2 = Nd4j.createUninitialized(xn.dataType(), xn.size(0), hd);                 // [N, H*D] (N = M packed)
        unheads(o, new TokenMajor(Kernels.buffer(o2), (int) hd, 0), heads, 0);
        return Linear.forward(o2, wo);
    }

    private INDArray backwardKernels(INDArray do2) {
        int g = heads / kvHeads;
        long n = (long) b * t;
        long hd = (long) heads * headDim;
        long kd = (long) kvHeads * headDim;
        INDArray dog = heads(new TokenMajor(Kernels.buffer(do2), (int) hd, 0), heads, 0)
                .reshape((long) b * kvHeads, (long) g * t, headDim);                       // [B*Hk, G*T, D]
        INDArray dq;
        INDArray dk;
        INDArray dv;
        if (flash != null) {   // the forward ran FlashAttention: scores recomputed block by block from lse
            dq = Nd4j.createUninitialized(xn.dataType(), (long) b * kvHeads, (long) g * t, headDim);  // [B*Hk, G*T, D]
            dk = Nd4j.createUninitialized(xn.dataType(), (long) b * kvHeads, t, headDim);            // [B*Hk, T, D]
            dv = Nd4j.createUninitialized(xn.dataType(), (long) b * kvHeads, t, headDim);            // [B*Hk, T, D]
            FlashAttention.backward(Kernels.buffer(dog), Kernels.buffer(oh), lse, Kernels.buffer(qg),
                    Kernels.buffer(kr), Kernels.buffer(vh), Kernels.buffer(dq), Kernels.buffer(dk), Kernels.buffer(dv),
                    flash);
        } else {
            INDArray dp = product(BatchedMatmul.Causal.SCORES, dog, vh);                  // [B*Hk, G*T, T]
            dv = product(BatchedMatmul.Causal.KEYS, p, dog);                              // [B*Hk, T, D]
            VectorKernels.maskedSoftmaxBackward(Kernels.buffer(p), Kernels.buffer(dp), b * heads * t, t, t, 0,
                    (float) scale, attnMask.causal(), attnMask.keyLengths(), heads * t);   // dp -> ds
            dq = product(BatchedMatmul.Causal.MIX, dp, kr);                               // [B*Hk, G*T, D]
            dk = product(BatchedMatmul.Causal.KEYS, dp, qg);                              // [B*Hk, T, D]
        }
        if (wqkv != null) {
            INDArray dqkv = Nd4j.createUninitialized(xn.dataType(), n, hd + 2 * kd);      // [N, (H + 2 Hk) D]
            java.nio.ByteBuffer buf = Kernels.buffer(dqkv);
            int stride = (int) (hd + 2 * kd);
            unheads(dq, new TokenMajor(buf, stride, 0), heads, -1);
            unheads(dk, new TokenMajor(buf, stride, (int) hd), kvHeads, -1);
            unheads(dv, new TokenMajor(buf, stride, (int) (hd + kd)), kvHeads, 0);
            return Linear.backward(dqkv, xn, wqkv);
        }
        INDArray dq2 = Nd4j.createUninitialized(xn.dataType(), n, hd);
        INDArray dk2 = Nd4j.createUninitialized(xn.dataType(), n, kd);
        INDArray dv2 = Nd4j.createUninitialized(xn.dataType(), n, kd);
        unheads(dq, new TokenMajor(Kernels.buffer(dq2), (int) hd, 0), heads, -1);
        unheads(dk, new TokenMajor(Kernels.buffer(dk2), (int) kd, 0), kvHeads, -1);
        unheads(dv, new TokenMajor(Kernels.buffer(dv2), (int) kd, 0), kvHeads, 0);
        INDArray dx = Linear.backward(dq2, xn, wq);
        dx.addi(Linear.backward(dk2, xn, wk));
        return dx.addi(Linear.backward(dv2, xn, wv));
    }

    /**
     * Incremental inference for one sequence: xn [T, C] at positions pos..pos+T-1; appends k, v to the cache
     * ({@code keys}/{@code values} [Hk, Tmax, D]) and attends over positions 0..pos+T-1.
     */
    public INDArray forwardCached(INDArray xn, int pos, INDArray keys, INDArray values) {
        int len = (int) xn.size(0);
        int g = heads / kvHeads;
        int total = pos + len;
        this.attnMask = AttentionMask.CAUSAL;
        this.b = 1;
        this.t = len;
        INDArray q = rope.apply(toHeads(Linear.forward(xn, wq), heads), pos);              // [H, T, D]
        INDArray k = rope.apply(toHeads(Linear.forward(xn, wk), kvHeads), pos);            // [Hk, T, D]
        INDArray v = toHeads(Linear.forward(xn, wv), kvHeads);                             // [Hk, T, D]
        keys.get(NDArrayIndex.all(), NDArrayIndex.interval(pos, total), NDArrayIndex.all()).assign(k);
        values.get(NDArrayIndex.all(), NDArrayIndex.interval(pos, total), NDArrayIndex.all()).assign(v);
        INDArray kAll = keys.get(NDArrayIndex.all(), NDArrayIndex.interval(0, total), NDArrayIndex.all()).dup('c');
        INDArray vAll = values.get(NDArrayIndex.all(), NDArrayIndex.interval(0, total), NDArrayIndex.all()).dup('c');
        INDArray qgl = q.reshape(kvHeads, (long) g * len, headDim);                        // [Hk, G*T, D]
        INDArray s = BatchedMatmul.matmul(qgl, kAll, false, true).muli(scale);               // [Hk, G*T, L]
        double[] m = new double[len * total];
        for (int i = 0; i < len; i++) {
            for (int j = pos + i + 1; j < total; j++) {
                m[i * total + j] = MASKED;
            }
        }
        s.reshape(heads, (long) len * total).addiRowVector(Nd4j.createFromArray(m).castTo(s.dataType()));
        INDArray s2 = s.reshape((long) heads * len, total);
        INDArray probs = softmaxRows(s2).reshape(kvHeads, (long) g * len, total);
        INDArray o = BatchedMatmul.matmul(probs, vAll, false, false);                        // [Hk, G*T, D]
        return Linear.forward(fromHeads(o.reshape(heads, len, headDim), heads), wo);
    }

    /**
     * The float decode path of {@link #forwardCached(INDArray, int, INDArray, INDArray)} (its reference twin, which
     * {@code CachedDecodingTest} holds it equal to): {@link DecodeScratch#xn} [len, C] at positions pos..pos+len-1 ->
     * {@link DecodeScratch#y} [len, C]. One fused q|k|v projection (sgemv for one token), RoPE written straight into
     * the cache rows pos.. of keys/values [Hk, Tmax, D], attention of the new rows over the cache with the
     * bit-reproducible exp, o_proj; no ND4J op, no allocation.
     */
    public void forwardCached(DecodeScratch s, int pos, int len, INDArray keys, INDArray values) {
        int c = s.hidden;
        int hd = heads * headDim;
        int kd = kvHeads * headDim;
        org.bytedeco.javacpp.FloatPointer xnp = s.pointer(s.xn);
        org.bytedeco.javacpp.FloatPointer qkvp = s.pointer(s.qkv);
        if (wqkv != null) {
            DecodeKernels.project(xnp, len, c, s.pointer(wqkv.value()), hd + 2 * kd, qkvp, 0, s.qkvWidth);   // [len, (H+2Hk) D]
        } else {
            DecodeKernels.project(xnp, len, c, s.pointer(wq.value()), hd, qkvp, 0, s.qkvWidth);
            DecodeKernels.project(xnp, len, c, s.pointer(wk.value()), kd, qkvp, hd, s.qkvWidth);
            DecodeKernels.project(xnp, len, c, s.pointer(wv.value()), kd, qkvp, hd + kd, s.qkvWidth);
        }
        int tmax = (int) keys.size(1);
        java.nio.ByteBuffer kb = s.buffer(keys);
        java.nio.ByteBuffer vb = s.buffer(values);
        DecodeKernels.ropeIntoCache(s.qkv, len, pos, heads, kvHeads, headDim, rope.cosTable(), rope.sinTable(), s.q, kb,
                vb, tmax);
        DecodeKernels.attend(s.q, len, pos, heads, kvHeads, headDim, kb, vb, tmax, (float) scale, s.att, s.scores);
        DecodeKernels.project(s.pointer(s.att), len, hd, s.pointer(wo.value()), c, s.pointer(s.y), 0, c);   // [len, C]
    }
}
