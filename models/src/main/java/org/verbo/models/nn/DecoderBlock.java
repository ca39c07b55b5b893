package org.verbo.models.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Pre-norm residual block, as HF {@code LlamaDecoderLayer}: h = x + attn(norm1(x)); y = h + mlp(norm2(h)). */
public final class DecoderBlock {
    private final RmsNorm inputNorm;
    private final CausalSelfAttention attention;
    private final RmsNorm postAttentionNorm;
    private final SwiGluFeedForward mlp;

    public DecoderBlock(RmsNorm inputNorm, CausalSelfAttention attention, RmsNorm postAttentionNorm,
                        SwiGluFeedForward mlp) {
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    /** x [B*T, C] -> [B*T, C], causal. */
    public INDArray forward(INDArray x, int batch, int len) {
        return forward(x, batch, len, AttentionMask.CAUSAL);
    }

    /** x [B*T, C] -> [B*T, C] under the given attention mask (norms and MLP are per token, so only attention sees it). */
    public INDArray forward(INDArray x, int batch, int len, AttentionMask mask) {
        INDArray h = Kernels.add(x, attention.forward(inputNorm.forward(x), batch, len, mask));
        return Kernels.add(h, mlp.forward(postAttentionNorm.forward(h)));
    }

    /**
     * Inference under the mask, nothing kept for a {@link #backward}: the bits of {@link #forward(INDArray, int, int,
     * AttentionMask)}, with the MLP's SwiGLU and residual fused into its products where they run in the packed GEMM
     * ({@link SwiGluFeedForward#forwardInference}).
     */
    public INDArray forwardInference(INDArray x, int batch, int len, AttentionMask mask) {
        INDArray h = Kernels.add(x, attention.forward(inputNorm.forward(x), batch, len, mask));
        return mlp.forwardInference(postAttentionNorm.forward(h), h);
    }

    /** dy [B*T, C] -> dx [B*T, C]. */
    public INDArray backward(INDArray dy) {
        INDArray dh = Kernels.add(dy, postAttentionNorm.backward(mlp.backward(dy)));
        return Kernels.add(dh, inputNorm.backward(attention.backward(dh)));
    }

    /** One sequence, positions pos..pos+T-1, with a KV cache: x [T, C] -> [T, C]. */
    public INDArray forwardCached(INDArray x, int pos, INDArray keys, INDArray values) {
        INDArray h = x.add(attention.forwardCached(inputNorm.forward(x), pos, keys, values));
        return h.add(mlp.forward(postAttentionNorm.forward(h)));
    }

    /**
     * The float decode path (kernels, no ND4J op): {@link DecodeScratch#x} [len, C] at positions pos..pos+len-1 is
     * updated in place, h = x + attn(norm1(x)); x = h + mlp(norm2(h)), the same block as {@link #forwardCached(INDArray,
     * int, INDArray, INDArray)}, its reference twin.
     */
    public void forwardCached(DecodeScratch s, int pos, int len, INDArray keys, INDArray values) {
        int n = len * s.hidden;
        inputNorm.forwardCached(s, s.x, s.xn, len);
        attention.forwardCached(s, pos, len, keys, values);          // xn -> y
        VectorKernels.add(s.x, s.y, s.x, n);
        postAttentionNorm.forwardCached(s, s.x, s.xn, len);
        mlp.forwardCached(s, len);                                   // xn -> y
        VectorKernels.add(s.x, s.y, s.x, n);
    }
}
