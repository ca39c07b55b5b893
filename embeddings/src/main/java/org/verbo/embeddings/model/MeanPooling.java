package org.verbo.embeddings.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.verbo.models.nn.BatchedMatmul;

/** Mean of the hidden states over the pooled positions (NV-Embed Table 2's "mean" baseline). */
public final class MeanPooling implements Pooling {
    private INDArray weights;   // [B, B*T]
    private long[] shape;       // {B, T, C} of the last forward

    @Override
    public PoolingKind kind() {
        return PoolingKind.MEAN;
    }

    @Override
    public INDArray forward(INDArray hidden, PoolingMask mask) {
        shape = checkShape(hidden, mask);
        weights = mask.meanWeights(hidden.dataType());
        return BatchedMatmul.gemm(weights, flat(hidden), null, false, false, 1.0, 0.0);   // [B, C]
    }

    @Override
    public INDArray backward(INDArray dPooled) {
        return BatchedMatmul.gemm(weights, dPooled.dup('c'), null, true, false, 1.0, 0.0)   // [B*T, C]
                .reshape('c', shape[0], shape[1], shape[2]);
    }

    @Override
    public ParameterGroup parameters() {
        return null;
    }

    /** [B, T, C] -> a dense row-major [B*T, C]. */
    static INDArray flat(INDArray hidden) {
        return hidden.dup('c').reshape('c', hidden.size(0) * hidden.size(1), hidden.size(2));
    }

    static long[] checkShape(INDArray hidden, PoolingMask mask) {
        if (hidden.rank() != 3 || hidden.size(0) != mask.batchSize() || hidden.size(1) != mask.seqLen()) {
            throw new IllegalArgumentException("hidden states have shape " + java.util.Arrays.toString(hidden.shape())
                    + ", the pooling mask is for [" + mask.batchSize() + ", " + mask.seqLen() + ", C]");
        }
        return hidden.shape();
    }
}
