package org.verbo.models.nn;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PackedGemm} through {@link BatchedMatmul#gemm} against the product computed in double precision with plain
 * loops, on shapes with every edge: rows not a multiple of the 6-row block, columns not a multiple of the panel
 * (4 vectors) nor of one vector, a single short panel, k of 1..3 vectors and odd; both operand forms (b [n, k] as the
 * projections' weights, b [k, n]), a transposed (a [k, m], training's weight gradients dy^T x), inner dimensions
 * above {@link PackedGemm#MAX_K} (passes, a short last one) and accumulation into c. Tolerance: |fast - ref| <= 1e-6 k (1 + max |ref|), the float
 * rounding of a k-term chain. The result must not depend on the kernels' thread count (bit for bit), and must agree
 * with OpenBLAS (the path it replaces) to the same tolerance.
 */
@ExtendWith(KernelStateExtension.class)
class PackedGemmTest {
    @BeforeEach
    void kernelsOn() {
        Kernels.setEnabled(true);
    }

    @AfterEach
    void restore() {
        PackedGemm.force(null);
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transB={3} accumulate={4} transA={5}")
    @CsvSource({
            "6, 16, 8, true, false, false",
            "37, 100, 33, true, false, false",
            "37, 100, 33, false, false, false",
            "61, 257, 70, true, true, false",
            "61, 257, 70, false, true, false",
            "130, 64, 256, true, false, false",
            "9, 31, 17, false, true, false",
            "7, 200, 9, true, true, false",
            "13, 70, 12, false, false, false",
            // training's weight gradients dy^T x (+C), and inner dimensions above MAX_K in passes (tails included)
            "37, 100, 33, false, true, true",
            "61, 20, 70, true, false, true",
            "13, 70, 1600, false, true, true",
            // a^T packed per group of chunks: 768 rows in one group (a stride padded off 1 KB multiples on one thread),
            // and 700 rows at k = 1536 in five groups on one thread, the last ending in a partial block
            "768, 20, 16, false, true, true",
            "700, 20, 1536, false, true, true",
            "20, 33, 3100, false, false, false",
            "8, 40, 1537, true, true, false",
    })
    void matchesTheProductInDoublePrecision(int m, int n, int k, boolean transB, boolean accumulate, boolean transA) {
        Random rng = new Random(31L * m + 7L * n + k);
        float[] a = random(rng, m * k);
        float[] b = random(rng, n * k);
        float[] c0 = random(rng, m * n);
        double[] ref = new double[m * n];
        double scale = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c0[i * n + j] : 0;
                for (int kk = 0; kk < k; kk++) {
                    s += (double) a[i * k + kk] * (transB ? b[j * k + kk] : b[kk * n + j]);
                }
                ref[i * n + j] = s;
                scale = Math.max(scale, Math.abs(s));
            }
        }
        PackedGemm.force(true);
        float[] fast = product(a, b, c0, m, n, k, transB, accumulate, transA, 1);
        double tol = 1e-6 * k * (1 + scale);
        for (int i = 0; i < ref.length; i++) {
            if (Math.abs(fast[i] - ref[i]) > tol) {
                throw new AssertionError("element " + i + " (row " + i / n + ", column " + i % n + "): " + fast[i]
                        + " vs " + ref[i] + ", tolerance " + tol);
            }
        }
        for (int threads : new int[]{2, 3}) {
            assertArrayEquals(fast, product(a, b, c0, m, n, k, transB, accumulate, transA, threads),
                    threads + " threads must give the same bits as one");
        }
        PackedGemm.force(false);
        float[] blas = product(a, b, c0, m, n, k, transB, accumulate, transA, 1);
        for (int i = 0; i < ref.length; i++) {
            if (Math.abs(fast[i] - blas[i]) > 2 * tol) {
                throw new AssertionError("element " + i + ": packed " + fast[i] + " vs OpenBLAS " + blas[i]);
            }
        }
    }

    /**
     * The inference MLP with SwiGLU applied to each chunk of the gate|up product in the GEMM and down_proj accumulating
     * into the residual has the bits of the unfused path (GEMM, SwiGLU kernel, GEMM, add). F = 40 leaves a scalar tail
     * after the vector part of every row; 37 rows leave a partial register block; 1 and 3 threads split the rows.
     */
    @ParameterizedTest(name = "rows={0} f={1} threads={2}")
    @CsvSource({"37, 40, 1", "37, 40, 3", "130, 96, 2", "6, 16, 1"})
    void fusedInferenceMlpHasTheBitsOfTheUnfusedOne(int rows, int f, int threads) {
        int c = 24;
        Random rng = new Random(rows * 131L + f);
        INDArray gate = Nd4j.create(random(rng, f * c), new long[]{f, c}, 'c').muli(0.3);
        INDArray up = Nd4j.create(random(rng, f * c), new long[]{f, c}, 'c').muli(0.3);
        INDArray down = Nd4j.create(random(rng, c * f), new long[]{c, f}, 'c').muli(0.3);
        INDArray x = Nd4j.create(random(rng, rows * c), new long[]{rows, c}, 'c');
        INDArray residual = Nd4j.create(random(rng, rows * c), new long[]{rows, c}, 'c');
        VectorKernelsTest.Projections gu = VectorKernelsTest.Projections.of(gate, up);
        SwiGluFeedForward mlp = new SwiGluFeedForward(gu.separate().get(0), gu.separate().get(1),
                Param.standalone("down", down), gu.fused());
        PackedGemm.force(true);
        Kernels.setThreads(threads);
        assertTrue(BatchedMatmul.packs(x, gu.fused().value(), false, true), "the product must take the packed path");
        float[] unfused = Kernels.add(residual, mlp.forward(x)).data().asFloat();
        INDArray out = mlp.forwardInference(x, residual.dup());
        assertArrayEquals(unfused, out.data().asFloat(), "fused and unfused inference MLP");
    }

    @Test
    void theRuleFollowsOpenBlasCoreType() {
        assertFalse(PackedGemm.blasHeldBelowAvx512(null), "unset: OpenBLAS picks its kernels by CPUID");
        assertFalse(PackedGemm.blasHeldBelowAvx512(" "));
        assertFalse(PackedGemm.blasHeldBelowAvx512("SkylakeX"));
        assertFalse(PackedGemm.blasHeldBelowAvx512("COOPERLAKE"));
        assertFalse(PackedGemm.blasHeldBelowAvx512("SapphireRapids"));
        assertTrue(PackedGemm.blasHeldBelowAvx512("Haswell"));
        assertTrue(PackedGemm.blasHeldBelowAvx512("Zen"));
        assertTrue(PackedGemm.blasHeldBelowAvx512("Prescott"));
    }

    @Test
    void switchedOffKernelsMeanBlas() {
        PackedGemm.force(true);
        Kernels.setEnabled(false);
        assertFalse(PackedGemm.chosen());
    }

    /** a holds op(a) [m, k] row-major; with transA it is passed as its transpose [k, m] (a dense copy). */
    private static float[] product(float[] a, float[] b, float[] c0, int m, int n, int k, boolean transB,
                                   boolean accumulate, boolean transA, int threads) {
        Kernels.setThreads(threads);
        INDArray x = Nd4j.create(a, new long[]{m, k}, 'c');
        if (transA) {
            x = x.transpose().dup('c');                                     // [k, m]
        }
        INDArray w = transB ? Nd4j.create(b, new long[]{n, k}, 'c') : Nd4j.create(b, new long[]{k, n}, 'c');
        INDArray c = accumulate ? Nd4j.create(c0, new long[]{m, n}, 'c') : null;
        INDArray y = BatchedMatmul.gemm(x, w, c, transA, transB, 1.0, accumulate ? 1.0 : 0.0);
        return y.castTo(DataType.FLOAT).data().asFloat();
    }

    private static float[] random(Random rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }
}
