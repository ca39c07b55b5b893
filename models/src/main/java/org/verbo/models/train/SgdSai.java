package org.verbo.models.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.models.ParameterLayout;
import org.verbo.models.nn.Kernels;

/**
 * SGD-SaI (Xu et al. 2024, "No More Adam: Learning Rate Scaling at Initialization is All You Need"): at the first
 * step every parameter tensor i gets g-SNR_i = ||g_i||_2 / (std(g_i) + eps) (std unbiased, as torch.std), and a
 * fixed learning-rate scale s_i = g-SNR_i / max_j g-SNR_j. Each step then: p *= 1 - lr wd (decoupled decay);
 * buf = momentum buf + g; p -= lr s_i buf. One momentum buffer, so the state is about half of AdamW's.
 * State layout: [momentum (P) | scale per tensor (n tensors, layout order)]; all-zero scales mean "not yet set".
 */
public final class SgdSai implements Optimizer {
    private final ParameterLayout layout;
    private final double momentum;
    private final double eps;
    private final double weightDecay;
    private final boolean decayAll;
    private final INDArray state;
    private final INDArray buf;
    private final INDArray scales;
    private final int[] offsets;   // tensor i on [offsets[i], offsets[i+1]) for the fused kernel (null past int offsets)

    public SgdSai(ParameterLayout layout, DataType dtype, double momentum, double eps, double weightDecay,
                  boolean decayAll) {
        this.layout = layout;
        this.momentum = momentum;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decayAll = decayAll;
        long p = layout.size();
        this.state = Nd4j.zeros(dtype, p + layout.tensorCount());
        this.buf = state.get(NDArrayIndex.interval(0, p));
        this.scales = state.get(NDArrayIndex.interval(p, p + layout.tensorCount()));
        if (p < Integer.MAX_VALUE) {
            this.offsets = new int[layout.tensorCount() + 1];
            for (int i = 0; i < layout.tensorCount(); i++) {
                ParameterLayout.Entry e = layout.entries().get(i);
                offsets[i] = (int) e.offset();
                offsets[i + 1] = (int) (e.offset() + e.size());
            }
        } else {
            this.offsets = null;
        }
    }

    @Override
    public TrainConfig.OptimizerKind kind() {
        return TrainConfig.OptimizerKind.SGD_SAI;
    }

    /** The fixed per-tensor learning-rate scales (zero before the first step). */
    public double[] scales() {
        return scales.toDoubleVector();
    }

    private void initScales(INDArray grads) {
        int n = layout.tensorCount();
        double[] snr = new double[n];
        double max = 0;
        for (int i = 0; i < n; i++) {
            ParameterLayout.Entry e = layout.entries().get(i);
            INDArray g = grads.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size()));
            double norm = g.norm2Number().doubleValue();
            double sigma = e.size() > 1 ? g.stdNumber().doubleValue() : 0.0;   // ND4J std is bias-corrected
            if (!Double.isFinite(sigma)) {
                sigma = 0.0;
            }
            snr[i] = sigma != 0.0 ? norm / (sigma + eps) : norm;
            max = Math.max(max, snr[i]);
        }
        if (max == 0.0) {
            throw new IllegalStateException("SGD-SaI: all gradients are zero at the first step; cannot set lr scales");
        }
        for (int i = 0; i < n; i++) {
            snr[i] /= max;
        }
        scales.assign(Nd4j.createFromArray(snr).castTo(scales.dataType()));
    }

    @Override
    public void step(INDArray params, INDArray grads, double lr, long t) {
        if (scales.amaxNumber().doubleValue() == 0.0) {
            initScales(grads);
        }
        double[] s = scales.toDoubleVector();
        int n = s.length;
        if (offsets != null) {
            double[] decay = new double[n];
            double[] stepSize = new double[n];
            for (int i = 0; i < n; i++) {
                ParameterLayout.Entry e = layout.entries().get(i);
                decay[i] = weightDecay > 0 && (decayAll || e.weightDecay()) ? 1 - lr * weightDecay : 1.0;
                stepSize[i] = lr * s[i];
            }
            if (Kernels.sgdMomentum(params, grads, buf, momentum, offsets, decay, stepSize)) {
                return;   // one fused pass over p, g, buf
            }
        }
        buf.muli(momentum).addi(grads);
        for (int i = 0; i < s.length; i++) {
            ParameterLayout.Entry e = layout.entries().get(i);
            INDArray p = params.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size()));
            if (weightDecay > 0 && (decayAll || e.weightDecay())) {
                p.muli(1 - lr * weightDecay);
            }
            p.subi(buf.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size())).mul(lr * s[i]));
        }
    }

    @Override
    public INDArray state() {
        return state;
    }

    @Override
    public String stateLayout() {
        return "[momentum_buffer (P) | lr_scale (" + layout.tensorCount() + " tensors)]";
    }
}
