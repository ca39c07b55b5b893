package org.verbo.models.train;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.models.ModelConfig;
import org.verbo.models.ParameterLayout;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** AdamW's fused ND4J update against a plain-Java twin of torch.optim.AdamW's arithmetic (single-tensor path). */
class AdamWTest {

    @Test
    void matchesTorchAdamWArithmeticOverSeveralSteps() {
        ModelConfig mc = ModelConfig.preset("tiny");
        ParameterLayout layout = ParameterLayout.of(mc);
        int p = Math.toIntExact(layout.size());
        double b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1, lr = 1e-2;
        AdamW opt = new AdamW(layout, DataType.DOUBLE, b1, b2, eps, wd, false);
        Random rng = new Random(3);
        double[] ref = new double[p];
        for (int i = 0; i < p; i++) {
            ref[i] = rng.nextGaussian();
        }
        INDArray params = Nd4j.createFromArray(ref.clone());
        double[] m = new double[p];
        double[] v = new double[p];
        boolean[] decay = new boolean[p];
        for (ParameterLayout.Entry e : layout.entries()) {
            for (long i = e.offset(); i < e.offset() + e.size(); i++) {
                decay[(int) i] = e.weightDecay();
            }
        }
        for (int t = 1; t <= 4; t++) {
            double[] g = new double[p];
            for (int i = 0; i < p; i++) {
                g[i] = rng.nextGaussian() * (i % 7 == 0 ? 1e-3 : 1.0);
            }
            opt.step(params, Nd4j.createFromArray(g), lr, t);
            double bc1 = 1 - Math.pow(b1, t);
            double bc2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < p; i++) {
                if (decay[i]) {
                    ref[i] *= 1 - lr * wd;
                }
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                ref[i] -= lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps);
            }
        }
        double[] got = params.toDoubleVector();
        double[] state = opt.state().toDoubleVector();
        for (int i = 0; i < p; i++) {
            assertEquals(ref[i], got[i], 1e-12, "param " + i);
            assertEquals(m[i], state[i], 1e-12, "exp_avg " + i);
            assertEquals(v[i], state[p + i], 1e-12, "exp_avg_sq " + i);
        }
    }
}
