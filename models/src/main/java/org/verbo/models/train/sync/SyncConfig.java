package org.verbo.models.train.sync;

import java.util.Locale;

/**
 * How N data-parallel workers train and meet (the {@code verbo.pretrain.sync} block).
 *
 * @param workers          N, one Spark task per worker and round
 * @param localSteps       H, inner optimizer steps a worker takes between two synchronisations
 * @param outer            how the replicas are combined (DiLoCo's Nesterov step, or plain averaging)
 * @param outerLr          DiLoCo's outer learning rate (0.7 in Douillard et al. 2023)
 * @param outerMomentum    DiLoCo's Nesterov momentum (0.9)
 * @param codec            how a worker's delta travels (bf16 by default, as OpenDiLoCo / INTELLECT-1)
 * @param innerState       whether a worker's inner optimizer state carries over to its next round or restarts
 * @param reducePartitions chunks the parameter vector is cut into for the combine (0: one per worker)
 */
public record SyncConfig(int workers, int localSteps, Outer outer, double outerLr, double outerMomentum, DeltaCodec codec,
                         InnerState innerState, int reducePartitions) implements java.io.Serializable {

    /** The outer optimizer. */
    public enum Outer {
        /** θ ← θ − lr_out (g + μ v), v ← μ v + g with the outer gradient g = θ − mean_k θ_k (DiLoCo). */
        DILOCO,
        /** θ ← mean_k θ_k (parameter averaging; DiLoCo with lr_out = 1 and μ = 0). */
        AVERAGE;

        public static Outer parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "diloco" -> DILOCO;
                case "average", "averaging" -> AVERAGE;
                default -> throw new IllegalArgumentException("unknown outer optimizer '" + s + "'; expected diloco or average");
            };
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What happens to a worker's inner optimizer state (AdamW moments, SGD-SaI momentum and scales) between rounds. */
    public enum InnerState {
        /** Kept per worker across rounds (as in DiLoCo), stored beside the run so a lost executor loses nothing. */
        KEEP,
        /** Started afresh every round (nothing stored; the optimizer's own step count restarts too). */
        RESET;

        public static InnerState parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "keep" -> KEEP;
                case "reset" -> RESET;
                default -> throw new IllegalArgumentException("unknown inner_state '" + s + "'; expected keep or reset");
            };
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public SyncConfig {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        if (localSteps < 1) {
            throw new IllegalArgumentException("sync.local_steps must be >= 1, got " + localSteps);
        }
        if (outer == null || codec == null || innerState == null) {
            throw new IllegalArgumentException("outer, codec and inner_state are required");
        }
        if (!(outerLr > 0) || Double.isInfinite(outerLr)) {
            throw new IllegalArgumentException("sync.outer_lr must be > 0, got " + outerLr);
        }
        if (!(outerMomentum >= 0 && outerMomentum < 1)) {
            throw new IllegalArgumentException("sync.outer_momentum must be in [0, 1), got " + outerMomentum);
        }
        if (reducePartitions < 0) {
            throw new IllegalArgumentException("sync.reduce_partitions must be >= 0, got " + reducePartitions);
        }
    }

    /** Chunks of the parameter vector in the combine: one per worker unless set. */
    public int chunks(long parameters) {
        int c = reducePartitions > 0 ? reducePartitions : workers;
        return (int) Math.max(1, Math.min(c, parameters));
    }

    /** Rounds for {@code steps} inner steps per worker; the last round may be shorter. */
    public long rounds(long steps) {
        return (steps + localSteps - 1) / localSteps;
    }

    /** Inner steps of round {@code r} (0-based) in a run of {@code steps}. */
    public int stepsInRound(long r, long steps) {
        return (int) Math.min(localSteps, steps - r * localSteps);
    }
}
