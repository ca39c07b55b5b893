package org.verbo.models.train;

/** Linear warm-up then cosine decay (Loshchilov and Hutter 2017, SGDR, without restarts), as in nanoGPT. */
public final class LrSchedule {
    private LrSchedule() {
    }

    /** Learning rate of 0-based optimizer step {@code step}. */
    public static double at(TrainConfig c, long step) {
        if (step < c.warmupSteps()) {
            return c.lr() * (step + 1) / c.warmupSteps();
        }
        long decaySteps = Math.max(1, c.steps() - c.warmupSteps());
        double progress = Math.min(1.0, (double) (step - c.warmupSteps()) / decaySteps);
        return c.minLr() + 0.5 * (c.lr() - c.minLr()) * (1 + Math.cos(Math.PI * progress));
    }
}
