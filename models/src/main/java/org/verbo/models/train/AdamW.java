package org.verbo.models.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.models.ParameterLayout;
import org.verbo.models.nn.Kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (Loshchilov and Hutter 2019, "Decoupled Weight Decay Regularization"), the same arithmetic as
 * {@code torch.optim.AdamW}: p *= 1 - lr wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). State layout: [m (P) | v (P)].
 */
public final class AdamW implements Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final INDArray state;
    private final INDArray m;
    private final INDArray v;
    private final List<long[]> decayRanges = new ArrayList<>();
    private final int[] decayFrom;   // the same ranges for the fused kernel (null past int offsets: no kernel)
    private final int[] decayTo;

    public AdamW(ParameterLayout layout, DataType dtype, double beta1, double beta2, double eps, double weightDecay,
                 boolean decayAll) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        long p = layout.size();
        this.state = Nd4j.zeros(dtype, 2 * p);
        this.m = state.get(NDArrayIndex.interval(0, p));
        this.v = state.get(NDArrayIndex.interval(p, 2 * p));
        for (ParameterLayout.Entry e : layout.entries()) {
            if (decayAll || e.weightDecay()) {
                decayRanges.add(new long[]{e.offset(), e.offset() + e.size()});
            }
        }
        boolean intOffsets = p < Integer.MAX_VALUE;
        this.decayFrom = intOffsets ? decayRanges.stream().mapToInt(r -> (int) r[0]).toArray() : null;
        this.decayTo = intOffsets ? decayRanges.stream().mapToInt(r -> (int) r[1]).toArray() : null;
    }

    @Override
    public TrainConfig.OptimizerKind kind() {
        return TrainConfig.OptimizerKind.ADAMW;
    }

    @Override
    public void step(INDArray params, INDArray grads, double lr, long t) {
        if (Kernels.adamw(params, grads, m, v, decayFrom, decayTo, 1 - lr * weightDecay, beta1, beta2,
                lr / (1 - Math.pow(beta1, t)), 1 / Math.sqrt(1 - Math.pow(beta2, t)), eps)) {
            return;   // one fused pass over p, g, m, v
        }
        if (weightDecay > 0) {
            for (long[] r : decayRanges) {
                params.get(NDArrayIndex.interval(r[0], r[1])).muli(1 - lr * weightDecay);
            }
        }
        // Ten passes over P and one temporary (was fourteen passes and five temporaries): the axpy updates are
        // single BLAS passes, and the temporary holds g^2, then the denominator, then the step direction.
        var blas = Nd4j.getBlasWrapper().level1();
        long n = params.length();
        m.muli(beta1);
        blas.axpy(n, 1 - beta1, grads, m);                                   // m = b1 m + (1-b1) g
        INDArray tmp = grads.mul(grads);                                       // g^2
        v.muli(beta2);
        blas.axpy(n, 1 - beta2, tmp, v);                                       // v = b2 v + (1-b2) g^2
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt(v, tmp));
        tmp.muli(1.0 / Math.sqrt(bc2)).addi(eps);                              // sqrt(v) / sqrt(bc2) + eps
        tmp.rdivi(m);                                                          // m / denom
        blas.axpy(n, -lr / bc1, tmp, params);                                  // p -= lr / bc1 * m / denom
    }

    @Override
    public INDArray state() {
        return state;
    }

    @Override
    public String stateLayout() {
        return "[exp_avg (P) | exp_avg_sq (P)]";
    }
}
