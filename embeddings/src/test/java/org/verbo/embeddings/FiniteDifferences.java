package org.verbo.embeddings;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Central finite differences in double precision, (f(x+h) - f(x-h)) / 2h, against an analytic gradient. */
public final class FiniteDifferences {
    private FiniteDifferences() {
    }

    /** All entries in row-major order. */
    public static double[] values(INDArray a) {
        return a.dup('c').reshape(a.length()).toDoubleVector();
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
     * Checks up to {@code maxElements} entries of x (all when x is small, else a seeded sample): relative error below
     * 1e-5, or absolute below 1e-9 where both sides are about zero.
     *
     * @param x        a live view the loss reads (perturbed in place and restored)
     * @param analytic dLoss/dx at the unperturbed point
     */
    public static void check(String what, INDArray x, INDArray analytic, DoubleSupplier loss, int maxElements,
                             Random rng) {
        double h = 1e-6;
        long n = x.length();
        INDArray flatX = x.reshape(n);
        INDArray flatG = analytic.reshape(n);
        int count = (int) Math.min(n, maxElements);
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
            assertTrue(Math.abs(numeric - a) < 1e-9 || err < 1e-5,
                    what + "[" + i + "]: analytic " + a + " vs numeric " + numeric + " (rel err " + err + ")");
        }
    }
}
