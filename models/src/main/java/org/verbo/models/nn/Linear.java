package org.verbo.models.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Bias-free projection y = x W^T with W stored as Hugging Face {@code [out, in]}. */
final class Linear {
    private Linear() {
    }

    /** x [N, in], w [out, in] -> [N, out]. */
    static INDArray forward(INDArray x, Param w) {
        return Nd4j.gemm(x, w.value(), false, true);
    }

    /** Accumulates dW += dy^T x ([out, in]) and returns dx = dy W ([N, in]). */
    static INDArray backward(INDArray dy, INDArray x, Param w) {
        Nd4j.gemm(dy, x, w.grad(), true, false, 1.0, 1.0);
        return Nd4j.gemm(dy, w.value(), false, false);
    }
}
