package org.verbo.models.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * SwiGLU feed-forward (Shazeer 2020, "GLU Variants Improve Transformer"), as HF {@code LlamaMLP}:
 * down(silu(gate(x)) * up(x)).
 */
public final class SwiGluFeedForward {
    private final Param gate;
    private final Param up;
    private final Param down;
    private INDArray x;   // [N, C]
    private INDArray a;   // [N, F] gate pre-activation
    private INDArray s;   // [N, F] sigmoid(a)
    private INDArray u;   // [N, F] up projection
    private INDArray h;   // [N, F] silu(a) * u

    public SwiGluFeedForward(Param gate, Param up, Param down) {
        this.gate = gate;
        this.up = up;
        this.down = down;
    }

    /** x [N, C] -> [N, C]. */
    public INDArray forward(INDArray x) {
        this.x = x;
        this.a = Linear.forward(x, gate);
        this.u = Linear.forward(x, up);
        this.s = Transforms.sigmoid(a, true);
        this.h = a.mul(s).muli(u);
        return Linear.forward(h, down);
    }

    /** dy [N, C] -> dx [N, C]. */
    public INDArray backward(INDArray dy) {
        INDArray dh = Linear.backward(dy, h, down);                 // [N, F]
        INDArray du = dh.mul(a).muli(s);                            // d/du = silu(a)
        // silu'(a) = s * (1 + a * (1 - s))
        INDArray dsilu = s.rsub(1.0).muli(a).addi(1.0).muli(s);
        INDArray da = dh.muli(u).muli(dsilu);
        INDArray dx = Linear.backward(da, x, gate);
        return dx.addi(Linear.backward(du, x, up));
    }
}
