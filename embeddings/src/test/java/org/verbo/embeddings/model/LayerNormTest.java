package org.verbo.embeddings.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.embeddings.FiniteDifferences;
import org.verbo.models.nn.Param;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LayerNormTest {
    @Test
    void matchesHandComputedValues() {
        // x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25; w = [1, 2, 1, 1], b = [0, 0, 0, 1]
        Param w = Param.standalone("w", Nd4j.createFromArray(1.0, 2.0, 1.0, 1.0));
        Param b = Param.standalone("b", Nd4j.createFromArray(0.0, 0.0, 0.0, 1.0));
        INDArray y = new LayerNorm(w, b, 1e-5).forward(Nd4j.createFromArray(new double[][]{{1, 2, 3, 4}}));
        double s = 1 / Math.sqrt(1.25 + 1e-5);
        assertArrayEquals(new double[]{-1.5 * s, -0.5 * s * 2, 0.5 * s, 1.5 * s + 1}, y.toDoubleVector(), 1e-12);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(3);
        Param w = Param.standalone("w", FiniteDifferences.randn(rng, 1.0, 5));
        Param b = Param.standalone("b", FiniteDifferences.randn(rng, 1.0, 5));
        LayerNorm norm = new LayerNorm(w, b, 1e-5);
        INDArray x = FiniteDifferences.randn(rng, 2.0, 4, 5);
        INDArray r = FiniteDifferences.randn(rng, 1.0, 4, 5);
        norm.forward(x);
        INDArray dx = norm.backward(r);
        FiniteDifferences.check("x", x, dx, () -> norm.forward(x).mul(r).sumNumber().doubleValue(), 100, rng);
        FiniteDifferences.check("w", w.value(), w.grad().dup(), () -> norm.forward(x).mul(r).sumNumber().doubleValue(),
                100, rng);
        FiniteDifferences.check("b", b.value(), b.grad().dup(), () -> norm.forward(x).mul(r).sumNumber().doubleValue(),
                100, rng);
    }

    @Test
    void applyMatchesForwardInFloatAndLeavesTheBackwardCacheAlone() {
        Random rng = new Random(4);
        Param w = Param.standalone("w", FiniteDifferences.randn(rng, 1.0, 37).castTo(DataType.FLOAT));
        Param b = Param.standalone("b", FiniteDifferences.randn(rng, 1.0, 37).castTo(DataType.FLOAT));
        LayerNorm norm = new LayerNorm(w, b, 1e-5);
        INDArray x = FiniteDifferences.randn(rng, 3.0, 9, 37).castTo(DataType.FLOAT);
        INDArray r = FiniteDifferences.randn(rng, 1.0, 9, 37).castTo(DataType.FLOAT);
        INDArray reference = norm.forward(x);
        INDArray dxAlone = norm.backward(r);
        norm.forward(x);
        INDArray fast = norm.apply(x.mul(2).addi(1));                 // another input in between
        INDArray dxAfterApply = norm.backward(r);
        assertArrayEquals(dxAlone.data().asFloat(), dxAfterApply.data().asFloat(), 0f);
        INDArray again = norm.apply(x);
        assertArrayEquals(reference.dup().data().asFloat(), again.data().asFloat(), 1e-5f);
        assertArrayEquals(new long[]{9, 37}, fast.shape());
    }

    @Test
    void rejectsBadConfig() {
        Param w = Param.standalone("w", Nd4j.ones(DataType.DOUBLE, 3));
        assertThrows(IllegalArgumentException.class, () -> new LayerNorm(w, w, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new LayerNorm(w, Param.standalone("b", Nd4j.ones(DataType.DOUBLE, 4)), 1e-5));
    }
}
