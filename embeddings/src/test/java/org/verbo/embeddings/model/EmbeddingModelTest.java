package org.verbo.embeddings.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.embeddings.FiniteDifferences;
import org.verbo.models.EncoderBatch;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.nn.AttentionMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedder end to end on a tiny float decoder: unit-norm output for every pooling, independence from the batch,
 * the padding length and the padding ids, zero pooling weight for instruction and padding tokens, truncation, and
 * the instruction template.
 */
class EmbeddingModelTest {
    static final ModelConfig TINY = ModelConfig.preset("tiny");   // vocab 64, width 32, 2 layers, context 32

    static EmbeddingConfig config(PoolingKind kind) {
        return new EmbeddingConfig(kind, 8, 4, 8, 4, AttentionMode.BIDIRECTIONAL, 32, InstructionTemplate.NV_EMBED,
                EmbeddingConfig.COSINE);
    }

    static EmbeddingModel tiny(PoolingKind kind, long seed) {
        LlamaModel decoder = LlamaModel.initialize(TINY, seed);
        decoder.parameters().muli(3);   // sharper attention than the 0.02 init, so masks matter visibly
        for (var e : decoder.layout().entries()) {
            if (e.name().endsWith("norm.weight")) {
                decoder.parameter(e.name()).assign(1);
            }
        }
        return EmbeddingModel.create(decoder, config(kind), seed + 1);
    }

