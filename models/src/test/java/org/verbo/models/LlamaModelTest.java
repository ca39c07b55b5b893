package org.verbo.models;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.models.nn.GradCheck;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LlamaModelTest {
    /** Small enough for finite differences; GQA (4 query heads over 2 kv heads). */
    static final ModelConfig GRAD = new ModelConfig(11, 8, 2, 4, 2, 12, 6, 10000.0, 1e-5, false);

    static int[] randomBlock(Random rng, int len, int vocab) {
        int[] b = new int[len];
        for (int i = 0; i < len; i++) {
            b[i] = rng.nextInt(vocab);
        }
        return b;
    }

    @Test
    void wholeModelGradientMatchesFiniteDifferences() {
        for (boolean tied : new boolean[]{false, true}) {
            ModelConfig cfg = new ModelConfig(11, 8, 2, 4, 2, 12, 6, 10000.0, 1e-5, tied);
            LlamaModel model = LlamaModel.initialize(cfg, 7, DataType.DOUBLE);
            model.parameters().muli(10);   // 0.02-scale weights make tiny gradients; scale up for a sharper check
            Random rng = new Random(11);
            int[] a = randomBlock(rng, 7, 11);
            int[] b = randomBlock(rng, 7, 11);
            b[6] = -1;   // padding target
            b[3] = a[2]; // repeated id: embedding rows accumulate
            Batch batch = Batch.of(List.of(a, b), cfg.vocabSize(), cfg.contextLength());
            model.zeroGradients();
            model.lossAndBackward(batch, 1.0);
            INDArray grads = model.gradients().dup();
            for (ParameterLayout.Entry e : model.layout().entries()) {
                INDArray g = grads.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size()));
                GradCheck.check((tied ? "tied " : "") + e.name(), model.parameter(e.name()), g,
                        () -> model.loss(batch).lossSum(), 6, rng);
            }
        }
    }

    @Test
    void changingALaterTokenNeverChangesEarlierLogits() {
        ModelConfig cfg = ModelConfig.preset("tiny");
        LlamaModel model = LlamaModel.initialize(cfg, 3, DataType.DOUBLE);
        model.parameters().muli(20);
        Random rng = new Random(5);
        int t = 12;
        int[] tokens = randomBlock(rng, t, cfg.vocabSize());
        INDArray base = model.logits(tokens, 1, t).dup();
        for (int pos = 1; pos < t; pos++) {
            int[] changed = tokens.clone();
            changed[pos] = (changed[pos] + 1 + rng.nextInt(cfg.vocabSize() - 1)) % cfg.vocabSize();
            INDArray logits = model.logits(changed, 1, t);
            INDArray before = base.get(NDArrayIndex.interval(0, pos), NDArrayIndex.all());
            INDArray after = logits.get(NDArrayIndex.interval(0, pos), NDArrayIndex.all());
            assertEquals(0.0, before.sub(after).amaxNumber().doubleValue(), 0.0, "position < " + pos + " changed");
            // and the changed position itself does move
            org.junit.jupiter.api.Assertions.assertNotEquals(0.0,
                    base.getRow(pos).sub(logits.getRow(pos)).amaxNumber().doubleValue());
        }
    }

    @Test
    void kvCacheMatchesFullForward() {
        ModelConfig cfg = new ModelConfig(40, 16, 2, 4, 2, 24, 16, 10000.0, 1e-5, true);
        LlamaModel model = LlamaModel.initialize(cfg, 9, DataType.DOUBLE);
        model.parameters().muli(10);
        int[] tokens = randomBlock(new Random(1), 10, cfg.vocabSize());
        INDArray full = model.logits(tokens, 1, tokens.length).dup();
        LlamaModel.KvCache cache = model.newCache();
        INDArray first = model.forwardCached(java.util.Arrays.copyOf(tokens, 4), cache);
        assertArrayEquals(full.getRow(3).toDoubleVector(), first.toDoubleVector(), 1e-10);
        for (int i = 4; i < tokens.length; i++) {
            INDArray step = model.forwardCached(new int[]{tokens[i]}, cache);
            assertArrayEquals(full.getRow(i).toDoubleVector(), step.toDoubleVector(), 1e-10, "position " + i);
        }
    }

    @Test
    void greedyGenerationIsArgmaxOfFullForwardAndSamplingIsSeeded() {
        ModelConfig cfg = ModelConfig.preset("tiny");
        LlamaModel model = LlamaModel.initialize(cfg, 4);
        model.parameters().muli(30);
        int[] prompt = {1, 2, 3};
        int[] out = model.generate(prompt, SamplingConfig.greedy(5), -1);
        assertEquals(5, out.length);
        int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + out.length);
        System.arraycopy(out, 0, seq, prompt.length, out.length);
        INDArray logits = model.logits(java.util.Arrays.copyOf(seq, seq.length - 1), 1, seq.length - 1);
        for (int i = 0; i < out.length; i++) {
            assertEquals(logits.getRow(prompt.length - 1 + i).argMax().getInt(0), out[i], "token " + i);
        }
        SamplingConfig s = new SamplingConfig(8, 0.9, 10, 0.9, 42);
        assertArrayEquals(model.generate(prompt, s, -1), model.generate(prompt, s, -1));
        // stops at eos
        int[] stop = model.generate(prompt, SamplingConfig.greedy(5), out[1]);
        assertArrayEquals(new int[]{out[0], out[1]}, out[0] == out[1] ? new int[]{stop[0], out[1]} : stop);
    }

    @Test
    void badBlocksAreRejected() {
        ModelConfig cfg = ModelConfig.preset("tiny");
        assertThrows(IllegalArgumentException.class, () -> Batch.of(List.of(new int[]{1, 999}), cfg.vocabSize(), 8));
        assertThrows(IllegalArgumentException.class, () -> Batch.of(List.of(new int[]{1, 2, 3}, new int[]{1, 2}), 64, 8));
        assertThrows(IllegalArgumentException.class, () -> new ModelConfig(10, 8, 1, 3, 1, 8, 8, 1e4, 1e-5, false));
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("huge"));
    }
}
