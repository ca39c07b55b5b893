package org.verbo.models.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.nio.ByteBuffer;

/**
 * RMSNorm (Zhang and Sennrich 2019): y = x / sqrt(mean(x^2) + eps) * w, as HF {@code LlamaRMSNorm}
 * (no mean subtraction, no bias).
 */
public final class RmsNorm {
    private final Param weight;
    private final double eps;
    private INDArray x;      // [N, C] input of the last forward
    private INDArray inv;    // [N, 1] 1 / rms
    private INDArray xhat;   // [N, C] x * inv (reference path only)
    private float[] invRows; // [N] 1 / rms (kernel path)
    private boolean kernelPath;   // the last forward ran the SIMD kernel

    public RmsNorm(Param weight, double eps) {
        this.weight = weight;
        this.eps = eps;
    }

    /** x [N, C] -> [N, C]; keeps what backward needs. */
    public INDArray forward(INDArray x) {
        if (x.rank() == 2 && Kernels.applies(x, weight.value())) {
            int n = (int) x.size(0);
            int c = (int) x.size(1);
            INDArray y = Nd4j.createUninitialized(x.dataType(), n, c);
            if (invRows == null || invRows.length != n) {
                invRows = new float[n];
            }
            VectorKernels.rmsNormForward(Kernels.buffer(x), Kernels.buffer(weight.value()), Kernels.buffer(y), invRows, n,
                    c, eps);
            this.x = x;
            this.kernelPath = true;
            return y;
        }
        this.kernelPath = false;
        long n = x.size(0);
        INDArray ms = x.mul(x).mean(1).reshape(n, 1);                 // [N, 1]
        INDArray inv = Transforms.pow(ms.addi(eps), -0.5, false);      // [N, 1]
        INDArray xhat = x.mulColumnVector(inv);                        // [N, C]
        this.x = x;
        this.inv = inv;
        this.xhat = xhat;
        return xhat.mulRowVector(weight.value());
    }

    /** dy [N, C] -> dx [N, C]; accumulates dw. */
    public INDArray backward(INDArray dy) {
        if (kernelPath) {
            int n = (int) x.size(0);
            int c = (int) x.size(1);
            INDArray dx = Nd4j.createUninitialized(x.dataType(), n, c);
            INDArray g = weight.grad();
            INDArray dw = Kernels.dense(g) ? g : Nd4j.zeros(g.dataType(), c);   // the kernel adds into a dense [C]
            VectorKernels.rmsNormBackward(Kernels.buffer(Kernels.dense(dy) ? dy : dy.dup('c')), Kernels.buffer(x),
                    Kernels.buffer(weight.value()), invRows, Kernels.buffer(dx), Kernels.buffer(dw), n, c);
            if (dw != g) {
                g.addi(dw);
            }
            return dx;
        }
        long c = x.size(1);
        weight.grad().addi(dy.mul(xhat).sum(0));
        INDArray dxhat = dy.mulRowVector(weight.value());              // [N, C]
        // d(inv)/dx_k = -inv^3 x_k / C, so dx = inv * dxhat - x * inv^3 * sum(dxhat * x) / C
        INDArray dot = dxhat.mul(x).sum(1).reshape(x.size(0), 1);     // [N, 1]
        INDArray coef = inv.mul(inv).muli(inv).muli(dot).divi(c);     // [N, 1]
        INDArray dx = dxhat.muliColumnVector(inv);
        return dx.subi(x.mulColumnVector(coef));
    }

    /**
     * The decode path's forward (no state kept for a backward): rows [0, len) of x [len, C] -> y [len, C], both
     * {@link DecodeScratch} buffers (or slices of them), with the training kernel's arithmetic.
     */
    void forwardCached(DecodeScratch s, ByteBuffer x, ByteBuffer y, int len) {
        VectorKernels.rmsNormForward(x, s.buffer(weight.value()), y, s.inv, len, s.hidden, eps);
    }
}
