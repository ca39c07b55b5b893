package org.verbo.embeddings.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.embeddings.FiniteDifferences;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class L2NormalizeTest {
    @Test
    void threeFourFiveTriangle() {
        INDArray y = new L2Normalize().forward(Nd4j.createFromArray(new double[][]{{3, 4}, {0, -2}}));
        assertArrayEquals(new double[]{0.6, 0.8, 0, -1}, FiniteDifferences.values(y), 1e-15);
    }

    @Test
    void unitRowsOfAFlatArrayAndTheZeroVector() {
        float[] flat = {9, 3, 4, 0, 0, 0};                       // rows [3, 4] and [0, 0] after an offset of 1
        assertArrayEquals(new float[]{0.6f, 0.8f}, L2Normalize.unit(flat, 1, 2), 0f);
        assertArrayEquals(new float[]{0f, 0f}, L2Normalize.unit(flat, 4, 2), 0f);   // eps: zeros, not NaN
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(5);
        L2Normalize norm = new L2Normalize();
        INDArray x = FiniteDifferences.randn(rng, 1.5, 3, 7);
        INDArray r = FiniteDifferences.randn(rng, 1.0, 3, 7);
        norm.forward(x);
        INDArray dx = norm.backward(r);
        FiniteDifferences.check("x", x, dx, () -> new L2Normalize().forward(x).mul(r).sumNumber().doubleValue(), 100,
                rng);
    }
}