    static int[] text(Random rng, int len) {
        int[] t = new int[len];
        for (int i = 0; i < len; i++) {
            t[i] = 1 + rng.nextInt(TINY.vocabSize() - 1);
        }
        return t;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void embeddingsAreUnitVectorsForEveryPooling() {
        Random rng = new Random(1);
        List<int[]> texts = List.of(text(rng, 3), text(rng, 17), text(rng, 1), text(rng, 9), text(rng, 32));
        List<Integer> instr = List.of(1, 5, 0, 0, 4);
        for (PoolingKind kind : PoolingKind.values()) {
            float[][] e = tiny(kind, 2).encode(texts, instr, 2);
            assertEquals(5, e.length);
            for (float[] v : e) {
                assertEquals(TINY.hiddenSize(), v.length);
                double sq = 0;
                for (float x : v) {
                    sq += x * x;
                }
                assertEquals(1.0, Math.sqrt(sq), 1e-5, kind + " embedding norm");
            }
        }
    }

    /**
     * encode (workspace, {@link Pooling#pool} fast paths) against the reference twin {@link EmbeddingModel#forward}
     * on the same batches: within 1e-5 per component of unit vectors (float rounding).
     */
    @Test
    void encodeMatchesTheTrainingForward() {
        Random rng = new Random(5);
        List<int[]> texts = List.of(text(rng, 7), text(rng, 32), text(rng, 2), text(rng, 19), text(rng, 12));
        List<Integer> instr = List.of(2, 6, 0, 0, 3);
        for (PoolingKind kind : PoolingKind.values()) {
            EmbeddingModel model = tiny(kind, 6);
            float[][] fast = model.encode(texts, instr, 3);
            for (int from = 0; from < texts.size(); from += 3) {
                int to = Math.min(texts.size(), from + 3);
                float[][] ref = model.forward(texts.subList(from, to),
                        instr.subList(from, to).stream().mapToInt(Integer::intValue).toArray()).toFloatMatrix();
                for (int i = from; i < to; i++) {
                    double d = maxDiff(ref[i - from], fast[i]);
                    assertTrue(d <= 1e-5, kind + " text " + i + ": encode vs forward differ by " + d);
                }
            }
        }
    }

    /**
     * The first batch a model encodes runs in measuring workspaces, the later ones in fixed workspaces sized from it,
     * grown when a later call has longer batches: the same texts in the same batches give the same bits every time.
     */
    @Test
    void encodeGivesTheSameBitsInItsMeasuringFirstBatchAndInTheSizedWorkspaces() {
        Random rng = new Random(9);
        List<int[]> shortTexts = List.of(text(rng, 6), text(rng, 3), text(rng, 8), text(rng, 5));
        List<int[]> longer = List.of(text(rng, 31), text(rng, 29), text(rng, 32), text(rng, 30));
        List<Integer> none = java.util.Collections.nCopies(4, 0);
        for (PoolingKind kind : PoolingKind.values()) {
            EmbeddingModel model = tiny(kind, 10);
            float[][] first = model.encode(shortTexts, none, 2);        // batch 1 measured, batch 2 in fixed workspaces
            float[][] again = model.encode(shortTexts, none, 2);
            float[][] swapped = model.encode(List.of(shortTexts.get(2), shortTexts.get(3), shortTexts.get(0),
                    shortTexts.get(1)), none, 2);
            float[][] grown = model.encode(longer, none, 2);              // larger batches: the workspaces grow
            float[][] afterGrowth = model.encode(shortTexts, none, 2);
            for (int i = 0; i < 4; i++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(first[i], again[i], 0f, kind + " text " + i);
                org.junit.jupiter.api.Assertions.assertArrayEquals(first[i], swapped[(i + 2) % 4], 0f,
                        kind + " text " + i + " in the other batch position");
                org.junit.jupiter.api.Assertions.assertArrayEquals(first[i], afterGrowth[i], 0f, kind + " text " + i);
                assertEquals(TINY.hiddenSize(), grown[i].length);
            }
        }
    }

    @Test
    void aTextAloneAndInAPaddedBatchAgree() {
        Random rng = new Random(3);
        int[] a = text(rng, 5);
        List<int[]> batch = List.of(text(rng, 20), a, text(rng, 11));
        for (PoolingKind kind : PoolingKind.values()) {
            EmbeddingModel model = tiny(kind, 4);
            float[] alone = model.encode(List.of(a), List.of(2))[0];
            float[] inBatch = model.encode(batch, List.of(3, 2, 0))[1];
            double d = maxDiff(alone, inBatch);
            assertTrue(d <= 1e-5, kind + ": alone vs padded batch differ by " + d);
        }
    }

    /** Sorting by length only regroups the batches: every text gets its embedding alone, in the input's order. */
    @Test
    void encodeByLengthKeepsTheInputOrder() {
        Random rng = new Random(8);
        List<int[]> texts = List.of(text(rng, 30), text(rng, 4), text(rng, 17), text(rng, 4), text(rng, 9));
        EmbeddingModel model = tiny(PoolingKind.LATENT_ATTENTION, 7);
        float[][] sorted = model.encodeByLength(texts, 2);
        assertEquals(texts.size(), sorted.length);
        for (int i = 0; i < texts.size(); i++) {
            float[] alone = model.encode(List.of(texts.get(i)), List.of(0))[0];
            double d = maxDiff(alone, sorted[i]);
            assertTrue(d <= 1e-5, "text " + i + ": alone vs sorted batches differ by " + d);
        }
    }

    /** The decoder's padded states are junk that depends on the padding ids; the pooled embedding must not. */
    @Test
    void paddingIdsChangeNothing() {
        Random rng = new Random(5);
        EncoderBatch zeros = EncoderBatch.of(List.of(text(rng, 4), text(rng, 13), text(rng, 7)));
        int[] noisy = zeros.tokens().clone();
        for (int b = 0; b < 3; b++) {
            for (int t = zeros.lengths()[b]; t < 13; t++) {
                noisy[b * 13 + t] = rng.nextInt(TINY.vocabSize());
            }
        }
        EncoderBatch random = new EncoderBatch(3, 13, noisy, zeros.lengths());
        int[] instr = {1, 3, 0};
        for (PoolingKind kind : PoolingKind.values()) {
            EmbeddingModel model = tiny(kind, 6);
            INDArray h0 = model.decoder().hiddenStates(zeros, AttentionMode.BIDIRECTIONAL).dup();
            INDArray h1 = model.decoder().hiddenStates(random, AttentionMode.BIDIRECTIONAL).dup();
            assertTrue(h0.sub(h1).amaxNumber().doubleValue() > 0, "padded states should differ (else the test is void)");
            INDArray p0 = model.pooling().forward(h0, PoolingMask.of(zeros, instr)).dup();
            INDArray p1 = model.pooling().forward(h1, PoolingMask.of(random, instr));
            assertEquals(0.0, p0.sub(p1).amaxNumber().doubleValue(), 0.0, kind + ": padding ids leaked");
        }
    }

    /** Backward from any gradient: instruction and padding positions get exactly zero, every pooling. */
    @Test
    void instructionAndPaddingTokensGetZeroPoolingWeight() {
        Random rng = new Random(7);
        PoolingMask mask = new PoolingMask(2, 6, new int[]{3, 0}, new int[]{5, 2});
        for (PoolingKind kind : PoolingKind.values()) {
            Pooling pooling = EmbeddingModel.newPooling(config(kind), TINY.hiddenSize(), 8, DataType.DOUBLE);
            INDArray hidden = FiniteDifferences.randn(rng, 1.0, 2, 6, TINY.hiddenSize());
            INDArray before = pooling.forward(hidden, mask).dup();
            INDArray dHidden = pooling.backward(FiniteDifferences.randn(rng, 1.0, 2, TINY.hiddenSize()));
            INDArray moved = hidden.dup();
            for (int[] bt : new int[][]{{0, 0}, {0, 1}, {0, 2}, {0, 5}, {1, 2}, {1, 3}, {1, 4}, {1, 5}}) {
                INDArray g = dHidden.get(NDArrayIndex.point(bt[0]), NDArrayIndex.point(bt[1]), NDArrayIndex.all());
                assertEquals(0.0, g.amaxNumber().doubleValue(), 0.0, kind + " gradient at " + Arrays.toString(bt));
                moved.get(NDArrayIndex.point(bt[0]), NDArrayIndex.point(bt[1]), NDArrayIndex.all())
                        .assign(FiniteDifferences.randn(rng, 3.0, TINY.hiddenSize()));
            }
            assertEquals(0.0, pooling.forward(moved, mask).sub(before).amaxNumber().doubleValue(), 0.0, kind.id());
        }
    }

    @Test
    void meanAndLastTokenPoolingPickTheRightRows() {
        // hidden[b, t, :] = (10 b + t) * ones: the mean over [start, end) is 10 b + (start + end - 1) / 2
        INDArray hidden = Nd4j.create(DataType.DOUBLE, 2, 5, 3);
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 5; t++) {
                hidden.get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all()).assign(10 * b + t);
            }
        }
        PoolingMask mask = new PoolingMask(2, 5, new int[]{1, 0}, new int[]{4, 2});
        assertArrayEquals(new double[]{2, 2, 2, 10.5, 10.5, 10.5},
                FiniteDifferences.values(new MeanPooling().forward(hidden, mask)), 1e-15);
        assertArrayEquals(new double[]{3, 3, 3, 11, 11, 11},
                FiniteDifferences.values(new LastTokenPooling().forward(hidden, mask)), 0.0);
    }

    @Test
    void longTextsAreCutToMaxLength() {
        Random rng = new Random(9);
        int[] longText = text(rng, 40);
        EmbeddingModel model = tiny(PoolingKind.LATENT_ATTENTION, 10);
        float[] cut = model.encode(List.of(Arrays.copyOf(longText, 32)), List.of(0))[0];
        assertArrayEquals(cut, model.encode(List.of(longText), List.of(0))[0], 0f);
        assertThrows(IllegalArgumentException.class, () -> model.encode(List.of(text(rng, 3)), List.of(3)));
        assertThrows(IllegalArgumentException.class, () -> model.encode(List.of(new int[0]), List.of(0)));
        assertThrows(IllegalArgumentException.class, () -> model.encode(List.of(text(rng, 3)), List.of()));
    }

    @Test
    void bidirectionalAndCausalEmbeddingsDiffer() {
        Random rng = new Random(11);
        List<int[]> texts = List.of(text(rng, 8));
        EmbeddingModel bi = tiny(PoolingKind.MEAN, 12);
        EmbeddingModel causal = new EmbeddingModel(bi.decoder(), bi.pooling(),
                bi.config().withAttention(AttentionMode.CAUSAL));
        assertTrue(maxDiff(bi.encode(texts, List.of(0))[0], causal.encode(texts, List.of(0))[0]) > 1e-3);
    }

    @Test
    void instructionTemplateGivesIdsAndPrefixLength() {
        // a stand-in tokenizer: one id per character
        java.util.function.Function<String, int[]> chars = s -> s.chars().map(c -> c % 64).toArray();
        InstructionTemplate.Tokenized q = InstructionTemplate.NV_EMBED.query("find", "abc", chars);
        String prefix = "Instruct: find\nQuery: ";
        assertEquals(prefix, InstructionTemplate.NV_EMBED.prefix("find"));
        assertEquals(prefix.length(), q.instructionLength());
        assertArrayEquals(chars.apply(prefix + "abc"), q.ids());
        InstructionTemplate.Tokenized d = InstructionTemplate.document("abc", chars);
        assertEquals(0, d.instructionLength());
        assertThrows(IllegalArgumentException.class, () -> new InstructionTemplate("Query: {text} for {task}"));
        assertThrows(IllegalArgumentException.class, () -> InstructionTemplate.NV_EMBED.query("find", "", chars));
        List<int[]> ids = new ArrayList<>(List.of(q.ids(), d.ids()));
        float[][] e = tiny(PoolingKind.MEAN, 13).encode(ids, List.of(q.instructionLength(), 0));
        assertFalse(Arrays.equals(e[0], e[1]));
    }
}
