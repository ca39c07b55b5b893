package org.verbo.embeddings.model;

/**
 * Hyper-parameters of {@link LatentAttentionPooling} (NV-Embed section 3.2; reference code
 * {@code LatentAttentionConfig} in nvidia/NV-Embed-v2 {@code configuration_nvembed.py}).
 *
 * @param hiddenSize C, the decoder's width (the reference's hidden_dim = latent_dim)
 * @param numLatents r, rows of the trainable latent array (512 in the paper for a 4096-wide Mistral 7B)
 * @param numHeads   cross-attention heads (8 in the paper)
 * @param headDim    width of one head (the reference's cross_dim_head, which it sets to the hidden size)
 * @param ffnMult    GEGLU inner width as a multiple of C (4, the reference's FeedForward mult)
 * @param normEps    LayerNorm epsilon (torch's default 1e-5)
 */
public record LatentAttentionConfig(int hiddenSize, int numLatents, int numHeads, int headDim, int ffnMult,
                                    double normEps) {
    public LatentAttentionConfig {
        positive("hiddenSize", hiddenSize);
        positive("numLatents", numLatents);
        positive("numHeads", numHeads);
        positive("headDim", headDim);
        positive("ffnMult", ffnMult);
        if (!(normEps > 0) || normEps >= 1) {
            throw new IllegalArgumentException("normEps must be in (0, 1), got " + normEps);
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }

    /**
     * The paper's shape scaled to a decoder of width C: 8 heads of width C (as the reference), r = 512 latents
     * scaled by C / 4096 and kept in [16, 512], GEGLU mult 4.
     */
    public static LatentAttentionConfig scaledTo(int hiddenSize) {
        int latents = Math.max(16, Math.min(512, (int) Math.round(512.0 * hiddenSize / 4096)));
        return new LatentAttentionConfig(hiddenSize, latents, 8, hiddenSize, 4, 1e-5);
    }

    /** Inner width of the attention, heads * headDim. */
    public int innerDim() {
        return numHeads * headDim;
    }

    /** GEGLU inner width F = ffnMult * C. */
    public int ffnSize() {
        return ffnMult * hiddenSize;
    }
}
