package org.verbo.embeddings.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.embeddings.FiniteDifferences;
import org.verbo.models.ParameterLayout;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Latent attention pooling: its forward against a scalar-loop reference written from the paper's equations (with
 * erf by Simpson's rule, not the library's), its hand-written backward against finite differences for every
 * parameter tensor and the input, and the mask: positions outside it get exactly zero weight and zero gradient.
 */
class LatentAttentionPoolingTest {
    /** Width 6, 5 latents, 2 heads of 3, GEGLU width 24. */
    private static final LatentAttentionConfig SMALL = new LatentAttentionConfig(6, 5, 2, 3, 4, 1e-5);
    /** Rows of 5, 3 and 4 real tokens in a batch of length 5; row 1 has a 2-token instruction, row 2 a 1-token one. */
    private static final PoolingMask MASK = new PoolingMask(3, 5, new int[]{0, 2, 1}, new int[]{5, 3, 4});

    /** Every parameter random (norm weights and biases too, so their gradients are not trivially shaped). */
    private static LatentAttentionPooling randomPooling(long seed) {
        LatentAttentionPooling p = LatentAttentionPooling.initialize(SMALL, seed, DataType.DOUBLE);
        p.parameters().parameters().assign(FiniteDifferences.randn(new Random(seed + 1), 0.7,
                p.parameters().layout().size()));
        return p;
    }

    @Test
    void layoutHasTheReferenceNamesAndShapes() {
        ParameterLayout l = LatentAttentionPooling.layout(SMALL);
        assertArrayEquals(new long[]{5, 6}, l.entry("latent_attention_model.latents").shape());
        assertArrayEquals(new long[]{6, 6}, l.entry("latent_attention_model.cross_attend_blocks.0.fn.to_q.weight").shape());
        assertArrayEquals(new long[]{12, 6}, l.entry("latent_attention_model.cross_attend_blocks.0.fn.to_kv.weight").shape());
        assertArrayEquals(new long[]{6, 6}, l.entry("latent_attention_model.cross_attend_blocks.0.fn.to_out.weight").shape());
        assertArrayEquals(new long[]{48, 6}, l.entry("latent_attention_model.cross_attend_blocks.1.fn.net.0.weight").shape());
        assertArrayEquals(new long[]{6, 24}, l.entry("latent_attention_model.cross_attend_blocks.1.fn.net.2.weight").shape());
        assertEquals(14, l.tensorCount());
        // 30 latents + 4 norms*6 + 36 + 72 + 36 + 2*6 + 288 + 48 + 144 + 6
        assertEquals(30 + 24 + 36 + 72 + 36 + 12 + 288 + 48 + 144 + 6, l.size());
    }

