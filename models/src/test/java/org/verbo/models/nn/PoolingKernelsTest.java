package org.verbo.models.nn;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels NV-Embed's latent attention pooling runs at inference ({@code Kernels.layerNorm}, {@code geglu},
 * {@code softmaxRows}) against the formulas evaluated in double precision here (erf by ND4J's double op, i.e. the C
 * library's), on odd widths so every vector loop also runs its scalar tail, split over 1 and 3 parts.
 */
@ExtendWith(KernelStateExtension.class)
class PoolingKernelsTest {
    @BeforeEach
    void kernelsOn() {
        Kernels.setEnabled(true);
    }

    private static float[] randn(Random rng, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rng.nextGaussian() * scale);
        }
        return x;
    }

    /** erf in double precision by ND4J's double Erf op (std::erf), element by element. */
    private static double[] erf(double[] x) {
        INDArray a = Nd4j.createFromArray(x);
        Nd4j.exec(new Erf(a, a));
        return a.toDoubleVector();
    }

    @Test
    void normalCdfIsWithinTheApproximationsBoundInBothTwins() {
        int lanes = VectorKernels.lanes();
        int n = lanes * 2000;
        float[] z = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = -10f + 20f * i / (n - 1);                              // [-10, 10], both tails and 0
        }
        double[] half = new double[n];
        for (int i = 0; i < n; i++) {
            half[i] = z[i] / Math.sqrt(2.0);
        }
        double[] e = erf(half);
        double worst = 0;
        for (int i = 0; i < n; i += lanes) {
            float[] got = new float[lanes];
            VectorKernels.normalCdf(jdk.incubator.vector.FloatVector.fromArray(
                    jdk.incubator.vector.FloatVector.SPECIES_PREFERRED, z, i)).intoArray(got, 0);
            for (int l = 0; l < lanes; l++) {
                double want = 0.5 * (1 + e[i + l]);
                worst = Math.max(worst, Math.abs(got[l] - want));
                assertEquals(got[l], VectorKernels.normalCdf(z[i + l]), 0f, "scalar twin at z = " + z[i + l]);
            }
        }
        // A&S 7.1.26: |erf error| <= 1.5e-7, so |Phi error| <= 7.5e-8, plus the float rounding of 1 - poly exp(-x^2)
        // and of (1 + erf) / 2 near 1 (ulp(1) = 1.2e-7): 2.3e-7 measured, bound 3e-7
        assertTrue(worst <= 3e-7, "max |Phi - Phi_double| = " + worst);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void layerNormMatchesTheDoubleFormula(int parts) {
        Kernels.setThreads(parts);
        Random rng = new Random(31);
        int n = 13;
        int c = 37;
        float[] x = randn(rng, n * c, 3.0);
        for (int j = 0; j < c; j++) {
            x[j] += 50f;                                                    // a row far from zero mean
        }
        float[] w = randn(rng, c, 1.0);
        float[] b = randn(rng, c, 1.0);
        double eps = 1e-5;
        INDArray y = Kernels.layerNorm(Nd4j.createFromArray(x).reshape(n, c), Nd4j.createFromArray(w),
                Nd4j.createFromArray(b), eps);
        assertNotNull(y);
        float[] got = y.data().asFloat();
        for (int r = 0; r < n; r++) {
            double mean = 0;
            for (int j = 0; j < c; j++) {
                mean += x[r * c + j];
            }
            mean /= c;
            double var = 0;
            for (int j = 0; j < c; j++) {
                var += (x[r * c + j] - mean) * (x[r * c + j] - mean);
            }
            var /= c;
            for (int j = 0; j < c; j++) {
                double want = (x[r * c + j] - mean) / Math.sqrt(var + eps) * w[j] + b[j];
                assertEquals(want, got[r * c + j], 2e-5 * (1 + Math.abs(want)), "row " + r + " col " + j);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void gegluMatchesTheDoubleFormula(int parts) {
        Kernels.setThreads(parts);
        Random rng = new Random(32);
        int n = 11;
        int f = 41;
        float[] g = randn(rng, n * 2 * f, 2.0);
        float[] bias = randn(rng, 2 * f, 0.5);
        INDArray h = Kernels.geglu(Nd4j.createFromArray(g).reshape(n, 2 * f), Nd4j.createFromArray(bias));
        assertNotNull(h);
        assertEquals(java.util.List.of((long) n, (long) f), java.util.List.of(h.size(0), h.size(1)));
        float[] got = h.data().asFloat();
        double[] zs = new double[n * f];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < f; j++) {
                zs[r * f + j] = ((double) g[r * 2 * f + f + j] + bias[f + j]) / Math.sqrt(2.0);
            }
        }
        double[] e = erf(zs);
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < f; j++) {
                double u = (double) g[r * 2 * f + j] + bias[j];
                double z = (double) g[r * 2 * f + f + j] + bias[f + j];
                double want = u * z * 0.5 * (1 + e[r * f + j]);
                assertEquals(want, got[r * f + j], 1e-6 * (1 + Math.abs(u * z)), "row " + r + " col " + j);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void softmaxRowsMatchesTheDoubleFormula(int parts) {
        Kernels.setThreads(parts);
        Random rng = new Random(33);
        int rows = 19;
        int cols = 35;
        float[] s = randn(rng, rows * cols, 4.0);
        INDArray a = Nd4j.createFromArray(s.clone()).reshape(rows, cols);
        assertTrue(Kernels.softmaxRows(a));
        float[] got = a.data().asFloat();
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, s[r * cols + j]);
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp(s[r * cols + j] - max);
            }
            for (int j = 0; j < cols; j++) {
                double want = Math.exp(s[r * cols + j] - max) / sum;
                assertEquals(want, got[r * cols + j], 1e-6 * (1 + want), "row " + r + " col " + j);
            }
        }
    }

    @Test
    void theKernelsDeclineWhatTheyDoNotCover() {
        INDArray dbl = Nd4j.rand(DataType.DOUBLE, 4, 6);
        assertNull(Kernels.layerNorm(dbl, Nd4j.ones(DataType.DOUBLE, 6), Nd4j.zeros(DataType.DOUBLE, 6), 1e-5));
        assertNull(Kernels.geglu(Nd4j.rand(DataType.FLOAT, 4, 7), Nd4j.zeros(DataType.FLOAT, 7)));   // odd width
        Kernels.setEnabled(false);
        assertNull(Kernels.geglu(Nd4j.rand(DataType.FLOAT, 4, 6), Nd4j.zeros(DataType.FLOAT, 6)));
        assertTrue(!Kernels.softmaxRows(Nd4j.rand(DataType.FLOAT, 4, 6)));
    }
}
