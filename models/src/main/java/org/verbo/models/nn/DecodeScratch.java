package org.verbo.models.nn;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Working memory of the float decode path ({@code LlamaModel.forwardCached} with the kernels on), one per KV cache:
 * the activations of the tokens fed in one call, row-major [rows, width], reused by every layer and every call.
 * Why: the reference path issues about 30 small ND4J ops per layer per token, each a native call and a fresh
 * off-heap array; at batch 1 and one token those calls, not the arithmetic, were the time (docs/PERFORMANCE.md,
 * "Generation"). Here the projections are direct {@code cblas_sgemv}/{@code cblas_sgemm} calls into these buffers and
 * everything else is one {@link DecodeKernels} pass.
 *
 * <p>Plain direct {@link ByteBuffer}s (not ND4J arrays): they live as long as the cache, outside any workspace, and
 * the garbage collector frees them with it. Rows grow on demand to the longest call (the prompt), so decoding one
 * token at a time after a 64-token prompt keeps 64 rows. Not thread-safe, like the cache.
 */
public final class DecodeScratch {
    final int hidden;
    final int heads;
    final int kvHeads;
    final int headDim;
    final int ffn;
    final int maxPositions;
    final int qkvWidth;                // (H + 2 Hk) D
    int rows;                          // capacity in tokens
    ByteBuffer x;                      // [rows, C] residual stream
    ByteBuffer xn;                     // [rows, C] normed input of a sub-block
    ByteBuffer qkv;                    // [rows, (H + 2 Hk) D] projections, token-major
    ByteBuffer q;                      // [rows, H D] rotated queries
    ByteBuffer att;                    // [rows, H D] attention output before o_proj
    ByteBuffer gu;                     // [rows, 2F] gate | up
    ByteBuffer h;                      // [rows, F] silu(gate) * up
    ByteBuffer y;                      // [rows, C] a sub-block's output before the residual add
    float[] inv;                       // [rows] RMSNorm 1 / rms
    final float[][] scores;            // [parts][Tmax] attention scores of one query row
    private final Map<INDArray, ByteBuffer> buffers = new IdentityHashMap<>();
    private final Map<Object, FloatPointer> pointers = new IdentityHashMap<>();

    /**
     * @param maxPositions the context length (the cache's Tmax)
     */
    public DecodeScratch(int hidden, int heads, int kvHeads, int headDim, int ffn, int maxPositions) {
        if (hidden <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0 || ffn <= 0 || maxPositions <= 0
                || heads % kvHeads != 0) {
            throw new IllegalArgumentException("bad decode dimensions: C " + hidden + ", H " + heads + ", Hk " + kvHeads
                    + ", D " + headDim + ", F " + ffn + ", Tmax " + maxPositions);
        }
        this.hidden = hidden;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.ffn = ffn;
        this.maxPositions = maxPositions;
        this.qkvWidth = (heads + 2 * kvHeads) * headDim;
        this.scores = new float[Math.max(1, Kernels.threads())][maxPositions];
    }

    /**
     * Whether the decode kernels serve these arrays (the model's parameters and a cache's keys and values): the SIMD
     * kernels are on ({@link Kernels#enabled}: module present, not switched off), direct BLAS is on, and every array is
     * a dense row-major float array. Otherwise {@code forwardCached} takes its ND4J reference path.
     */
    public static boolean applies(INDArray... arrays) {
        return BatchedMatmul.DIRECT && Kernels.applies(arrays);
    }

    /** Makes room for a call of {@code len} tokens. */
    void ensure(int len) {
        if (len <= rows) {
            return;
        }
        rows = len;
        pointers.keySet().removeIf(k -> k instanceof ByteBuffer);   // the old buffers' pointers
        x = floats(len * hidden);
        xn = floats(len * hidden);
        qkv = floats(len * qkvWidth);
        q = floats(len * heads * headDim);
        att = floats(len * heads * headDim);
        gu = floats(len * 2 * ffn);
        h = floats(len * ffn);
        y = floats(len * hidden);
        inv = new float[len];
    }

    private static ByteBuffer floats(int n) {
        return ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
    }

    /** A native-order view of an ND4J array's elements, made once per array (weights and cache tensors are long-lived). */
    ByteBuffer buffer(INDArray a) {
        return buffers.computeIfAbsent(a, Kernels::buffer);
    }

    /** A BLAS pointer to element 0 of an ND4J array or a scratch buffer, made once per object; position 0. */
    FloatPointer pointer(Object o) {
        FloatPointer p = pointers.computeIfAbsent(o, k -> k instanceof INDArray a ? new FloatPointer(BatchedMatmul.at(a))
                : new FloatPointer(((ByteBuffer) k).asFloatBuffer()));
        return p.position(0);
    }

    /** Starts a call: x [len, C] = rows of the embedding table [V, C] (ids already checked by the caller). */
    public void embed(INDArray table, int[] ids, int len) {
        ensure(len);
        DecodeKernels.embed(buffer(table), ids, x, hidden);
    }

    /**
     * Ends a call: logits [V] (a dense float array) = finalNorm(x[len - 1]) lmHead^T, the LM head on the last position
     * only (the next token's logits are all the caller reads).
     */
    public void lastRowLogits(RmsNorm finalNorm, INDArray lmHead, int len, INDArray logits) {
        ByteBuffer last = x.slice((len - 1) * hidden * 4, hidden * 4).order(ByteOrder.nativeOrder());
        finalNorm.forwardCached(this, last, xn, 1);                                     // xn row 0
        DecodeKernels.project(pointer(xn), 1, hidden, pointer(lmHead), (int) lmHead.size(0),
                new org.bytedeco.javacpp.FloatPointer(BatchedMatmul.at(logits)), 0, 0);
    }
}
