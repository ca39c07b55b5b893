package org.verbo.models;

/**
 * Sampling for {@link LlamaModel#generate}: temperature 0 is greedy; topK 0 and topP 1 disable those filters
 * (Holtzman et al. 2020 for nucleus / top-p).
 */
public record SamplingConfig(int maxNewTokens, double temperature, int topK, double topP, long seed) {
    public SamplingConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
    }

    public static SamplingConfig greedy(int maxNewTokens) {
        return new SamplingConfig(maxNewTokens, 0.0, 0, 1.0, 0L);
    }
}
