package org.verbo.embeddings.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.verbo.models.nn.Kernels;
import org.verbo.models.nn.Param;

/**
 * Layer normalisation (Ba, Kiros and Hinton 2016) as {@code torch.nn.LayerNorm(C)}: y = (x - mean) / sqrt(var + eps)
 * * w + b over the last dimension, biased variance. NV-Embed's {@code PreNorm} uses it on the decoder's hidden states
 * and on the latent array. Not thread-safe: a forward, then its backward.
 */
public final class LayerNorm {
    private final Param weight;   // [C]
    private final Param bias;     // [C]
    private final double eps;
    private INDArray xhat;        // [N, C] normalised input of the last forward
    private INDArray inv;         // [N, 1] 1 / sqrt(var + eps)

    public LayerNorm(Param weight, Param bias, double eps) {
        if (!(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm eps must be > 0, got " + eps);
        }
        if (weight.value().length() != bias.value().length()) {
            throw new IllegalArgumentException("LayerNorm weight and bias sizes differ");
        }
        this.weight = weight;
        this.bias = bias;
        this.eps = eps;
    }

    /** x [N, C] -> y [N, C]; keeps the normalised input for {@link #backward}. */
    public INDArray forward(INDArray x) {
        INDArray[] yXhatInv = normalise(x);
        xhat = yXhatInv[1];
        inv = yXhatInv[2];
        return yXhatInv[0];
    }

    /**
     * Inference: {@link #forward}'s y without keeping anything for a backward, in one SIMD pass per row when the
     * kernels apply ({@code Kernels.layerNorm}; {@link #forward} is its reference twin).
     */
    public INDArray apply(INDArray x) {
        INDArray y = Kernels.layerNorm(x, weight.value(), bias.value(), eps);
        return y != null ? y : normalise(x)[0];
    }

    /** The reference arithmetic: {y [N, C], xhat [N, C], inv [N, 1] = 1 / sqrt(var + eps)}. */
    private INDArray[] normalise(INDArray x) {
        long n = x.size(0);
        long c = x.size(1);
        if (c != weight.value().length()) {
            throw new IllegalArgumentException("LayerNorm over " + weight.value().length() + " features got width " + c);
        }
        INDArray mean = x.mean(1).reshape(n, 1);                              // [N, 1]
        INDArray centred = x.subColumnVector(mean);                           // [N, C]
        INDArray var = centred.mul(centred).mean(1).reshape(n, 1);            // [N, 1]
        INDArray invStd = Transforms.pow(var.addi(eps), -0.5, false);         // [N, 1]
        INDArray normalised = centred.muliColumnVector(invStd);               // [N, C]
        INDArray y = normalised.mulRowVector(weight.value().reshape(c)).addiRowVector(bias.value().reshape(c));
        return new INDArray[]{y, normalised, invStd};
    }

    /**
     * dy [N, C] -> dx [N, C]; adds dw = sum_n dy * xhat and db = sum_n dy into the gradients. With g = dy * w:
     * dx = inv * (g - mean(g) - xhat * mean(g * xhat)) (the mean and the variance both depend on x).
     */
    public INDArray backward(INDArray dy) {
        long n = dy.size(0);
        long c = dy.size(1);
        weight.grad().addi(dy.mul(xhat).sum(0).reshape(weight.grad().shape()));
        bias.grad().addi(dy.sum(0).reshape(bias.grad().shape()));
        INDArray g = dy.mulRowVector(weight.value().reshape(c));             // [N, C]
        INDArray meanG = g.mean(1).reshape(n, 1);                            // [N, 1]
        INDArray meanGx = g.mul(xhat).mean(1).reshape(n, 1);                 // [N, 1]
        return g.subiColumnVector(meanG).subi(xhat.mulColumnVector(meanGx)).muliColumnVector(inv);
    }
}
