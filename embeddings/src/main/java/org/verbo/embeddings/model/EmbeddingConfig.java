package org.verbo.embeddings.model;

import org.verbo.models.ModelConfig;
import org.verbo.models.nn.AttentionMode;

/**
 * How a decoder becomes an embedder (everything besides the decoder's own {@code config.json}).
 *
 * @param pooling     latent attention (NV-Embed), mean, or last token
 * @param numLatents  latent attention: r latents
 * @param numHeads    latent attention: cross-attention heads
 * @param headDim     latent attention: width of one head
 * @param ffnMult     latent attention: GEGLU width multiple
 * @param attention   the decoder's mask: NV-Embed removes the causal mask (BIDIRECTIONAL)
 * @param maxLength   texts are cut to their first maxLength tokens (at most the decoder's context)
 * @param template    the query instruction template
 * @param similarity  "cosine" (embeddings are L2-normalised, so the dot product)
 */
public record EmbeddingConfig(PoolingKind pooling, int numLatents, int numHeads, int headDim, int ffnMult,
                              AttentionMode attention, int maxLength, InstructionTemplate template, String similarity) {
    public static final String COSINE = "cosine";

    public EmbeddingConfig {
        if (pooling == null || attention == null || template == null) {
            throw new IllegalArgumentException("pooling, attention and template are required");
        }
        if (numLatents < 1 || numHeads < 1 || headDim < 1 || ffnMult < 1) {
            throw new IllegalArgumentException("latents, heads, head dim and ffn mult must be >= 1, got " + numLatents
                    + ", " + numHeads + ", " + headDim + ", " + ffnMult);
        }
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
        }
        if (!COSINE.equals(similarity)) {
            throw new IllegalArgumentException("similarity must be '" + COSINE + "', got " + similarity);
        }
    }

    /** NV-Embed's choices scaled to the decoder ({@link LatentAttentionConfig#scaledTo}), bidirectional. */
    public static EmbeddingConfig nvEmbed(ModelConfig decoder) {
        LatentAttentionConfig la = LatentAttentionConfig.scaledTo(decoder.hiddenSize());
        return new EmbeddingConfig(PoolingKind.LATENT_ATTENTION, la.numLatents(), la.numHeads(), la.headDim(),
                la.ffnMult(), AttentionMode.BIDIRECTIONAL, decoder.contextLength(), InstructionTemplate.NV_EMBED, COSINE);
    }

    public EmbeddingConfig withPooling(PoolingKind kind) {
        return new EmbeddingConfig(kind, numLatents, numHeads, headDim, ffnMult, attention, maxLength, template,
                similarity);
    }

    public EmbeddingConfig withAttention(AttentionMode mode) {
        return new EmbeddingConfig(pooling, numLatents, numHeads, headDim, ffnMult, mode, maxLength, template,
                similarity);
    }

    public LatentAttentionConfig latentAttention(int hiddenSize) {
        return new LatentAttentionConfig(hiddenSize, numLatents, numHeads, headDim, ffnMult, 1e-5);
    }
}
