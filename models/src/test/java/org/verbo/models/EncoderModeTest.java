package org.verbo.models;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.verbo.models.nn.AttentionMask;
import org.verbo.models.nn.AttentionMode;
import org.verbo.models.nn.GradCheck;
import org.verbo.models.nn.Kernels;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decoder run as an encoder ({@link LlamaModel#hiddenStates}): the hidden-state backward against finite
 * differences (double), bidirectional against causal, and exactness of the key-padding mask: a text's states do not
 * depend on its batch, its padding length or the padding ids. Float checks run with the SIMD kernels on and off.
 */
class EncoderModeTest {
    /** GQA (4 query heads over 2 kv heads), small enough for finite differences. */
    private static final ModelConfig GRAD = new ModelConfig(11, 8, 2, 4, 2, 12, 6, 10000.0, 1e-5, false);
    /** Float checks: head dim 8, context 16. */
    private static final ModelConfig SMALL = new ModelConfig(61, 32, 2, 4, 2, 40, 16, 10000.0, 1e-5, false);

    private boolean savedKernels;

    @BeforeEach
    void save() {
        savedKernels = Kernels.enabled();
    }

    @AfterEach
    void restore() {
        Kernels.setEnabled(savedKernels);
    }

    private static int[] text(Random rng, int len, int vocab) {
        return LlamaModelTest.randomBlock(rng, len, vocab);
    }

    /**
     * Float32 model with projections 3x the N(0, 0.02) init (sharper attention, so masks matter visibly) and norm
     * weights left at 1. Why not 10x as the double tests: float states then reach 30 and the two layers amplify
     * float rounding of the products (which differ between batch shapes) to 1e-3; at 3x a shape change moves a state
     * by about 1e-6.
     */
    private static LlamaModel floatModel() {
        LlamaModel model = LlamaModel.initialize(SMALL, 21);
        model.parameters().muli(3);
        for (ParameterLayout.Entry e : model.layout().entries()) {
            if (e.name().endsWith("norm.weight")) {
                model.parameter(e.name()).assign(1);
            }
        }
        return model;
    }

    /** Rows 0..len-1 of row b of hidden [B, T, C], as [len, C] doubles. */
    private static INDArray real(INDArray hidden, int b, int len) {
        return hidden.get(NDArrayIndex.point(b), NDArrayIndex.interval(0, len), NDArrayIndex.all())
                .castTo(DataType.DOUBLE);
    }

    private static double maxDiff(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    @Test
    void hiddenStateBackwardMatchesFiniteDifferences() {
        for (AttentionMode mode : AttentionMode.values()) {
            LlamaModel model = LlamaModel.initialize(GRAD, 7, DataType.DOUBLE);
            model.parameters().muli(10);
            Random rng = new Random(31);
            int[] a = text(rng, 6, GRAD.vocabSize());
            int[] b = text(rng, 3, GRAD.vocabSize());
            int[] c = text(rng, 1, GRAD.vocabSize());
            c[0] = a[2];   // repeated id: embedding rows accumulate
            EncoderBatch batch = EncoderBatch.of(List.of(a, b, c));
            INDArray r = GradCheck.randn(rng, 1.0, 3, 6, GRAD.hiddenSize());   // dHidden, padded rows included
            model.zeroGradients();
            model.hiddenStates(batch, mode);
            model.hiddenStatesBackward(r);
            INDArray grads = model.gradients().dup();
            for (ParameterLayout.Entry e : model.layout().entries()) {
                INDArray g = grads.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size()));
                GradCheck.check(mode + " " + e.name(), model.parameter(e.name()), g,
                        () -> model.hiddenStates(batch, mode).mul(r).sumNumber().doubleValue(), 6, rng);
            }
        }
    }

    /**
     * Kernel path against reference path, float32, over the whole model: hidden states and the flat gradient of a
     * random dHidden (padded rows included), both modes. Tolerance as VectorKernelsTest: 2e-5 (1 + max |ref|).
     */
    @Test
    void kernelPathMatchesReferencePath() {
        Random rng = new Random(37);
        EncoderBatch batch = EncoderBatch.of(List.of(text(rng, 9, SMALL.vocabSize()), text(rng, 16, SMALL.vocabSize()),
                text(rng, 1, SMALL.vocabSize())));
        INDArray dHidden = GradCheck.randn(rng, 1.0, 3, 16, SMALL.hiddenSize()).castTo(DataType.FLOAT);
        for (AttentionMode mode : AttentionMode.values()) {
            List<INDArray> ref = encoderRun(false, batch, mode, dHidden);
            List<INDArray> fast = encoderRun(true, batch, mode, dHidden);
            for (int i = 0; i < ref.size(); i++) {
                double scale = 1 + ref.get(i).amaxNumber().doubleValue();
                double diff = maxDiff(ref.get(i), fast.get(i));
                assertTrue(diff <= 2e-5 * scale, mode + " output " + i + ": max |fast - ref| = " + diff);
            }
        }
    }

    private static List<INDArray> encoderRun(boolean kernels, EncoderBatch batch, AttentionMode mode, INDArray dh) {
        Kernels.setEnabled(kernels);
        LlamaModel model = floatModel();
        INDArray h = model.hiddenStates(batch, mode).dup();
        model.hiddenStatesBackward(dh);
        return List.of(h, model.gradients().dup());
    }

    @Test
    void bidirectionalSeesLaterTokensAndCausalDoesNot() {
        for (boolean kernels : new boolean[]{false, true}) {
            Kernels.setEnabled(kernels);
            LlamaModel model = floatModel();
            Random rng = new Random(33);
            int t = 9;
            int[] tokens = text(rng, t, SMALL.vocabSize());
            int[] changed = tokens.clone();
            changed[6] = (tokens[6] + 5) % SMALL.vocabSize();
            for (AttentionMode mode : AttentionMode.values()) {
                INDArray base = model.hiddenStates(EncoderBatch.of(List.of(tokens)), mode).dup();
                INDArray moved = model.hiddenStates(EncoderBatch.of(List.of(changed)), mode);
                double early = maxDiff(real(base, 0, 6), real(moved, 0, 6));   // positions before the change
                if (mode == AttentionMode.CAUSAL) {
                    assertEquals(0.0, early, 0.0, "causal: an earlier position moved (kernels " + kernels + ")");
                } else {
                    assertTrue(early > 1e-3, "bidirectional: earlier positions did not see the change (kernels "
                            + kernels + "), max diff " + early);
                }
                assertNotEquals(0.0, maxDiff(base.get(NDArrayIndex.point(0), NDArrayIndex.point(6), NDArrayIndex.all()),
                        moved.get(NDArrayIndex.point(0), NDArrayIndex.point(6), NDArrayIndex.all())));
            }
        }
    }

    /** A text's real-position states alone, in a batch with longer texts, and with extra padding. */
    @Test
    void statesDoNotDependOnBatchOrPadding() {
        Random rng = new Random(34);
        int[] a = text(rng, 5, SMALL.vocabSize());
        int[] b = text(rng, 11, SMALL.vocabSize());
        int[] c = text(rng, 16, SMALL.vocabSize());
        for (boolean kernels : new boolean[]{true, false}) {
            Kernels.setEnabled(kernels);
            LlamaModel model = floatModel();
            for (AttentionMode mode : AttentionMode.values()) {
                INDArray aloneA = model.hiddenStates(EncoderBatch.of(List.of(a)), mode).dup();
                INDArray aloneB = model.hiddenStates(EncoderBatch.of(List.of(b)), mode).dup();
                INDArray batch = model.hiddenStates(EncoderBatch.of(List.of(a, c, b)), mode).dup();
                INDArray padded = model.hiddenStates(EncoderBatch.of(List.of(b, a), 14), mode).dup();
                String what = mode + " (kernels " + kernels + ")";
                double[] diffs = {
                        maxDiff(real(aloneA, 0, 5), real(batch, 0, 5)),
                        maxDiff(real(aloneB, 0, 11), real(batch, 2, 11)),
                        maxDiff(real(aloneA, 0, 5), real(padded, 1, 5)),
                        maxDiff(real(aloneB, 0, 11), real(padded, 0, 11))};
                for (int i = 0; i < diffs.length; i++) {
                    assertTrue(diffs[i] <= 1e-5, what + ": case " + i + " max |diff| = " + diffs[i]);
                }
            }
        }
    }

    @Test
    void paddingIdsNeverReachRealPositionsAndNothingIsNaN() {
        Random rng = new Random(35);
        int[] a = text(rng, 4, SMALL.vocabSize());
        int[] b = text(rng, 13, SMALL.vocabSize());
        EncoderBatch zeros = EncoderBatch.of(List.of(a, b));
        int[] noisy = zeros.tokens().clone();
        for (int j = 4; j < 13; j++) {
            noisy[j] = rng.nextInt(SMALL.vocabSize());   // row 0's padding
        }
        EncoderBatch random = new EncoderBatch(2, 13, noisy, zeros.lengths());
        for (boolean kernels : new boolean[]{true, false}) {
            Kernels.setEnabled(kernels);
            LlamaModel model = floatModel();
            for (AttentionMode mode : AttentionMode.values()) {
                String what = mode + " (kernels " + kernels + ")";
                INDArray h0 = model.hiddenStates(zeros, mode).dup();
                INDArray h1 = model.hiddenStates(random, mode);
                assertEquals(0.0, maxDiff(real(h0, 0, 4), real(h1, 0, 4)), 0.0, what + ": padding ids leaked");
                assertEquals(0.0, maxDiff(real(h0, 1, 13), real(h1, 1, 13)), 0.0, what + ": other row changed");
                assertEquals(0, h1.castTo(DataType.DOUBLE).isNaN().castTo(DataType.INT).sumNumber().intValue(),
                        what + ": NaN in hidden states");
                assertTrue(Double.isFinite(h1.castTo(DataType.DOUBLE).amaxNumber().doubleValue()), what);
                model.zeroGradients();
                model.hiddenStatesBackward(GradCheck.randn(rng, 1.0, 2, 13, SMALL.hiddenSize()).castTo(DataType.FLOAT));
                double g = model.gradients().castTo(DataType.DOUBLE).amaxNumber().doubleValue();
                assertTrue(Double.isFinite(g) && g > 0, what + ": gradients " + g);
            }
        }
    }

    @Test
    void causalStatesFeedTheLmHead() {
        Kernels.setEnabled(true);
        LlamaModel model = floatModel();
        int[] tokens = text(new Random(36), 2 * 10, SMALL.vocabSize());
        INDArray logits = model.logits(tokens, 2, 10).dup();                               // [N, V]
        INDArray h = model.hiddenStates(tokens, 2, 10, AttentionMask.CAUSAL).reshape(20, SMALL.hiddenSize());
        INDArray viaHead = h.mmul(model.parameter("lm_head.weight").transpose());
        assertTrue(maxDiff(logits, viaHead) <= 1e-5 * (1 + logits.amaxNumber().doubleValue()));
    }

    @Test
    void badInputIsRejected() {
        LlamaModel model = LlamaModel.initialize(SMALL, 1);
        assertThrows(IllegalStateException.class,
                () -> model.hiddenStatesBackward(Transforms.abs(GradCheck.randn(new Random(1), 1, 1, 2, 32))));
        assertThrows(IllegalArgumentException.class, () -> new EncoderBatch(1, 3, new int[]{1, 2, 3}, new int[]{0}));
        assertThrows(IllegalArgumentException.class, () -> new EncoderBatch(1, 3, new int[]{1, 2, 3}, new int[]{4}));
        assertThrows(IllegalArgumentException.class, () -> new EncoderBatch(1, 2, new int[]{1, -1}, new int[]{1}));
        assertThrows(IllegalArgumentException.class, () -> AttentionMask.of(AttentionMode.BIDIRECTIONAL, 2, 0));
        assertThrows(IllegalArgumentException.class,
                () -> model.hiddenStates(new int[]{1, 2, 3, 4}, 2, 2, AttentionMask.of(AttentionMode.CAUSAL, 2, 3)));
        assertThrows(IllegalArgumentException.class,
                () -> model.hiddenStates(new int[]{1, 99}, 1, 2, AttentionMask.CAUSAL));
        model.hiddenStates(EncoderBatch.of(List.of(new int[]{1, 2, 3})), AttentionMode.BIDIRECTIONAL);
        assertThrows(IllegalArgumentException.class,
                () -> model.hiddenStatesBackward(GradCheck.randn(new Random(2), 1, 1, 2, 32).castTo(DataType.FLOAT)));
        assertThrows(IllegalArgumentException.class,
                () -> model.hiddenStatesBackward(GradCheck.randn(new Random(2), 1, 1, 3, 32)));   // double vs float
        model.logits(new int[]{1, 2}, 1, 2);
        assertThrows(IllegalStateException.class,
                () -> model.hiddenStatesBackward(GradCheck.randn(new Random(2), 1, 1, 2, 32).castTo(DataType.FLOAT)));
    }

    @Test
    void encoderStatesGiveTheSameBitsPackedAndInNestedWorkspacesAndRefuseABackward() {
        for (boolean kernels : new boolean[]{true, false}) {
            Kernels.setEnabled(kernels);
            LlamaModel model = floatModel();
            Random rng = new Random(41);
            EncoderBatch batch = EncoderBatch.of(List.of(text(rng, 9, SMALL.vocabSize()), text(rng, 14, SMALL.vocabSize()),
                    text(rng, 5, SMALL.vocabSize())));
            float[] training = model.hiddenStates(batch, AttentionMode.BIDIRECTIONAL).dup().data().asFloat();
            float[] inference;
            // inside an open workspace each block runs in the nested one; the states are copied out of it
            try (var ws = Workspaces.step("encoder-states-test")) {
                INDArray h = model.encoderStates(batch, AttentionMode.BIDIRECTIONAL);
                inference = h.dup().data().asFloat();
            }
            // with the kernels, inference runs on the real tokens only (packed): each real position as in the padded
            // batch (the same bits where the products take the same GEMM path; a row count can move a small product
            // between the packed GEMM and OpenBLAS, hence 1e-6), zeros at padding; without them, the same bits
            int c = SMALL.hiddenSize();
            for (int b = 0; b < batch.batchSize(); b++) {
                for (int t = 0; t < batch.seqLen(); t++) {
                    boolean pad = t >= batch.lengths()[b];
                    for (int j = 0; j < c; j++) {
                        int i = (b * batch.seqLen() + t) * c + j;
                        float want = kernels && pad ? 0f : training[i];
                        assertEquals(want, inference[i], kernels && !pad ? 1e-6f * (1 + Math.abs(want)) : 0f,
                                "kernels " + kernels + ", row " + b + " position " + t);
                    }
                }
            }
            INDArray dHidden = Nd4j.zeros(DataType.FLOAT, batch.batchSize(), batch.seqLen(), SMALL.hiddenSize());
            assertThrows(IllegalStateException.class, () -> model.hiddenStatesBackward(dHidden));
        }
    }
}
