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

    /**
     * Inference on one row: x[from, from + c) / max(||x||, eps) as a new array, the norm summed in double. In plain
     * Java because a [B, C] batch of embeddings is too small for ND4J's per-op overhead, which took 4 % of encode.
     */
    public static float[] unit(float[] x, int from, int c) {
        double sq = 0;
        for (int j = 0; j < c; j++) {
            sq += (double) x[from + j] * x[from + j];
        }
        double inv = 1.0 / Math.max(Math.sqrt(sq), EPS);
        float[] y = new float[c];
        for (int j = 0; j < c; j++) {
            y[j] = (float) (x[from + j] * inv);
        }
        return y;
    }

    /** dy [B, C] -> dx = (dy - y (y . dy)) / ||x|| [B, C] (the projection of dy off y, scaled). */
    public INDArray backward(INDArray dy) {
        INDArray dot = dy.mul(y).sum(1).reshape(y.size(0), 1);   // [B, 1]
        return dy.sub(y.mulColumnVector(dot)).muliColumnVector(inv);
    }
}
