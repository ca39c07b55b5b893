package org.verbo.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PretrainTest {
    static final ModelConfig TINY = ModelConfig.preset("tiny");

    static List<int[]> blocks(long seed, int n, int len) {
        Random rng = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] b = new int[len];
            for (int j = 0; j < len; j++) {
                b[j] = rng.nextInt(TINY.vocabSize());
            }
            out.add(b);
        }
        return out;
    }

    @Test
    void resumeReproducesTheUninterruptedRunExactly(@TempDir Path tmp) throws IOException {
        for (String optimizer : new String[]{"adamw", "sgd-sai"}) {
            List<int[]> train = blocks(1, 10, 17);   // 4 blocks per step: passes wrap mid-step
            List<int[]> val = blocks(2, 3, 17);
            Supplier<Iterator<int[]>> trainSrc = train::iterator;
            TrainConfig cfg = TrainConfig.builder().steps(6).microBatchSize(2).gradAccumulation(2).lr(3e-3).minLr(3e-4)
                    .warmupSteps(2).optimizer(optimizer).lr(optimizer.equals("adamw") ? 3e-3 : 0.3)
                    .minLr(optimizer.equals("adamw") ? 3e-4 : 0.03).checkpointInterval(3).evalInterval(3).logInterval(1)
                    .seed(9).build();
            Path full = tmp.resolve(optimizer + "-full");
            List<String> lines = new ArrayList<>();
            PretrainSummary a = Pretrain.run(TINY, cfg, trainSrc, val::iterator, full, null, lines::add);
            assertEquals(6, a.stepLosses().size());
            Path resumed = tmp.resolve(optimizer + "-resumed");
            PretrainSummary b = Pretrain.run(null, cfg, trainSrc, val::iterator, resumed,
                    full.resolve("checkpoints/step-3"), null);
            assertEquals(3, b.startStep());
            double[] expected = a.stepLosses().subList(3, 6).stream().mapToDouble(Double::doubleValue).toArray();
            double[] actual = b.stepLosses().stream().mapToDouble(Double::doubleValue).toArray();
            assertArrayEquals(expected, actual, 0.0, optimizer + " losses after resume");
            assertArrayEquals(Files.readAllBytes(full.resolve("checkpoints/step-6/model.safetensors")),
                    Files.readAllBytes(resumed.resolve("checkpoints/step-6/model.safetensors")), optimizer + " final weights");
            assertArrayEquals(Files.readAllBytes(full.resolve("checkpoints/step-6/optimizer.safetensors")),
                    Files.readAllBytes(resumed.resolve("checkpoints/step-6/optimizer.safetensors")), optimizer + " final state");
            assertEquals(a.finalValidation(), b.finalValidation());
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("step 6/6 | loss ") && l.contains("tok/s") && l.contains("eta")),
                    String.join("\n", lines));
        }
    }

    @Test
    void writesCheckpointsMetricsAndPlotAndRefusesToMix(@TempDir Path out) throws IOException {
        List<int[]> train = blocks(3, 8, 17);
        TrainConfig cfg = TrainConfig.builder().steps(4).microBatchSize(2).lr(1e-3).warmupSteps(1).checkpointInterval(2)
                .evalInterval(2).logInterval(1).build();
        PretrainSummary s = Pretrain.run(TINY, cfg, train::iterator, blocks(4, 2, 17)::iterator, out, null, null);
        for (String step : new String[]{"step-2", "step-4"}) {
            for (String f : new String[]{"model.safetensors", "config.json", "optimizer.safetensors", "trainer_state.json"}) {
                assertTrue(Files.isRegularFile(out.resolve("checkpoints").resolve(step).resolve(f)), step + "/" + f);
            }
        }
        try (var files = Files.list(out.resolve("checkpoints"))) {
            assertEquals(2, files.count(), "no temp directories left behind");
        }
        JsonNode state = new ObjectMapper().readTree(out.resolve("checkpoints/step-4/trainer_state.json").toFile());
        assertEquals(4, state.get("step").asInt());
        // 4 steps x 2 blocks over 8 blocks: the first pass is used up, the second not yet begun
        assertEquals(0, state.get("epoch").asInt());
        assertEquals(8, state.get("block_in_epoch").asInt());
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(4, metrics.size());
        JsonNode m2 = new ObjectMapper().readTree(metrics.get(1));
        for (String k : new String[]{"step", "loss", "lr", "tokens_per_s", "elapsed_s", "val_loss"}) {
            assertTrue(m2.has(k), k + " in " + metrics.get(1));
        }
        assertTrue(!new ObjectMapper().readTree(metrics.get(0)).has("val_loss"));
        byte[] png = Files.readAllBytes(out.resolve("loss.png"));
        assertArrayEquals(new byte[]{(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        // The step-2 validation is a real loss, and the step-4 line logs the final validation the summary returns.
        double val2 = m2.get("val_loss").asDouble();
        assertTrue(val2 > 0 && Double.isFinite(val2), metrics.get(1));
        JsonNode m4 = new ObjectMapper().readTree(metrics.get(3));
        assertEquals(4, m4.get("step").asInt());
        assertEquals(s.finalValidation().loss(), m4.get("val_loss").asDouble(), 0.0, metrics.get(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pretrain.run(TINY, cfg, train::iterator, null, out, null, null));
        assertTrue(e.getMessage().contains("already has checkpoints"), e.getMessage());
        // evaluate a written checkpoint: the printed line and perplexity = exp(loss)
        EvalResult r = Evaluator.evaluate(out.resolve("checkpoints/step-4"), blocks(4, 2, 17).iterator(), 2);
        assertEquals(s.finalValidation().loss(), r.loss(), 1e-9);
        assertEquals(Math.exp(r.loss()), r.perplexity(), 1e-12);
        assertEquals(2 * 16, r.tokens());
        assertTrue(r.line().matches("loss=\\d+\\.\\d+ perplexity=\\d+\\.\\d+ tokens=32"), r.line());
    }

    @Test
    void initialisesFromAnHfCheckpointWithoutOptimizerState(@TempDir Path tmp) throws IOException {
        LlamaModel hub = LlamaModel.initialize(TINY, 77);
        Path hf = tmp.resolve("hub-model");
        Files.createDirectories(hf);
        org.verbo.models.io.Checkpoints.saveModel(hub, hf, null);
        TrainConfig cfg = TrainConfig.builder().steps(1).microBatchSize(2).lr(1e-3).warmupSteps(0).build();
        PretrainSummary s = Pretrain.run(null, cfg, blocks(5, 4, 9)::iterator, null, tmp.resolve("out"), hf, null);
        assertEquals(0, s.startStep());
        double expected = hub.loss(org.verbo.models.Batch.of(blocks(5, 2, 9), TINY.vocabSize(), TINY.contextLength())).meanLoss();
        assertEquals(expected, s.stepLosses().get(0), 1e-6);
    }
}
