package org.verbo.embeddings.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.verbo.models.nn.BatchedMatmul;

/**
 * The hidden state of each text's last real token (NV-Embed Table 2's "&lt;EOS&gt;-last" baseline; the natural
 * choice for a causal decoder, whose last state is the only one that saw the whole text).
 */
public final class LastTokenPooling implements Pooling {
    private INDArray weights;   // [B, B*T] one-hot rows
    private long[] shape;

    @Override
    public PoolingKind kind() {
        return PoolingKind.LAST_TOKEN;
    }

    @Override
    public INDArray forward(INDArray hidden, PoolingMask mask) {
        shape = MeanPooling.checkShape(hidden, mask);
        weights = mask.lastTokenWeights(hidden.dataType());
        return BatchedMatmul.gemm(weights, MeanPooling.flat(hidden), null, false, false, 1.0, 0.0);   // [B, C]
    }

    @Override
    public INDArray backward(INDArray dPooled) {
        return BatchedMatmul.gemm(weights, dPooled.dup('c'), null, true, false, 1.0, 0.0)
                .reshape('c', shape[0], shape[1], shape[2]);
    }

    @Override
    public ParameterGroup parameters() {
        return null;
    }
}
