package org.verbo.models.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The direct-BLAS batched matmul agrees with ND4J's own matmul (its reference twin) for every transpose case. */
class BatchedMatmulTest {

    @Test
    void matchesNd4jMatmulForAllTransposesAndDtypes() {
        Nd4j.getRandom().setSeed(7);
        for (DataType dt : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            for (boolean ta : new boolean[]{false, true}) {
                for (boolean tb : new boolean[]{false, true}) {
                    INDArray a = Nd4j.rand(dt, ta ? new long[]{3, 5, 4} : new long[]{3, 4, 5});
                    INDArray b = Nd4j.rand(dt, tb ? new long[]{3, 6, 5} : new long[]{3, 5, 6});
                    INDArray want = BatchedMatmul.reference(a, b, ta, tb);
                    INDArray got = BatchedMatmul.matmul(a, b, ta, tb);
                    assertArrayEquals(want.shape(), got.shape());
                    double tol = dt == DataType.FLOAT ? 1e-5 : 1e-12;
                    assertTrue(want.equalsWithEps(got, tol), dt + " " + ta + " " + tb);
                }
            }
        }
    }

    @Test
    void viewsWithAnOffsetUseTheRightElements() {
        Nd4j.getRandom().setSeed(8);
        INDArray big = Nd4j.rand(DataType.FLOAT, 5, 4, 5);
        INDArray a = big.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all(), NDArrayIndex.all());   // offset 40
        INDArray b = Nd4j.rand(DataType.FLOAT, 3, 5, 2);
        assertTrue(BatchedMatmul.reference(a, b, false, false).equalsWithEps(BatchedMatmul.matmul(a, b, false, false), 1e-5));
    }

    @Test
    void gemmIntoAnOffsetViewAccumulatesLikeNd4jGemm() {
        Nd4j.getRandom().setSeed(9);
        for (DataType dt : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            for (boolean ta : new boolean[]{false, true}) {
                for (boolean tb : new boolean[]{false, true}) {
                    // operands and output as reshaped slices of flat vectors, like Param values and gradients
                    INDArray flat = Nd4j.rand(dt, 200);
                    INDArray a = flat.get(NDArrayIndex.interval(7, 7 + 12)).reshape('c', ta ? new long[]{3, 4} : new long[]{4, 3});
                    INDArray b = flat.get(NDArrayIndex.interval(50, 50 + 15)).reshape('c', tb ? new long[]{5, 3} : new long[]{3, 5});
                    INDArray want = flat.get(NDArrayIndex.interval(100, 120)).reshape('c', 4, 5).dup();
                    Nd4j.gemm(a, b, want, ta, tb, 0.5, 1.0);
                    INDArray got = flat.get(NDArrayIndex.interval(100, 120)).reshape('c', 4, 5);
                    BatchedMatmul.gemm(a, b, got, ta, tb, 0.5, 1.0);
                    double tol = dt == DataType.FLOAT ? 1e-5 : 1e-12;
                    assertTrue(want.equalsWithEps(flat.get(NDArrayIndex.interval(100, 120)).reshape(4, 5), tol), dt + " " + ta + " " + tb);
                    assertTrue(Nd4j.gemm(a, b, ta, tb).equalsWithEps(BatchedMatmul.gemm(a, b, null, ta, tb, 1.0, 0.0), tol));
                }
            }
        }
    }
}
