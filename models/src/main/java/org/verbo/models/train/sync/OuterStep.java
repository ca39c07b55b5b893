package org.verbo.models.train.sync;

/**
 * The outer step over one chunk of the parameter vector, given the sum of the N workers' deltas (added in worker
 * order, in double, so the result does not depend on which task finished first). Arithmetic in double, results
 * stored as float32:
 * <ul>
 *   <li>average: θ ← θ + mean Δ, which is mean θ_k;</li>
 *   <li>DiLoCo (Douillard et al. 2023, Algorithm 1, outer optimizer Nesterov momentum): the outer gradient is
 *       g = θ − mean θ_k = −mean Δ; v ← μ v + g; θ ← θ − lr (g + μ v), which is PyTorch's
 *       {@code SGD(nesterov=True, dampening=0)} with its first-step buffer v = g (v starts at 0).</li>
 * </ul>
 */
public final class OuterStep {
    private OuterStep() {
    }

    /**
     * Applies the step in place: {@code params[from + i]} and, for DiLoCo, {@code momentum[from + i]} for i over
     * the chunk; {@code deltaSum[i]} is the sum of the workers' deltas and {@code workers} their count.
     */
    public static void apply(SyncConfig sync, float[] params, float[] momentum, int from, double[] deltaSum, int workers) {
        double mu = sync.outerMomentum();
        double lr = sync.outerLr();
        for (int i = 0; i < deltaSum.length; i++) {
            double mean = deltaSum[i] / workers;
            int j = from + i;
            if (sync.outer() == SyncConfig.Outer.AVERAGE) {
                params[j] = (float) (params[j] + mean);
            } else {
                double g = -mean;
                double v = mu * momentum[j] + g;
                momentum[j] = (float) v;
                params[j] = (float) (params[j] - lr * (g + mu * v));
            }
        }
    }
}
