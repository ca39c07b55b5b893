package org.verbo.models;

import java.util.Locale;

/**
 * Hyper-parameters of a Llama-style decoder (Touvron et al. 2023, "LLaMA"; Hugging Face {@code LlamaConfig}).
 *
 * @param vocabSize      number of token ids
 * @param hiddenSize     model width C
 * @param numLayers      number of {@code DecoderBlock}s
 * @param numHeads       query heads H; head dim D = C / H
 * @param numKvHeads     key/value heads Hk (grouped-query attention, Ainslie et al. 2023); H % Hk == 0
 * @param ffnSize        SwiGLU inner width F
 * @param contextLength  maximum sequence length T
 * @param ropeTheta      RoPE base (Su et al. 2021)
 * @param normEps        RMSNorm epsilon
 * @param tiedEmbeddings whether the LM head reuses the token embedding matrix
 */
public record ModelConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                          int ffnSize, int contextLength, double ropeTheta, double normEps, boolean tiedEmbeddings) implements java.io.Serializable {

    public ModelConfig {
        positive("vocabSize", vocabSize);
        positive("hiddenSize", hiddenSize);
        positive("numLayers", numLayers);
        positive("numHeads", numHeads);
        positive("numKvHeads", numKvHeads);
        positive("ffnSize", ffnSize);
        positive("contextLength", contextLength);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hiddenSize " + hiddenSize + " is not a multiple of numHeads " + numHeads);
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numHeads " + numHeads + " is not a multiple of numKvHeads " + numKvHeads);
        }
        if ((hiddenSize / numHeads) % 2 != 0) {
            throw new IllegalArgumentException("head dim " + hiddenSize / numHeads + " must be even for rotary embeddings");
        }
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
            throw new IllegalArgumentException("ropeTheta must be a positive number, got " + ropeTheta);
        }
        if (!(normEps > 0) || normEps >= 1) {
            throw new IllegalArgumentException("normEps must be in (0, 1), got " + normEps);
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    /** Names accepted by {@link #preset(String)}. */
    public static final java.util.List<String> PRESETS = java.util.List.of("tiny", "bench-7m", "small-25m", "base-125m");

    /**
     * Named sizes. {@code tiny} is for tests; {@code bench-7m} is the benchmark model (scripts/bench/train.sh);
     * {@code small-25m} uses GQA (8 query heads over 4 key/value heads).
     */
    public static ModelConfig preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny" -> new ModelConfig(64, 32, 2, 4, 2, 64, 32, 10000.0, 1e-5, false);
            case "bench-7m" -> new ModelConfig(8192, 256, 4, 4, 4, 688, 256, 10000.0, 1e-5, false);
            case "small-25m" -> new ModelConfig(16384, 512, 6, 8, 4, 1376, 512, 10000.0, 1e-5, true);
            case "base-125m" -> new ModelConfig(32000, 768, 12, 12, 12, 2560, 1024, 10000.0, 1e-5, true);
            default -> throw new IllegalArgumentException("unknown model preset '" + name + "'; known: " + PRESETS);
        };
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Query heads per key/value head (the GQA group size). */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    public long parameterCount() {
        return ParameterLayout.of(this).size();
    }

    /**
     * Forward+backward FLOPs per trained token: 6 N for the weights (Kaplan et al. 2020, N = all parameters, as the
     * issue defines it) plus 12 L T C for attention scores and values (Chowdhery et al. 2022, PaLM, appendix B).
     */
    public double trainFlopsPerToken(int seqLen) {
        return 6.0 * parameterCount() + 12.0 * numLayers * (double) seqLen * hiddenSize;
    }

    /**
     * Forward+backward FLOPs per trained token of the matrix products only, the numerator of model FLOP utilisation
     * (Chowdhery et al. 2022, PaLM, appendix B): 6 x the weights that enter a product (q, k, v, o, gate, up, down and
     * the LM head, which multiplies even when tied) plus 12 L T C for the scores and the values, the full T x T as
     * PaLM counts it. Unlike {@link #trainFlopsPerToken}, the embedding lookup (a gather) and the norms are not counted.
     */
    public double matmulTrainFlopsPerToken(int seqLen) {
        long c = hiddenSize;
        long attn = c * (long) (numHeads + 2 * numKvHeads) * headDim() + (long) numHeads * headDim() * c;
        long ffn = 3L * c * ffnSize;
        double weights = (double) numLayers * (attn + ffn) + (double) vocabSize * c;
        return 6.0 * weights + 12.0 * numLayers * (double) seqLen * hiddenSize;
    }
}
