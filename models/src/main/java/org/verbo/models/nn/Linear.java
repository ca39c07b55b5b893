package org.verbo.models.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Bias-free projection y = x W^T with W stored as Hugging Face {@code [out, in]}. */
final class Linear {
    private Linear() {
    }

    /** x [N, in], w [out, in] -> [N, out]. */
    static INDArray forward(INDArray x, Param w) {
        return BatchedMatmul.gemm(x, w.value(), null, false, true, 1.0, 0.0);
    }

    /** Accumulates dW += dy^T x ([out, in]) and returns dx = dy W ([N, in]). */
    static INDArray backward(INDArray dy, INDArray x, Param w) {
        BatchedMatmul.gemm(dy, x, w.grad(), true, false, 1.0, 1.0);
        return BatchedMatmul.gemm(dy, w.value(), null, false, false, 1.0, 0.0);
    }
}
