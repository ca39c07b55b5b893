package org.verbo.embeddings.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Rows to unit length, as {@code torch.nn.functional.normalize(x, p=2, dim=-1)}: y = x / max(||x||, eps). Then the
 * dot product of two embeddings is their cosine similarity.
 */
public final class L2Normalize {
    /** torch's default. */
    public static final double EPS = 1e-12;
    private INDArray y;      // [B, C]
    private INDArray inv;    // [B, 1] 1 / max(||x||, eps)

    /** x [B, C] -> y [B, C]. */
    public INDArray forward(INDArray x) {
        long b = x.size(0);
        INDArray norm = Transforms.max(x.norm2(1).reshape(b, 1), EPS, false);   // [B, 1]
        inv = Transforms.pow(norm, -1.0, false);
        y = x.mulColumnVector(inv);
        return y;
    }

    /** dy [B, C] -> dx = (dy - y (y . dy)) / ||x|| [B, C] (the projection of dy off y, scaled). */
    public INDArray backward(INDArray dy) {
        INDArray dot = dy.mul(y).sum(1).reshape(y.size(0), 1);   // [B, 1]
        return dy.sub(y.mulColumnVector(dot)).muliColumnVector(inv);
    }
}
