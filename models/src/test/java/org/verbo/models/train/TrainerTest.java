package org.verbo.models.train;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    static final ModelConfig TINY = ModelConfig.preset("tiny");

    static int[] sequence(long seed, int len, int vocab) {
        Random rng = new Random(seed);
        int[] s = new int[len];
        for (int i = 0; i < len; i++) {
            s[i] = rng.nextInt(vocab);
        }
        return s;
    }

    static Iterator<int[]> repeat(int[] block) {
        return Stream.generate(block::clone).iterator();
    }

    /** A seeded stream of random blocks (the same for the same seed). */
    static Iterator<int[]> randomBlocks(long seed, int len, int vocab) {
        Random rng = new Random(seed);
        return Stream.generate(() -> {
            int[] b = new int[len];
            for (int i = 0; i < len; i++) {
                b[i] = rng.nextInt(vocab);
            }
            return b;
        }).iterator();
    }

    @Test
    void tinyModelOverfitsARepeatedSequence() {
        TrainConfig cfg = TrainConfig.builder().steps(120).microBatchSize(2).lr(1e-2).minLr(1e-3).warmupSteps(10)
                .weightDecay(0.0).build();
        Trainer trainer = new Trainer(LlamaModel.initialize(TINY, 1), cfg);
        List<Trainer.StepResult> r = trainer.run(cfg.steps(), repeat(sequence(7, 25, TINY.vocabSize())), null);
        double last = r.get(r.size() - 1).loss();
        assertTrue(r.get(0).loss() > 3.5, "starts near ln(64): " + r.get(0).loss());
        assertTrue(last < 0.05, "final loss " + last);
    }

    @Test
    void sgdSaiLearnsAndHoldsAboutHalfOfAdamWState() {
        TrainConfig cfg = TrainConfig.builder().steps(60).microBatchSize(2).lr(0.5).minLr(0.05).warmupSteps(5)
                .weightDecay(0.0).optimizer("sgd-sai").build();
        Trainer trainer = new Trainer(LlamaModel.initialize(TINY, 1), cfg);
        List<Trainer.StepResult> r = trainer.run(cfg.steps(), repeat(sequence(7, 25, TINY.vocabSize())), null);
        assertTrue(r.get(r.size() - 1).loss() < 0.5 * r.get(0).loss(), "loss " + r.get(0).loss() + " -> "
                + r.get(r.size() - 1).loss());
        double[] scales = ((SgdSai) trainer.optimizer()).scales();
        assertEquals(1.0, java.util.Arrays.stream(scales).max().orElseThrow(), 0.0);
        assertTrue(java.util.Arrays.stream(scales).allMatch(s -> s > 0 && s <= 1));
        long p = TINY.parameterCount();
        long adam = Optimizer.create(cfg.toBuilder().optimizer("adamw").build(), trainer.model().layout(), DataType.FLOAT)
                .stateBytes();
        long sai = trainer.optimizer().stateBytes();
        assertEquals(8 * p, adam);
        assertEquals(4 * (p + trainer.model().layout().tensorCount()), sai);
        assertEquals(0.5, (double) sai / adam, 0.01);
    }

    @Test
    void gradientSnrScalesMatchTheDefinition() {
        // one tensor with g = [3, 4] (||g|| = 5, unbiased std = 0.7071...), another with g = [1, 1, 1, 5]
        org.verbo.models.ParameterLayout layout = org.verbo.models.ParameterLayout.of(TINY);
        SgdSai opt = new SgdSai(layout, DataType.DOUBLE, 0.9, 1e-8, 0.0, false);
        var params = org.nd4j.linalg.factory.Nd4j.zeros(DataType.DOUBLE, layout.size());
        var grads = org.nd4j.linalg.factory.Nd4j.zeros(DataType.DOUBLE, layout.size());
        Random rng = new Random(3);
        double[] g = new double[(int) layout.size()];
        for (int i = 0; i < g.length; i++) {
            g[i] = rng.nextGaussian() + (i % 3 == 0 ? 2.0 : 0.0);
        }
        grads.assign(org.nd4j.linalg.factory.Nd4j.createFromArray(g));
        opt.step(params, grads, 0.1, 1);
        double[] snr = new double[layout.tensorCount()];
        for (int i = 0; i < snr.length; i++) {
            var e = layout.entries().get(i);
            double sum = 0, sq = 0;
            for (long j = e.offset(); j < e.offset() + e.size(); j++) {
                sum += g[(int) j];
                sq += g[(int) j] * g[(int) j];
            }
            double mean = sum / e.size();
            double var = 0;
            for (long j = e.offset(); j < e.offset() + e.size(); j++) {
                var += (g[(int) j] - mean) * (g[(int) j] - mean);
            }
            snr[i] = Math.sqrt(sq) / (Math.sqrt(var / (e.size() - 1)) + 1e-8);
        }
        double max = java.util.Arrays.stream(snr).max().orElseThrow();
        for (int i = 0; i < snr.length; i++) {
            snr[i] /= max;
        }
        assertArrayEquals(snr, opt.scales(), 1e-9);
        // first update: p = -lr * scale_i * g
        var e = layout.entries().get(1);
        assertEquals(-0.1 * snr[1] * g[(int) e.offset()], params.getDouble(e.offset()), 1e-12);
    }

    @Test
    void accumulationOfTwoMicroBatchesEqualsOneDoubleBatch() {
        List<int[]> blocks = new ArrayList<>();
        Iterator<int[]> src = randomBlocks(5, 13, TINY.vocabSize());
        for (int i = 0; i < 12; i++) {
            blocks.add(src.next());
        }
        TrainConfig big = TrainConfig.builder().steps(3).microBatchSize(4).gradAccumulation(1).lr(1e-3).warmupSteps(0).build();
        TrainConfig acc = big.toBuilder().microBatchSize(2).gradAccumulation(2).build();
        Trainer a = new Trainer(LlamaModel.initialize(TINY, 2, DataType.DOUBLE), big);
        Trainer b = new Trainer(LlamaModel.initialize(TINY, 2, DataType.DOUBLE), acc);
        List<Trainer.StepResult> ra = a.run(3, blocks.iterator(), null);
        List<Trainer.StepResult> rb = b.run(3, blocks.iterator(), null);
        for (int i = 0; i < 3; i++) {
            assertEquals(ra.get(i).loss(), rb.get(i).loss(), 1e-12);
            assertEquals(ra.get(i).gradNorm(), rb.get(i).gradNorm(), 1e-12);
        }
        assertEquals(0.0, a.parameters().sub(b.parameters()).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void clippingBoundsTheUpdateAndScheduleWarmsUpThenDecays() {
        TrainConfig cfg = TrainConfig.builder().steps(10).lr(1.0).minLr(0.1).warmupSteps(4).build();
        assertEquals(0.25, LrSchedule.at(cfg, 0), 1e-15);
        assertEquals(1.0, LrSchedule.at(cfg, 3), 1e-15);
        assertEquals(0.55, LrSchedule.at(cfg, 7), 1e-12);          // halfway through the 6 decay steps
        assertEquals(0.1, LrSchedule.at(cfg, 10), 1e-15);
        // SGD (SaI) with clip: the applied gradient has norm <= clip
        TrainConfig sgd = TrainConfig.builder().steps(1).microBatchSize(2).lr(1.0).minLr(0).warmupSteps(0).clipNorm(1e-3)
                .weightDecay(0).momentum(0).optimizer("sgd-sai").build();
        Trainer t = new Trainer(LlamaModel.initialize(TINY, 4, DataType.DOUBLE), sgd);
        var before = t.parameters().dup();
        Trainer.StepResult r = t.trainStep(randomBlocks(1, 9, TINY.vocabSize()));
        assertTrue(r.gradNorm() > 1e-3);
        assertTrue(t.parameters().sub(before).norm2Number().doubleValue() <= 1e-3 * (1 + 1e-9));
    }

    @Test
    void flatVectorsCarryTheWholeTrainingState() {
        // The distributed trainer's contract: ship (params, optimizer state, step) as float[], continue elsewhere.
        for (String opt : new String[]{"adamw", "sgd-sai"}) {
            TrainConfig cfg = TrainConfig.builder().steps(4).microBatchSize(2).lr(opt.equals("adamw") ? 1e-2 : 0.5)
                    .warmupSteps(1).optimizer(opt).build();
            List<int[]> data = new ArrayList<>();
            Iterator<int[]> src = randomBlocks(8, 9, TINY.vocabSize());
            while (data.size() < 8) {
                data.add(src.next());
            }
            Trainer a = new Trainer(LlamaModel.initialize(TINY, 5), cfg);
            a.run(2, data.subList(0, 4).iterator(), null);
            Trainer b = Trainer.fromVectors(TINY, cfg, a.parameterVector(), a.optimizerStateVector(), a.step());
            assertEquals(Optimizer.stateSize(cfg.optimizer(), a.model().layout()), a.optimizerStateVector().length);
            List<Trainer.StepResult> ra = a.run(2, data.subList(4, 8).iterator(), null);
            List<Trainer.StepResult> rb = b.run(2, data.subList(4, 8).iterator(), null);
            for (int i = 0; i < 2; i++) {
                assertEquals(ra.get(i).loss(), rb.get(i).loss(), 0.0, opt);
                assertEquals(ra.get(i).lr(), rb.get(i).lr(), 0.0, opt);
            }
            assertArrayEquals(a.parameterVector(), b.parameterVector(), 0.0f, opt);
            assertArrayEquals(a.optimizerStateVector(), b.optimizerStateVector(), 0.0f, opt);
        }
    }

    @Test
    void parameterLayoutFollowsHuggingFaceNamesInAFixedOrder() {
        org.verbo.models.ParameterLayout l = org.verbo.models.ParameterLayout.of(TINY);
        List<String> names = l.entries().stream().map(org.verbo.models.ParameterLayout.Entry::name).toList();
        assertEquals(List.of("model.embed_tokens.weight", "model.layers.0.input_layernorm.weight",
                "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                "model.layers.0.post_attention_layernorm.weight", "model.layers.0.mlp.gate_proj.weight",
                "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"), names.subList(0, 10));
        assertEquals(List.of("model.norm.weight", "lm_head.weight"), names.subList(names.size() - 2, names.size()));
        // tiny: V=64, C=32, kv dim 16, F=64 -> 2048 + 2 x (32 + 1024 + 512 + 512 + 1024 + 32 + 3 x 2048) + 32 + 2048
        assertEquals(2048 + 2 * (32 + 1024 + 512 + 512 + 1024 + 32 + 3 * 2048) + 32 + 2048, l.size());
        assertEquals(2048 + 32, l.entry("model.layers.0.self_attn.q_proj.weight").offset());
        // bench-7m as in the issue: 7,358,720 parameters (PyTorch twin counts the same)
        assertEquals(7_358_720L, ModelConfig.preset("bench-7m").parameterCount());
    }

    @Test
    void presizedWorkspacesHoldAWholeStepAndKeepTheBits() throws Exception {
        // In fresh threads (workspaces are per thread): a trainer that sizes its step workspaces at construction, from
        // two small measuring passes, against one whose thread already has a workspace, so the sizing is skipped and
        // ND4J learns the size in the first step as it always did. Same losses to the bit, and the presized
        // workspace is neither outgrown nor reallocated over the steps.
        TrainConfig cfg = TrainConfig.builder().steps(4).microBatchSize(3).lr(1e-2).minLr(1e-3).warmupSteps(0).build();
        double[][] losses = new double[2][];
        long[][] sizes = new long[2][];
        for (int variant = 0; variant < 2; variant++) {
            int v = variant;
            Thread th = new Thread(() -> {
                if (v == 1) {   // an existing workspace of that id: the trainer leaves sizing to ND4J's learning cycle
                    try (var ws = org.verbo.models.Workspaces.step("verbo-train")) {
                        org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 4);
                    }
                }
                Trainer trainer = new Trainer(LlamaModel.initialize(TINY, 3), cfg);
                var mgr = org.nd4j.linalg.factory.Nd4j.getWorkspaceManager();
                long before = v == 0 ? mgr.getWorkspaceForCurrentThread("verbo-train").getCurrentSize() : -1;
                List<Trainer.StepResult> r = trainer.run(4, randomBlocks(5, TINY.contextLength() + 1,
                        TINY.vocabSize()), null);
                losses[v] = r.stream().mapToDouble(Trainer.StepResult::loss).toArray();
                sizes[v] = new long[]{before, mgr.getWorkspaceForCurrentThread("verbo-train").getCurrentSize()};
                trainer.close();
            });
            th.start();
            th.join();
        }
        assertArrayEquals(losses[1], losses[0], 0.0);
        assertTrue(sizes[0][0] > 0, "the presized workspace exists before the first step");
        assertEquals(sizes[0][0], sizes[0][1], "four steps fit in the presized workspace without a reallocation");
    }
}
