package org.verbo.models.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * SwiGLU feed-forward (Shazeer 2020, "GLU Variants Improve Transformer"), as HF {@code LlamaMLP}:
 * down(silu(gate(x)) * up(x)). When the model hands it a fused [2F, C] view over the gate and up weights (they are
 * adjacent in {@code ParameterLayout}), both projections are one GEMM forward and one {@code dx} GEMM backward.
 */
public final class SwiGluFeedForward {
    private final Param gate;
    private final Param up;
    private final Param down;
    private final Param gateUp;   // [2F, C] view over gate then up, or null
    private INDArray x;    // [N, C]
    private INDArray gu;   // [N, 2F] fused projection (a | u), or null
    private INDArray a;    // [N, F] gate pre-activation
    private INDArray s;    // [N, F] sigmoid(a) (reference path only)
    private INDArray u;    // [N, F] up projection
    private INDArray h;    // [N, F] silu(a) * u
    private boolean kernelPath;   // the last forward ran the SIMD kernel

    public SwiGluFeedForward(Param gate, Param up, Param down) {
        this(gate, up, down, null);
    }

    /** @param gateUp a [2F, C] parameter viewing gate's then up's weights (and gradients), or null */
    public SwiGluFeedForward(Param gate, Param up, Param down, Param gateUp) {
        this.gate = gate;
        this.up = up;
        this.down = down;
        this.gateUp = gateUp;
    }

    /** x [N, C] -> [N, C]. */
    public INDArray forward(INDArray x) {
        this.x = x;
        int f = (int) up.value().size(0);
        if (gateUp != null) {
            gu = Linear.forward(x, gateUp);                                   // [N, 2F]
            a = gu.get(NDArrayIndex.all(), NDArrayIndex.interval(0, f));
            u = gu.get(NDArrayIndex.all(), NDArrayIndex.interval(f, 2 * f));
        } else {
            gu = null;
            a = Linear.forward(x, gate);
            u = Linear.forward(x, up);
        }
        kernelPath = gu != null ? Kernels.applies(gu) : Kernels.applies(a, u);
        if (kernelPath) {
            int n = (int) x.size(0);
            h = Nd4j.createUninitialized(x.dataType(), n, f);
            if (gu != null) {
                VectorKernels.swigluForward(Kernels.buffer(gu), 0, 2 * f, Kernels.buffer(gu), f, 2 * f,
                        Kernels.buffer(h), n, f);
            } else {
                VectorKernels.swigluForward(Kernels.buffer(a), 0, f, Kernels.buffer(u), 0, f, Kernels.buffer(h), n, f);
            }
        } else {
            s = Transforms.sigmoid(a, true);
            h = a.mul(s).muli(u);
        }
        return Linear.forward(h, down);
    }

    /**
     * Inference, nothing kept for a backward: residual + forward(x) [N, C], the same bits as {@link #forward} and
     * {@link Kernels#add}. Where the products run in the packed GEMM, SwiGLU is applied to the gate|up product while its
     * rows are in cache (no [N, 2F] array) and down_proj accumulates into residual, which is overwritten and returned;
     * otherwise the unfused path. ({@link PackedGemm}'s accumulation adds c after the k chain, and float addition is
     * commutative, so residual + y has the bits of Kernels.add(residual, y).)
     */
    public INDArray forwardInference(INDArray x, INDArray residual) {
        INDArray hidden = gateUp == null ? null : BatchedMatmul.swiGlu(x, gateUp.value());   // [N, F]
        if (hidden == null) {
            return Kernels.add(residual, forward(x));
        }
        // one pass over k only: with passes the residual would join the first pass's sum, not the whole product's
        if (residual.dataType() == DataType.FLOAT && residual.rank() == 2 && Kernels.dense(residual)
                && residual.size(0) == hidden.size(0) && residual.size(1) == down.value().size(0)
                && hidden.size(1) <= PackedGemm.MAX_K && BatchedMatmul.packs(hidden, down.value(), false, true)) {
            return BatchedMatmul.gemm(hidden, down.value(), residual, false, true, 1.0, 1.0);   // residual += h W^T
        }
        return Kernels.add(residual, Linear.forward(hidden, down));
    }

    /** dy [N, C] -> dx [N, C]. */
    public INDArray backward(INDArray dy) {
        INDArray dh = Linear.backward(dy, h, down);                 // [N, F]
        int n = (int) dh.size(0);
        int f = (int) dh.size(1);
        if (kernelPath) {
            if (gu != null) {
                INDArray dgu = Nd4j.createUninitialized(dh.dataType(), n, 2 * f);   // [N, 2F] = (da | du)
                VectorKernels.swigluBackward(Kernels.buffer(dh), Kernels.buffer(gu), 0, 2 * f, Kernels.buffer(gu), f,
                        2 * f, Kernels.buffer(dgu), 0, 2 * f, Kernels.buffer(dgu), f, 2 * f, n, f);
                return Linear.backward(dgu, x, gateUp);
            }
            INDArray da = Nd4j.createUninitialized(dh.dataType(), n, f);
            INDArray du = Nd4j.createUninitialized(dh.dataType(), n, f);
            VectorKernels.swigluBackward(Kernels.buffer(dh), Kernels.buffer(a), 0, f, Kernels.buffer(u), 0, f,
                    Kernels.buffer(da), 0, f, Kernels.buffer(du), 0, f, n, f);
            return Linear.backward(da, x, gate).addi(Linear.backward(du, x, up));
        }
        INDArray du = dh.mul(a).muli(s);                            // d/du = silu(a)
        // silu'(a) = s * (1 + a * (1 - s))
        INDArray dsilu = s.rsub(1.0).muli(a).addi(1.0).muli(s);
        INDArray da = dh.muli(u).muli(dsilu);
        if (gu != null) {
            return Linear.backward(Nd4j.concat(1, da, du), x, gateUp);
        }
        INDArray dx = Linear.backward(da, x, gate);
        return dx.addi(Linear.backward(du, x, up));
    }

    /**
     * The decode path's forward (no state kept for a backward): {@link DecodeScratch#xn} [len, C] -> {@link
     * DecodeScratch#y} [len, C]. The fused gate|up projection (or the two into the halves of the same [len, 2F]
     * buffer), the SwiGLU kernel, down_proj.
     */
    void forwardCached(DecodeScratch s, int len) {
        int f = s.ffn;
        int c = s.hidden;
        if (gateUp != null) {
            DecodeKernels.project(s.pointer(s.xn), len, c, s.pointer(gateUp.value()), 2 * f, s.pointer(s.gu), 0, 2 * f);
        } else {
            DecodeKernels.project(s.pointer(s.xn), len, c, s.pointer(gate.value()), f, s.pointer(s.gu), 0, 2 * f);
            DecodeKernels.project(s.pointer(s.xn), len, c, s.pointer(up.value()), f, s.pointer(s.gu), f, 2 * f);
        }
        VectorKernels.swigluForward(s.gu, 0, 2 * f, s.gu, f, 2 * f, s.h, len, f);   // [len, F]
        DecodeKernels.project(s.pointer(s.h), len, f, s.pointer(down.value()), c, s.pointer(s.y), 0, c);
    }
}
