package org.verbo.models;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ModelConfigTest {
    @Test
    void matmulFlopsCountTheProductsOnly() {
        // bench-7m by hand: per layer q, k, v 256 x 768, o 256 x 256, gate, up, down 3 x 256 x 688 = 790,528 weights;
        // 4 layers + the LM head 8192 x 256 = 5,259,264; 6 x that + 12 x 4 layers x 256 context x 256 hidden
        assertEquals(6.0 * 5_259_264 + 3_145_728, ModelConfig.preset("bench-7m").matmulTrainFlopsPerToken(256), 0.0);
        // the embedding table (8192 x 256) and the norms are counted by the 6 N formula, not by this one
        ModelConfig m = ModelConfig.preset("bench-7m");
        assertEquals(6.0 * (m.parameterCount() - 5_259_264),
                m.trainFlopsPerToken(256) - m.matmulTrainFlopsPerToken(256), 1e-6);
    }

    @Test
    void groupedQueryAttentionShrinksTheKeyValueProjections() {
        // small-25m: C 512, H 8, Hk 4, D 64: q 512 x 512, k and v 512 x 256 each, o 512 x 512; F 1376; 6 layers;
        // tied LM head 16384 x 512 still multiplies
        long perLayer = 512L * 512 + 2L * 512 * 256 + 512L * 512 + 3L * 512 * 1376;
        double expected = 6.0 * (6 * perLayer + 16384L * 512) + 12.0 * 6 * 512 * 512;
        assertEquals(expected, ModelConfig.preset("small-25m").matmulTrainFlopsPerToken(512), 0.0);
    }
}
