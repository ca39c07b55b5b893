package org.verbo.embeddings.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Token states to one vector per text. Not thread-safe: a forward, then its backward.
 */
public interface Pooling {
    PoolingKind kind();

    /** hidden [B, T, C] (the decoder's last hidden states) and the pooled positions -> [B, C], not normalised. */
    INDArray forward(INDArray hidden, PoolingMask mask);

    /**
     * Inference: the same [B, C] as {@link #forward} up to float rounding, keeping nothing for a backward (a
     * {@link #backward} after it is not allowed). A pooling may compute it faster; the default is {@link #forward}.
     */
    default INDArray pool(INDArray hidden, PoolingMask mask) {
        return forward(hidden, mask);
    }

    /**
     * {@link #pool} with whatever depends only on the parameters computed once, for many batches under the same
     * parameters (one {@code encode} call); invalid once the parameters change. The default is {@link #pool} itself.
     */
    default Inference inference() {
        return this::pool;
    }

    /** A pooling's inference function over fixed parameters: hidden [B, T, C] and the pooled positions -> [B, C]. */
    @FunctionalInterface
    interface Inference {
        INDArray pool(INDArray hidden, PoolingMask mask);
    }

    /**
     * dPooled [B, C] -> dHidden [B, T, C] (zero at positions the mask leaves out); adds parameter gradients into
     * {@link #parameters()}'s gradient vector.
     */
    INDArray backward(INDArray dPooled);

    /** The trainable parameters, or null when the pooling has none. */
    ParameterGroup parameters();
}
