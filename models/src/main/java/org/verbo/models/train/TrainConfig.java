package org.verbo.models.train;

import java.util.Locale;

/**
 * Single-process training hyper-parameters. One optimizer step consumes microBatchSize x gradAccumulation
 * blocks. Learning rate: linear warm-up over warmupSteps to lr, then cosine decay to minLr at step {@code steps}.
 *
 * @param evalInterval       steps between validation passes (0 = only at the end)
 * @param evalBatches        validation micro-batches per pass (0 = the whole validation stream)
 * @param checkpointInterval steps between checkpoints (0 = only at the end)
 * @param logInterval        steps between metrics.jsonl records and progress lines
 * @param decayAll           also apply weight decay to norms and embeddings (off by default, as in nanoGPT)
 */
public record TrainConfig(int steps, int microBatchSize, int gradAccumulation, double lr, double minLr, int warmupSteps,
                          double weightDecay, double clipNorm, OptimizerKind optimizer, double beta1, double beta2,
                          double eps, double momentum, int evalInterval, int evalBatches, int checkpointInterval,
                          int logInterval, long seed, boolean decayAll) implements java.io.Serializable {

    /** Optimizer choice; {@link #parse} accepts the CLI spellings {@code adamw} and {@code sgd-sai}. */
    public enum OptimizerKind {
        ADAMW("adamw"), SGD_SAI("sgd-sai");

        private final String id;

        OptimizerKind(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static OptimizerKind parse(String s) {
            String k = s.toLowerCase(Locale.ROOT).replace('_', '-');
            for (OptimizerKind o : values()) {
                if (o.id.equals(k)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown optimizer '" + s + "'; expected adamw or sgd-sai");
        }
    }

    public TrainConfig {
        if (steps <= 0) {
            throw new IllegalArgumentException("steps must be > 0, got " + steps);
        }
        if (microBatchSize <= 0) {
            throw new IllegalArgumentException("microBatchSize must be > 0, got " + microBatchSize);
        }
        if (gradAccumulation <= 0) {
            throw new IllegalArgumentException("gradAccumulation must be > 0, got " + gradAccumulation);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr must be > 0, got " + lr);
        }
        if (!(minLr >= 0 && minLr <= lr)) {
            throw new IllegalArgumentException("minLr must be in [0, lr], got " + minLr);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
        }
        if (!(clipNorm >= 0)) {
            throw new IllegalArgumentException("clipNorm must be >= 0 (0 = off), got " + clipNorm);
        }
        if (optimizer == null) {
            throw new IllegalArgumentException("optimizer is required");
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps must be > 0, got " + eps);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (evalInterval < 0 || evalBatches < 0 || checkpointInterval < 0) {
            throw new IllegalArgumentException("evalInterval, evalBatches and checkpointInterval must be >= 0");
        }
        if (logInterval <= 0) {
            throw new IllegalArgumentException("logInterval must be > 0, got " + logInterval);
        }
    }

    /** Tokens per optimizer step at sequence length seqLen. */
    public long tokensPerStep(int seqLen) {
        return (long) microBatchSize * gradAccumulation * seqLen;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.steps = steps;
        b.microBatchSize = microBatchSize;
        b.gradAccumulation = gradAccumulation;
        b.lr = lr;
        b.minLr = minLr;
        b.warmupSteps = warmupSteps;
        b.weightDecay = weightDecay;
        b.clipNorm = clipNorm;
        b.optimizer = optimizer;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.eps = eps;
        b.momentum = momentum;
        b.evalInterval = evalInterval;
        b.evalBatches = evalBatches;
        b.checkpointInterval = checkpointInterval;
        b.logInterval = logInterval;
        b.seed = seed;
        b.decayAll = decayAll;
        return b;
    }

    /** Defaults follow nanoGPT / Llama practice: AdamW(0.9, 0.95), wd 0.1, clip 1.0, lr 3e-4 -> 3e-5. */
    public static final class Builder {
        private int steps = 1000;
        private int microBatchSize = 8;
        private int gradAccumulation = 1;
        private double lr = 3e-4;
        private double minLr = 3e-5;
        private int warmupSteps = 100;
        private double weightDecay = 0.1;
        private double clipNorm = 1.0;
        private OptimizerKind optimizer = OptimizerKind.ADAMW;
        private double beta1 = 0.9;
        private double beta2 = 0.95;
        private double eps = 1e-8;
        private double momentum = 0.9;
        private int evalInterval = 100;
        private int evalBatches = 20;
        private int checkpointInterval = 500;
        private int logInterval = 10;
        private long seed = 1234;
        private boolean decayAll = false;

        public Builder steps(int v) { steps = v; return this; }
        public Builder microBatchSize(int v) { microBatchSize = v; return this; }
        public Builder gradAccumulation(int v) { gradAccumulation = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder minLr(double v) { minLr = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder clipNorm(double v) { clipNorm = v; return this; }
        public Builder optimizer(OptimizerKind v) { optimizer = v; return this; }
        public Builder optimizer(String v) { optimizer = OptimizerKind.parse(v); return this; }
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder eps(double v) { eps = v; return this; }
        public Builder momentum(double v) { momentum = v; return this; }
        public Builder evalInterval(int v) { evalInterval = v; return this; }
        public Builder evalBatches(int v) { evalBatches = v; return this; }
        public Builder checkpointInterval(int v) { checkpointInterval = v; return this; }
        public Builder logInterval(int v) { logInterval = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder decayAll(boolean v) { decayAll = v; return this; }

        public TrainConfig build() {
            return new TrainConfig(steps, microBatchSize, gradAccumulation, lr, minLr, warmupSteps, weightDecay, clipNorm,
                    optimizer, beta1, beta2, eps, momentum, evalInterval, evalBatches, checkpointInterval, logInterval,
                    seed, decayAll);
        }
    }
}
