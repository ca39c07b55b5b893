package org.verbo.models;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.verbo.models.nn.Kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float decode kernels of {@link LlamaModel#forwardCached} (nn.DecodeScratch, nn.DecodeKernels) against two
 * independent sources: the ND4J reference path of the same method (kernels switched off) and the full, non-cached
 * forward ({@link LlamaModel#logits}), whose row t is the logits after tokens 0..t.
 *
 * <p>Tolerance: max |kernel - reference| <= 2e-5 (1 + max |reference|) per step. Why that much: both are float32,
 * the projections run as sgemv in one path and sgemm in the other (other summation orders), the softmax uses another
 * exp, and two layers amplify the rounding. Weights are 3x the init (sharp enough attention that RoPE and the causal
 * mask matter; logits up to about 9). Measured: at most 1.1e-5 relative, and the two ND4J references (cached and
 * full forward) differ from each other by up to 8e-6 (at 5x weights both spreads grow to about 1e-4).
 */
class CachedDecodingTest {
    /** GQA (4 query heads over 2 kv heads), head dim 64 (whole vectors of 16 lanes), untied head. */
    private static final ModelConfig GQA64 = new ModelConfig(101, 256, 2, 4, 2, 200, 48, 10000.0, 1e-5, false);
    /** Multi-head (2 over 2), head dim 12 (the kernels' scalar tails), tied head. */
    private static final ModelConfig MHA12 = new ModelConfig(67, 24, 3, 2, 2, 40, 40, 10000.0, 1e-5, true);

    private boolean savedKernels;

    @BeforeEach
    void save() {
        savedKernels = Kernels.enabled();
    }

    @AfterEach
    void restore() {
        Kernels.setEnabled(savedKernels);
    }

    private static LlamaModel model(ModelConfig cfg, long seed) {
        LlamaModel model = LlamaModel.initialize(cfg, seed);
        model.parameters().muli(3);
        return model;
    }

    private static void close(float[] ref, float[] got, String what) {
        assertEquals(ref.length, got.length, what);
        double max = 0;
        double diff = 0;
        for (int i = 0; i < ref.length; i++) {
            max = Math.max(max, Math.abs(ref[i]));
            diff = Math.max(diff, Math.abs(ref[i] - got[i]));
        }
        assertTrue(diff <= 2e-5 * (1 + max), what + ": max |diff| " + diff + " over max |ref| " + max);
    }

    /** Logits after each call of a prompt in one call then single tokens; one float[] per call. */
    private static List<float[]> decode(LlamaModel model, int[] tokens, int prompt) {
        LlamaModel.KvCache cache = model.newCache();
        List<float[]> out = new ArrayList<>();
        out.add(model.forwardCached(Arrays.copyOf(tokens, prompt), cache).toFloatVector());
        for (int i = prompt; i < tokens.length; i++) {
            out.add(model.forwardCached(new int[]{tokens[i]}, cache).toFloatVector());
        }
        assertEquals(tokens.length, cache.length());
        return out;
    }

    @Test
    void kernelPathMatchesReferencePathAndFullForward() {
        if (!Kernels.AVAILABLE) {
            return;   // without the Vector API module both calls below would be the reference path
        }
        for (ModelConfig cfg : new ModelConfig[]{GQA64, MHA12}) {
            LlamaModel model = model(cfg, 31);
            int[] tokens = LlamaModelTest.randomBlock(new Random(7), cfg.contextLength(), cfg.vocabSize());
            int prompt = 9;
            Kernels.setEnabled(false);
            List<float[]> reference = decode(model, tokens, prompt);
            INDArray full = model.logits(tokens, 1, tokens.length).dup();   // ND4J reference forward
            Kernels.setEnabled(true);
            List<float[]> kernels = decode(model, tokens, prompt);
            for (int k = 0; k < kernels.size(); k++) {
                int pos = prompt - 1 + k;
                String what = cfg + " position " + pos;
                close(reference.get(k), kernels.get(k), what + " vs reference forwardCached");
                close(full.getRow(pos).toFloatVector(), kernels.get(k), what + " vs full forward");
            }
        }
    }

    @Test
    void promptInOneCallEqualsTokenByTokenAndPathsShareTheCache() {
        LlamaModel model = model(GQA64, 5);
        int[] tokens = LlamaModelTest.randomBlock(new Random(3), 20, GQA64.vocabSize());
        List<float[]> oneByOne = decode(model, tokens, 1);
        LlamaModel.KvCache cache = model.newCache();
        float[] whole = model.forwardCached(tokens, cache).toFloatVector();
        close(oneByOne.get(oneByOne.size() - 1), whole, "20 tokens in one call vs one at a time");
        if (Kernels.AVAILABLE) {
            // a cache begun on the reference path continues on the kernels (one [Hk, Tmax, D] layout for both)
            Kernels.setEnabled(false);
            LlamaModel.KvCache mixed = model.newCache();
            model.forwardCached(Arrays.copyOf(tokens, 12), mixed);
            Kernels.setEnabled(true);
            float[] last = null;
            for (int i = 12; i < tokens.length; i++) {
                last = model.forwardCached(new int[]{tokens[i]}, mixed).toFloatVector();
            }
            close(oneByOne.get(oneByOne.size() - 1), last, "reference prefill, kernel decode");
        }
    }

    @Test
    void fullCacheAndBadTokensAreRejectedOnBothPaths() {
        for (boolean kernels : new boolean[]{false, true}) {
            if (kernels && !Kernels.AVAILABLE) {
                continue;
            }
            Kernels.setEnabled(kernels);
            LlamaModel model = model(MHA12, 2);
            LlamaModel.KvCache cache = model.newCache();
            int[] prompt = LlamaModelTest.randomBlock(new Random(1), MHA12.contextLength() - 1, MHA12.vocabSize());
            model.forwardCached(prompt, cache);
            model.forwardCached(new int[]{3}, cache);
            assertEquals(MHA12.contextLength(), cache.length());
            IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                    () -> model.forwardCached(new int[]{3}, cache));
            assertTrue(full.getMessage().startsWith("KV cache full"), full.getMessage());
            LlamaModel.KvCache fresh = model.newCache();
            assertThrows(IllegalArgumentException.class, () -> model.forwardCached(new int[]{MHA12.vocabSize()}, fresh));
            assertThrows(IllegalArgumentException.class, () -> model.forwardCached(new int[0], fresh));
            assertEquals(0, fresh.length());
        }
    }

    @Test
    void greedyGenerationOnTheKernelsIsTheArgmaxOfTheFullForward() {
        LlamaModel model = model(GQA64, 11);
        int[] prompt = {5, 17, 42, 8};
        int[] out = model.generate(prompt, SamplingConfig.greedy(30), -1);
        int[] seq = Arrays.copyOf(prompt, prompt.length + out.length);
        System.arraycopy(out, 0, seq, prompt.length, out.length);
        INDArray logits = model.logits(Arrays.copyOf(seq, seq.length - 1), 1, seq.length - 1);
        int[] argmax = new int[out.length];
        for (int i = 0; i < out.length; i++) {
            argmax[i] = logits.getRow(prompt.length - 1 + i).argMax().getInt(0);
        }
        assertArrayEquals(argmax, out);
    }
}
