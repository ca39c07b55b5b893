package org.verbo.models.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Central finite differences in double precision: (f(x+h) - f(x-h)) / 2h against an analytic gradient. */
public final class GradCheck {
    private GradCheck() {
    }

    public static INDArray randn(Random rng, double scale, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = scale * rng.nextGaussian();
        }
        return Nd4j.createFromArray(v).castTo(DataType.DOUBLE).reshape('c', shape);
    }

    /**
     * Checks up to {@code maxElements} entries of {@code x} (chosen by the seeded rng; all when small).
     *
     * @param loss     recomputes the scalar loss from the current contents of x
     * @param analytic dLoss/dx computed once at the unperturbed point
     */
    public static void check(String what, INDArray x, INDArray analytic, DoubleSupplier loss, int maxElements, Random rng) {
        double h = 1e-6;
        long n = x.length();
        INDArray flatX = x.reshape(n);
        INDArray flatG = analytic.reshape(n);
        int count = (int) Math.min(n, maxElements);
        double worst = 0;
        for (int c = 0; c < count; c++) {
            long i = n <= maxElements ? c : (long) (rng.nextDouble() * n);
            double orig = flatX.getDouble(i);
            flatX.putScalar(i, orig + h);
            double plus = loss.getAsDouble();
            flatX.putScalar(i, orig - h);
            double minus = loss.getAsDouble();
            flatX.putScalar(i, orig);
            double numeric = (plus - minus) / (2 * h);
            double a = flatG.getDouble(i);
            double err = Math.abs(numeric - a) / Math.max(1e-7, Math.abs(numeric) + Math.abs(a));
            worst = Math.max(worst, Math.abs(numeric - a) < 1e-9 ? 0 : err);
            assertTrue(Math.abs(numeric - a) < 1e-9 || err < 1e-5,
                    what + "[" + i + "]: analytic " + a + " vs numeric " + numeric + " (rel err " + err + ")");
        }
    }
}
