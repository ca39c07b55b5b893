package org.verbo.embeddings.train;

/**
 * Hyper-parameters of contrastive training ({@link EmbeddingTrainer}).
 *
 * @param learningRate   AdamW learning rate (constant)
 * @param weightDecay    AdamW decoupled weight decay on projections and latents
 * @param beta1          AdamW beta1
 * @param beta2          AdamW beta2
 * @param eps            AdamW epsilon
 * @param temperature    InfoNCE tau (smaller is sharper)
 * @param stage          1: in-batch and hard negatives; 2: hard negatives only (NV-Embed's two stages)
 * @param freezeDecoder  train the pooling only (the decoder's weights stay as loaded)
 * @param maxGradNorm    clip the global gradient norm to this (0: no clipping)
 */
public record EmbeddingTrainConfig(double learningRate, double weightDecay, double beta1, double beta2, double eps,
                                   double temperature, int stage, boolean freezeDecoder, double maxGradNorm) {
    public EmbeddingTrainConfig {
        if (!(learningRate > 0) || !(temperature > 0) || weightDecay < 0 || maxGradNorm < 0) {
            throw new IllegalArgumentException("need learningRate > 0, temperature > 0, weightDecay >= 0, maxGradNorm >= 0");
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)) {
            throw new IllegalArgumentException("AdamW needs betas in [0, 1) and eps > 0");
        }
        if (stage != 1 && stage != 2) {
            throw new IllegalArgumentException("stage must be 1 or 2, got " + stage);
        }
    }

    /** NV-Embed-like defaults: lr 2e-5 (the paper's), wd 0, tau 0.02, stage 1, decoder trained, clip 1.0. */
    public static EmbeddingTrainConfig defaults() {
        return new EmbeddingTrainConfig(2e-5, 0.0, 0.9, 0.999, 1e-8, 0.02, 1, false, 1.0);
    }

    public boolean inBatchNegatives() {
        return stage == 1;
    }

    public EmbeddingTrainConfig withStage(int s) {
        return new EmbeddingTrainConfig(learningRate, weightDecay, beta1, beta2, eps, temperature, s, freezeDecoder,
                maxGradNorm);
    }
}
