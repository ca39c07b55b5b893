package org.verbo.models.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class RotaryEmbeddingTest {
    /**
     * D = 4, theta = 10000, position 3: inverse frequencies [1, 1/100], angles [3, 0.03]. HF rotate_half with
     * x = [1, 2, 3, 4]: out = [x1 cos - x3 sin, x2 cos' - x4 sin', x3 cos + x1 sin, x4 cos' + x2 sin'].
     * Expected values computed by hand with Python's math module (not by this code).
     */
    @Test
    void matchesHandComputedHfRotateHalf() {
        RotaryEmbedding rope = new RotaryEmbedding(4, 8, 10000.0, DataType.DOUBLE);
        INDArray x = Nd4j.createFromArray(new double[]{0, 0, 0, 0, 1, 2, 3, 4}).reshape(1, 2, 4);   // positions 2, 3
        INDArray out = rope.apply(x, 2);
        double[] expected = {-1.413352520780047, 1.8791180666879925, -2.828857481741469, 4.058191135400942};
        assertArrayEquals(expected, out.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.point(1)).toDoubleVector(), 1e-12);
        // position 0 is the identity
        INDArray x0 = Nd4j.createFromArray(new double[]{1, 2, 3, 4}).reshape(1, 1, 4);
        assertArrayEquals(new double[]{1, 2, 3, 4}, rope.apply(x0, 0).reshape(4).toDoubleVector(), 0.0);
    }
}
