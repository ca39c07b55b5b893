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
 */
@SuppressWarnings("try")   // workspace scopes are opened for their side effect only
public final class CausalSelfAttention {
    /** Large negative added to masked scores; exp underflows to exactly 0 in float and double. */
    static final double MASKED = -1e9;

    private final Param wq;
    private final Param wk;
    private final Param wv;
    private final Param wo;
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
    private INDArray p;    // [B*Hk, G*T, T] attention probabilities
    private INDArray o2;   // [N, H*D] attention output before o_proj

    public CausalSelfAttention(Param wq, Param wk, Param wv, Param wo, int heads, int kvHeads, RotaryEmbedding rope) {
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

    /** xn [B*T, C] (rows ordered b-major) -> [B*T, C]. */
    public INDArray forward(INDArray xn, int batch, int len) {
        this.b = batch;
        this.t = len;
        int g = heads / kvHeads;
        this.xn = xn;
        INDArray q = toHeads(Linear.forward(xn, wq), heads);               // [B*H, T, D]
        INDArray k = toHeads(Linear.forward(xn, wk), kvHeads);             // [B*Hk, T, D]
        this.vh = toHeads(Linear.forward(xn, wv), kvHeads);                // [B*Hk, T, D]
        this.qg = rope.apply(q, 0).reshape((long) b * kvHeads, (long) g * t, headDim);   // [B*Hk, G*T, D]
        this.kr = rope.apply(k, 0);                                        // [B*Hk, T, D]
        INDArray s = BatchedMatmul.matmul(qg, kr, false, true).muli(scale);  // [B*Hk, G*T, T]
        s.reshape((long) b * heads, (long) t * t).addiRowVector(mask(t, s.dataType()));
        INDArray s2 = s.reshape((long) b * heads * t, t);                  // [B*H*T, T]
        INDArray probs = softmaxRows(s2);
        this.p = probs.reshape((long) b * kvHeads, (long) g * t, t);
        INDArray o = BatchedMatmul.matmul(p, vh, false, false);              // [B*Hk, G*T, D]
        this.o2 = fromHeads(o.reshape((long) b * heads, t, headDim), heads);   // [N, H*D]
        return Linear.forward(o2, wo);
    }

    /** dy [B*T, C] -> dxn [B*T, C]; accumulates the four projection gradients. */
    public INDArray backward(INDArray dy) {
        int g = heads / kvHeads;
        INDArray do2 = Linear.backward(dy, o2, wo);                                         // [N, H*D]
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
        INDArray dx = Linear.backward(fromHeads(dq, heads), xn, wq);
        dx.addi(Linear.backward(fromHeads(dk, kvHeads), xn, wk));
        dx.addi(Linear.backward(fromHeads(dv, kvHeads), xn, wv));
        return dx;
    }

    /**
     * Incremental inference for one sequence: xn [T, C] at positions pos..pos+T-1; appends k, v to the cache
     * ({@code keys}/{@code values} [Hk, Tmax, D]) and attends over positions 0..pos+T-1.
     */
    public INDArray forwardCached(INDArray xn, int pos, INDArray keys, INDArray values) {
        int len = (int) xn.size(0);
        int g = heads / kvHeads;
        int total = pos + len;
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
}
