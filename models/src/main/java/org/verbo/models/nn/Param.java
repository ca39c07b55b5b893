package org.verbo.models.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A parameter tensor: a view into the model's flat parameter vector and, once training starts, a view into
 * the flat gradient vector with the same layout. Blocks accumulate into {@link #grad} (they never overwrite it)
 * so gradient accumulation and tied weights need no extra code.
 */
public final class Param {
    private final String name;
    private final INDArray value;
    private INDArray grad;

    public Param(String name, INDArray value) {
        this.name = name;
        this.value = value;
    }

    /** A standalone parameter with its own gradient buffer (block tests). */
    public static Param standalone(String name, INDArray value) {
        Param p = new Param(name, value);
        p.bindGrad(value.ulike().assign(0));
        return p;
    }

    public String name() {
        return name;
    }

    public INDArray value() {
        return value;
    }

    public INDArray grad() {
        if (grad == null) {
            throw new IllegalStateException("gradient buffer of " + name + " is not allocated (inference-only model)");
        }
        return grad;
    }

    public boolean hasGrad() {
        return grad != null;
    }

    public void bindGrad(INDArray g) {
        if (!java.util.Arrays.equals(g.shape(), value.shape())) {
            throw new IllegalArgumentException("gradient shape mismatch for " + name);
        }
        this.grad = g;
    }
}
