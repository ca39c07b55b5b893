package org.verbo.embeddings.train;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.embeddings.FiniteDifferences;
import org.verbo.embeddings.model.EmbeddingConfig;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.model.InstructionTemplate;
import org.verbo.embeddings.model.PoolingKind;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.ParameterLayout;
import org.verbo.models.nn.AttentionMode;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddingTrainerTest {
    private static final ModelConfig TINY = ModelConfig.preset("tiny");   // vocab 64, width 32, 2 layers

    private static EmbeddingModel tiny(PoolingKind kind, long seed) {
        EmbeddingConfig c = new EmbeddingConfig(kind, 8, 4, 8, 4, AttentionMode.BIDIRECTIONAL, 32,
                InstructionTemplate.NV_EMBED, EmbeddingConfig.COSINE);
        return EmbeddingModel.create(LlamaModel.initialize(TINY, seed), c, seed + 1);
    }

    private static int[] text(Random rng, int len) {
        int[] t = new int[len];
        for (int i = 0; i < len; i++) {
            t[i] = 1 + rng.nextInt(TINY.vocabSize() - 1);
        }
        return t;
    }

    /** 8 synthetic pairs: a shared 4-token instruction + 5 random tokens, a random 6-token positive, one hard negative. */
    private static List<ContrastiveExample> pairs(long seed) {
        Random rng = new Random(seed);
        int[] instruction = text(rng, 4);
        List<ContrastiveExample> out = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] body = text(rng, 5);
            int[] q = new int[9];
            System.arraycopy(instruction, 0, q, 0, 4);
            System.arraycopy(body, 0, q, 4, 5);
            out.add(new ContrastiveExample(q, 4, text(rng, 6), List.of(text(rng, 6))));
        }
        return out;
    }

    private static double recallAt1(EmbeddingModel model, List<ContrastiveExample> data) {
        List<int[]> queries = new ArrayList<>();
        List<int[]> docs = new ArrayList<>();
        List<Integer> qi = new ArrayList<>();
        List<Integer> di = new ArrayList<>();
        for (ContrastiveExample e : data) {
            queries.add(e.query());
            qi.add(e.instructionLength());
            docs.add(e.positive());
            di.add(0);
        }
        float[][] q = model.encode(queries, qi);
        float[][] d = model.encode(docs, di);
        int hits = 0;
        for (int i = 0; i < q.length; i++) {
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < d.length; j++) {
                double s = 0;
                for (int c = 0; c < q[i].length; c++) {
                    s += q[i][c] * d[j][c];
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = j;
                }
            }
            hits += best == i ? 1 : 0;
        }
        return hits / (double) q.length;
    }

    /**
     * Overfit: 8 pairs, one batch, stage 1, 12 AdamW steps at lr 3e-3 and tau 0.05. The loss starts near
     * log(16) = 2.77 (16 candidates, near-random embeddings) and must fall below 0.01 (it reaches about 2e-4 here);
     * recall@1 over the 8 positives must reach 1.0.
     */
    @Test
    void tinyModelLearnsEightPairs() {
        EmbeddingModel model = tiny(PoolingKind.LATENT_ATTENTION, 1);
        List<ContrastiveExample> data = pairs(2);
        EmbeddingTrainer trainer = new EmbeddingTrainer(model,
                new EmbeddingTrainConfig(3e-3, 0.0, 0.9, 0.999, 1e-8, 0.05, 1, false, 1.0));
        double first = trainer.step(data);
        double loss = first;
        for (int s = 1; s < 12; s++) {
            loss = trainer.step(data);
        }
        assertTrue(first > 1.0, "initial loss " + first);
        assertTrue(loss < 0.01, "loss after 12 steps " + loss + " (started at " + first + ")");
        assertEquals(1.0, recallAt1(model, data), 0.0);
        assertEquals(12, trainer.steps());
    }

    @Test
    void trainingIsDeterministic() {
        List<ContrastiveExample> data = pairs(3);
        INDArray[] runs = new INDArray[2];
        for (int r = 0; r < 2; r++) {
            EmbeddingModel model = tiny(PoolingKind.LATENT_ATTENTION, 4);
            EmbeddingTrainer trainer = new EmbeddingTrainer(model,
                    EmbeddingTrainConfig.defaults());
            for (int s = 0; s < 3; s++) {
                trainer.step(data);
            }
            runs[r] = org.nd4j.linalg.factory.Nd4j.concat(0, model.decoder().parameters(),
                    model.pooling().parameters().parameters());
        }
        assertEquals(runs[0], runs[1]);
    }

    @Test
    void frozenDecoderTrainsThePoolingOnly() {
        EmbeddingModel model = tiny(PoolingKind.LATENT_ATTENTION, 5);
        INDArray decoderBefore = model.decoder().parameters().dup();
        INDArray poolingBefore = model.pooling().parameters().parameters().dup();
        EmbeddingTrainConfig c = new EmbeddingTrainConfig(1e-3, 0.0, 0.9, 0.999, 1e-8, 0.05, 2, true, 1.0);
        new EmbeddingTrainer(model, c).step(pairs(6));
        assertEquals(decoderBefore, model.decoder().parameters());
        assertNotEquals(poolingBefore, model.pooling().parameters().parameters());
        assertThrows(IllegalArgumentException.class, () -> new EmbeddingTrainer(tiny(PoolingKind.MEAN, 7), c));
    }

    /**
     * The whole chain in double precision (InfoNCE, L2 norm, latent attention, bidirectional decoder): the gradients
     * one backward leaves in the pooling and decoder vectors against finite differences of the stage-1 loss.
     */
    @Test
    void endToEndGradientsMatchFiniteDifferences() {
        ModelConfig small = new ModelConfig(11, 8, 2, 4, 2, 12, 8, 10000.0, 1e-5, false);
        EmbeddingConfig ec = new EmbeddingConfig(PoolingKind.LATENT_ATTENTION, 3, 2, 4, 4, AttentionMode.BIDIRECTIONAL,
                8, InstructionTemplate.NV_EMBED, EmbeddingConfig.COSINE);
        LlamaModel decoder = LlamaModel.initialize(small, 8, DataType.DOUBLE);
        decoder.parameters().muli(10);
        EmbeddingModel model = EmbeddingModel.create(decoder, ec, 9);
        List<int[]> texts = List.of(new int[]{1, 2, 3, 4}, new int[]{5, 6}, new int[]{7, 8, 9, 10, 1}, new int[]{2, 9},
                new int[]{3, 3, 4});
        int[] instr = {2, 0, 0, 0, 0};
        int[] owner = {0, 1, 0};
        InfoNceLoss loss = new InfoNceLoss(0.5);
        java.util.function.DoubleSupplier f = () -> {
            INDArray e = model.forward(texts, instr);
            return loss.compute(e.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()),
                    e.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all()), owner, true).loss();
        };
        INDArray e = model.forward(texts, instr);
        InfoNceLoss.Result r = loss.compute(e.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()),
                e.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all()), owner, true);
        decoder.zeroGradients();
        model.pooling().parameters().zeroGradients();
        model.backward(org.nd4j.linalg.factory.Nd4j.concat(0, r.dQueries(), r.dDocuments()), true);
        INDArray dg = decoder.gradients().dup();
        INDArray pg = model.pooling().parameters().gradients().dup();
        Random rng = new Random(10);
        for (String name : List.of("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                "model.layers.1.mlp.down_proj.weight", "model.norm.weight")) {
            ParameterLayout.Entry en = decoder.layout().entry(name);
            FiniteDifferences.check(name, decoder.parameter(name),
                    dg.get(NDArrayIndex.interval(en.offset(), en.offset() + en.size())), f, 3, rng);
        }
        for (ParameterLayout.Entry en : model.pooling().parameters().layout().entries()) {
            if (en.name().contains("latents") || en.name().contains("to_kv") || en.name().contains("net.0.weight")) {
                FiniteDifferences.check(en.name(), model.pooling().parameters().param(en.name()).value(),
                        pg.get(NDArrayIndex.interval(en.offset(), en.offset() + en.size())), f, 3, rng);
            }
        }
    }
}
