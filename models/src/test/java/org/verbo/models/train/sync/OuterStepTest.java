package org.verbo.models.train.sync;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OuterStepTest {

    private static SyncConfig sync(SyncConfig.Outer outer, double lr, double mu) {
        return new SyncConfig(2, 10, outer, lr, mu, DeltaCodec.FP32, SyncConfig.InnerState.KEEP, 0);
    }

    @Test
    void averagingIsTheMeanOfTheReplicas() {
        float[] theta = {1.0f, -2.0f};
        // worker deltas (+0.5, -0.25) and (+0.25, +0.75): mean (+0.375, +0.25)
        OuterStep.apply(sync(SyncConfig.Outer.AVERAGE, 0.7, 0.9), theta, null, 0, new double[]{0.75, 0.5}, 2);
        assertEquals(1.375f, theta[0]);
        assertEquals(-1.75f, theta[1]);
    }

    @Test
    void dilocoIsNesterovSgdOnTheOuterGradient() {
        // Hand computation of torch.optim.SGD(lr=0.7, momentum=0.9, nesterov=True) over two outer steps on one
        // parameter, with the outer gradient g = θ - mean θ_k:
        //   step 1: θ=1.0, mean delta +0.1 -> g=-0.1; buf=-0.1; update=g+0.9 buf=-0.19; θ=1.0+0.7*0.19=1.133
        //   step 2: mean delta -0.05 -> g=+0.05; buf=0.9*(-0.1)+0.05=-0.04; update=0.05-0.036=0.014;
        //           θ=1.133-0.7*0.014=1.1232
        SyncConfig s = sync(SyncConfig.Outer.DILOCO, 0.7, 0.9);
        float[] theta = {1.0f};
        float[] v = {0f};
        OuterStep.apply(s, theta, v, 0, new double[]{0.2}, 2);   // two workers, sum 0.2 -> mean 0.1
        assertEquals(-0.1f, v[0], 1e-7f);
        assertEquals(1.133f, theta[0], 1e-6f);
        OuterStep.apply(s, theta, v, 0, new double[]{-0.1}, 2);
        assertEquals(-0.04f, v[0], 1e-7f);
        assertEquals(1.1232f, theta[0], 1e-6f);
    }

    @Test
    void dilocoWithUnitLrAndNoMomentumIsAveraging() {
        float[] a = {0.3f, -0.7f, 1e-3f};
        float[] b = a.clone();
        double[] sum = {0.01, -0.02, 3e-4};
        OuterStep.apply(sync(SyncConfig.Outer.AVERAGE, 0.7, 0.9), a, null, 0, sum, 1);
        OuterStep.apply(sync(SyncConfig.Outer.DILOCO, 1.0, 0.0), b, new float[3], 0, sum, 1);
        for (int i = 0; i < 3; i++) {
            assertEquals(a[i], b[i], 0.0f);
        }
    }
}