    @Test
    void forwardMatchesScalarReference() {
        LatentAttentionPooling pooling = randomPooling(11);
        INDArray hidden = FiniteDifferences.randn(new Random(12), 1.0, 3, 5, 6);
        double[] got = FiniteDifferences.values(pooling.forward(hidden, MASK));
        double[] want = new double[3 * 6];
        for (int b = 0; b < 3; b++) {
            int count = MASK.end(b) - MASK.start(b);
            for (int t = MASK.start(b); t < MASK.end(b); t++) {
                double[] x = hidden.get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all()).toDoubleVector();
                double[] y = ScalarReference.token(pooling.parameters(), SMALL, x);
                for (int c = 0; c < 6; c++) {
                    want[b * 6 + c] += y[c] / count;
                }
            }
        }
        assertArrayEquals(want, got, 1e-9);
    }

    /**
     * The inference fast path ({@code pool}: pooled rows only, heads reassociated into two GEMMs of width H r, the
     * mean as row sums) against its reference twin {@code forward} and the scalar reference: within 1e-12 in double;
     * in float within 1e-5 of the output's scale (float rounding of differently ordered sums).
     */
    @Test
    void fastPoolMatchesForwardAndTheScalarReference() {
        LatentAttentionPooling pooling = randomPooling(13);
        INDArray hidden = FiniteDifferences.randn(new Random(14), 1.0, 3, 5, 6);
        double[] ref = FiniteDifferences.values(pooling.forward(hidden, MASK));
        double[] fast = FiniteDifferences.values(pooling.pool(hidden, MASK));
        assertArrayEquals(ref, fast, 1e-12);
        double[] scalar = new double[3 * 6];
        for (int b = 0; b < 3; b++) {
            for (int t = MASK.start(b); t < MASK.end(b); t++) {
                double[] y = ScalarReference.token(pooling.parameters(), SMALL,
                        hidden.get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all()).toDoubleVector());
                for (int c = 0; c < 6; c++) {
                    scalar[b * 6 + c] += y[c] / (MASK.end(b) - MASK.start(b));
                }
            }
        }
        assertArrayEquals(scalar, fast, 1e-9);
        // float, at the embedder's real shape ratio (heads x head width > width, more latents than heads)
        LatentAttentionConfig wide = new LatentAttentionConfig(16, 12, 4, 16, 4, 1e-5);
        LatentAttentionPooling f = LatentAttentionPooling.initialize(wide, 15, DataType.FLOAT);
        INDArray h = FiniteDifferences.randn(new Random(16), 1.0, 3, 5, 16).castTo(DataType.FLOAT);
        double[] fr = FiniteDifferences.values(f.forward(h, MASK).castTo(DataType.DOUBLE));
        double[] ff = FiniteDifferences.values(f.pool(h, MASK).castTo(DataType.DOUBLE));
        double scale = Arrays.stream(fr).map(Math::abs).max().orElse(1);
        assertArrayEquals(fr, ff, 1e-5 * (1 + scale));
        // pool keeps nothing for a backward
        assertThrows(IllegalStateException.class, () -> f.backward(Nd4j.zeros(DataType.FLOAT, 3, 16)));
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        LatentAttentionPooling pooling = randomPooling(21);
        Random rng = new Random(22);
        INDArray hidden = FiniteDifferences.randn(rng, 1.0, 3, 5, 6);
        INDArray r = FiniteDifferences.randn(rng, 1.0, 3, 6);
        pooling.parameters().zeroGradients();
        pooling.forward(hidden, MASK);
        INDArray dHidden = pooling.backward(r);
        INDArray grads = pooling.parameters().gradients().dup();
        java.util.function.DoubleSupplier loss = () -> pooling.forward(hidden, MASK).mul(r).sumNumber().doubleValue();
        FiniteDifferences.check("hidden", hidden, dHidden, loss, 12, rng);
        for (ParameterLayout.Entry e : pooling.parameters().layout().entries()) {
            INDArray g = grads.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size()));
            FiniteDifferences.check(e.name(), pooling.parameters().param(e.name()).value(), g, loss, 4, rng);
        }
    }

    @Test
    void positionsOutsideTheMaskHaveNoWeightAndNoGradient() {
        LatentAttentionPooling pooling = randomPooling(31);
        Random rng = new Random(32);
        INDArray hidden = FiniteDifferences.randn(rng, 1.0, 3, 5, 6);
        double[] before = FiniteDifferences.values(pooling.forward(hidden, MASK));
        INDArray dHidden = pooling.backward(FiniteDifferences.randn(rng, 1.0, 3, 6));
        INDArray changed = hidden.dup();
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 5; t++) {
                boolean pooled = t >= MASK.start(b) && t < MASK.end(b);
                INDArray g = dHidden.get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all());
                if (!pooled) {
                    assertEquals(0.0, g.amaxNumber().doubleValue(), 0.0, "gradient at (" + b + ", " + t + ")");
                    changed.get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all())
                            .assign(FiniteDifferences.randn(rng, 5.0, 6));
                }
            }
        }
        assertArrayEquals(before, FiniteDifferences.values(pooling.forward(changed, MASK)), 0.0);
    }

    @Test
    void badInputIsRejected() {
        LatentAttentionPooling pooling = randomPooling(41);
        assertThrows(IllegalArgumentException.class,
                () -> pooling.forward(FiniteDifferences.randn(new Random(1), 1, 3, 4, 6), MASK));
        assertThrows(IllegalArgumentException.class,
                () -> pooling.forward(FiniteDifferences.randn(new Random(1), 1, 3, 5, 7), MASK));
        assertThrows(IllegalArgumentException.class,
                () -> pooling.forward(FiniteDifferences.randn(new Random(1), 1, 3, 5, 6).castTo(DataType.FLOAT), MASK));
        assertThrows(IllegalArgumentException.class, () -> new PoolingMask(1, 4, new int[]{2}, new int[]{2}));
        assertThrows(IllegalArgumentException.class, () -> new LatentAttentionConfig(6, 0, 2, 3, 4, 1e-5));
    }

    /** The layer for one token with plain loops, from the paper's equations and the reference code's structure. */
    static final class ScalarReference {
        private ScalarReference() {
        }

        static double[] token(ParameterGroup g, LatentAttentionConfig c, double[] x) {
            String a = "latent_attention_model.cross_attend_blocks.0.";
            String f = "latent_attention_model.cross_attend_blocks.1.";
            int cd = c.hiddenSize();
            int dh = c.headDim();
            int in = c.innerDim();
            int r = c.numLatents();
            double[][] latents = g.param("latent_attention_model.latents").value().toDoubleMatrix();
            double[] xn = layerNorm(x, vec(g, a + "norm.weight"), vec(g, a + "norm.bias"), c.normEps());
            double[] q = matVec(mat(g, a + "fn.to_q.weight"), xn);
            double[][] wkv = mat(g, a + "fn.to_kv.weight");
            double[][] k = new double[r][];
            double[][] v = new double[r][];
            for (int j = 0; j < r; j++) {
                double[] kvj = matVec(wkv, layerNorm(latents[j], vec(g, a + "norm_context.weight"),
                        vec(g, a + "norm_context.bias"), c.normEps()));
                k[j] = java.util.Arrays.copyOfRange(kvj, 0, in);
                v[j] = java.util.Arrays.copyOfRange(kvj, in, 2 * in);
            }
            double[] o = new double[in];
            for (int h = 0; h < c.numHeads(); h++) {
                double[] s = new double[r];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < r; j++) {
                    for (int d = 0; d < dh; d++) {
                        s[j] += q[h * dh + d] * k[j][h * dh + d];
                    }
                    s[j] /= Math.sqrt(dh);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < r; j++) {
                    s[j] = Math.exp(s[j] - max);
                    z += s[j];
                }
                for (int j = 0; j < r; j++) {
                    for (int d = 0; d < dh; d++) {
                        o[h * dh + d] += s[j] / z * v[j][h * dh + d];
                    }
                }
            }
            double[] y1 = matVec(mat(g, a + "fn.to_out.weight"), o);
            for (int i = 0; i < cd; i++) {
                y1[i] += x[i];
            }
            double[] hidden = matVec(mat(g, f + "fn.net.0.weight"),
                    layerNorm(y1, vec(g, f + "norm.weight"), vec(g, f + "norm.bias"), c.normEps()));
            double[] b1 = vec(g, f + "fn.net.0.bias");
            int ff = c.ffnSize();
            double[] mid = new double[ff];
            for (int i = 0; i < ff; i++) {
                double value = hidden[i] + b1[i];
                double gate = hidden[ff + i] + b1[ff + i];
                mid[i] = value * gate * 0.5 * (1 + erf(gate / Math.sqrt(2)));
            }
            double[] y = matVec(mat(g, f + "fn.net.2.weight"), mid);
            double[] b2 = vec(g, f + "fn.net.2.bias");
            for (int i = 0; i < cd; i++) {
                y[i] += b2[i] + y1[i];
            }
            return y;
        }

        private static double[] vec(ParameterGroup g, String name) {
            return g.param(name).value().toDoubleVector();
        }

        private static double[][] mat(ParameterGroup g, String name) {
            return g.param(name).value().toDoubleMatrix();
        }

        private static double[] matVec(double[][] w, double[] x) {
            double[] y = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                for (int j = 0; j < x.length; j++) {
                    y[i] += w[i][j] * x[j];
                }
            }
            return y;
        }

        private static double[] layerNorm(double[] x, double[] w, double[] b, double eps) {
            double mean = 0;
            for (double v : x) {
                mean += v / x.length;
            }
            double var = 0;
            for (double v : x) {
                var += (v - mean) * (v - mean) / x.length;
            }
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = (x[i] - mean) / Math.sqrt(var + eps) * w[i] + b[i];
            }
            return y;
        }

        /** erf by Simpson's rule on 2/sqrt(pi) exp(-t^2) over [0, x], 4000 intervals (error far below 1e-12). */
        static double erf(double x) {
            int n = 4000;
            double h = x / n;
            double sum = 1 + Math.exp(-x * x);
            for (int i = 1; i < n; i++) {
                double t = i * h;
                sum += (i % 2 == 1 ? 4 : 2) * Math.exp(-t * t);
            }
            return 2 / Math.sqrt(Math.PI) * sum * h / 3;
        }
    }
}
