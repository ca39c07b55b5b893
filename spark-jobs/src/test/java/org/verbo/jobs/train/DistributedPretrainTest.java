package org.verbo.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.jobs.TestSpark;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.io.Checkpoints;
import org.verbo.models.nn.Kernels;
import org.verbo.models.train.PretrainSummary;
import org.verbo.models.train.TrainConfig;
import org.verbo.models.train.Trainer;
import org.verbo.models.train.sync.BlockPlan;
import org.verbo.models.train.sync.DeltaCodec;
import org.verbo.models.train.sync.SyncConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data-parallel trainer on a real local Spark session (two cores, one retry per task). */
class DistributedPretrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ModelConfig MODEL = PretrainSettings.modelConfig("tiny", TestShards.VOCAB, TestShards.BLOCK - 1);

    @TempDir
    Path tmp;

    private static TrainConfig train(String optimizer, int steps) {
        boolean adam = optimizer.equals("adamw");
        return TrainConfig.builder().steps(steps).microBatchSize(2).optimizer(optimizer).lr(adam ? 3e-3 : 0.3)
                .minLr(adam ? 3e-4 : 0.03).warmupSteps(1).evalInterval(2).evalBatches(2).checkpointInterval(2)
                .logInterval(1).seed(7).build();
    }

    private static SyncConfig sync(int workers, int h, SyncConfig.Outer outer, DeltaCodec codec) {
        return new SyncConfig(workers, h, outer, 0.7, 0.9, codec, SyncConfig.InnerState.KEEP, 0);
    }

    private PretrainSummary run(Path shards, Path out, TrainConfig tc, SyncConfig sync, String checkpoint, String fail,
                                String delays) {
        Configuration conf = new Configuration();
        ShardBlocks train = ShardBlocks.open(shards.toString(), "train", conf);
        ShardBlocks val = ShardBlocks.open(shards.toString(), "val", conf);
        DistributedPretrain.Settings s = new DistributedPretrain.Settings(MODEL, tc, sync, train, val, out.toString(),
                checkpoint, "{\"test\": true}", java.util.Map.of("eos_token_id", 2), new java.util.HashMap<>(), false,
                fail, delays);
        return DistributedPretrain.run(TestSpark.session(), s, line -> { });
    }

    private static float[] params(Path checkpoint) {
        LlamaModel m = Checkpoints.loadModel(checkpoint);
        return m.parameters().toFloatVector();
    }

    private static List<JsonNode> metrics(Path out) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            rows.add(JSON.readTree(l));
        }
        return rows;
    }

    @Test
    void oneWorkerOneRoundEqualsTheSingleJvmTrainerToTheBit() throws Exception {
        List<int[]> blocks = TestShards.random(1, 30);
        Path shards = TestShards.write(tmp.resolve("shards"), blocks, TestShards.random(2, 4), 3);
        for (String optimizer : new String[] {"adamw", "sgd-sai"}) {
            TrainConfig tc = train(optimizer, 4);
            Path out = tmp.resolve("dist-" + optimizer);
            run(shards, out, tc, sync(1, 4, SyncConfig.Outer.AVERAGE, DeltaCodec.FP32), null, null, null);
            float[] distributed = params(out.resolve("checkpoints/step-4"));

            // The same blocks (the plan's first 8 positions) through the models' Trainer, with the kernel split of
            // one Spark task (spark.task.cpus = 1).
            BlockPlan plan = new BlockPlan(blocks.size(), tc.seed());
            List<int[]> mine = new ArrayList<>();
            for (long p = 0; p < 8; p++) {
                mine.add(blocks.get((int) plan.blockAt(p)));
            }
            AtomicReference<float[]> single = new AtomicReference<>();
            Thread t = new Thread(() -> {
                Kernels.setThreadBudget(1);
                try (Trainer trainer = new Trainer(LlamaModel.initialize(MODEL, tc.seed()), tc)) {
                    trainer.run(4, mine.iterator(), null);
                    single.set(trainer.parameterVector());
                }
            });
            t.start();
            t.join();
            assertArrayEquals(single.get(), distributed, optimizer + ": one worker, one round = the single-JVM trainer");
            assertTrue(Files.isRegularFile(out.resolve("checkpoints/step-4/workers/worker-00000.safetensors")));
            assertTrue(Files.isRegularFile(out.resolve("checkpoints/step-4/tokenizer.json")));
            assertFalse(Files.exists(out.resolve("_sync")), "round states are cleaned up at the end");
        }
    }

    @Test
    void workersOnIdenticalDataAverageToOneWorkerWhateverTheirOrder() throws Exception {
        int[] same = TestShards.random(3, 1).get(0);
        Path shards = TestShards.write(tmp.resolve("shards"), Collections.nCopies(40, same), TestShards.random(4, 4), 2);
        TrainConfig tc = train("adamw", 4);
        for (DeltaCodec codec : new DeltaCodec[] {DeltaCodec.FP32, DeltaCodec.BF16}) {
            SyncConfig.Outer outer = codec == DeltaCodec.FP32 ? SyncConfig.Outer.AVERAGE : SyncConfig.Outer.DILOCO;
            run(shards, tmp.resolve("one-" + codec), tc, sync(1, 2, outer, codec), null, null, null);
            run(shards, tmp.resolve("three-a-" + codec), tc, sync(3, 2, outer, codec), null, null, "0:400");
            run(shards, tmp.resolve("three-b-" + codec), tc, sync(3, 2, outer, codec), null, null, "2:400,1:200");
            float[] one = params(tmp.resolve("one-" + codec + "/checkpoints/step-4"));
            assertArrayEquals(one, params(tmp.resolve("three-a-" + codec + "/checkpoints/step-4")), codec + ": 3 = 1");
            assertArrayEquals(one, params(tmp.resolve("three-b-" + codec + "/checkpoints/step-4")),
                    codec + ": completion order does not matter");
        }
    }

    @Test
    void theCombinedDeltaDoesNotDependOnTaskCompletionOrder() throws Exception {
        Path shards = TestShards.write(tmp.resolve("shards"), TestShards.random(9, 40), TestShards.random(10, 4), 2);
        TrainConfig tc = train("adamw", 2);
        SyncConfig sync = sync(3, 2, SyncConfig.Outer.DILOCO, DeltaCodec.BF16);
        run(shards, tmp.resolve("a"), tc, sync, null, null, "0:600,1:300");
        run(shards, tmp.resolve("b"), tc, sync, null, null, "2:600,1:300");
        assertArrayEquals(params(tmp.resolve("a/checkpoints/step-2")), params(tmp.resolve("b/checkpoints/step-2")));
    }

    @Test
    void combineSumsContributionsInWorkerOrderWhateverOrderTheyArrive() {
        var jsc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
        // Hand-made so that the order of the double sum shows in the float result. θ = 0 and four workers with
        // parameters 4, 2^-22, 2^-51, 2^-51 (fp32 deltas are exact). In worker order, (4 + 2^-22) + 2^-51 is a tie
        // that rounds to even (4 + 2^-22), twice; the mean 1 + 2^-24 is a float tie that rounds to even: 1.0f. In
        // the order 2, 3, 0, 1 the two small ones first make 2^-50, which survives: the mean 1 + 2^-24 + 2^-52 rounds
        // up to 1 + 2^-23.
        float[] theta = {0f};
        float[] locals = {4f, 0x1p-22f, 0x1p-51f, 0x1p-51f};
        List<scala.Tuple2<Integer, byte[]>> parts = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            parts.add(new scala.Tuple2<>(k, DeltaCodec.FP32.encode(new float[] {locals[k]}, theta, 0, 1)));
        }
        SyncConfig sync = sync(4, 1, SyncConfig.Outer.AVERAGE, DeltaCodec.FP32);
        DistributedPretrain.RoundSpec spec = new DistributedPretrain.RoundSpec(MODEL, train("adamw", 1), sync, null,
                new java.util.HashMap<>(), 0, 0, 1, 1, null, null, false, null, null);
        var bTheta = jsc.broadcast(theta);
        for (int[] order : new int[][] {{0, 1, 2, 3}, {2, 3, 0, 1}, {3, 1, 2, 0}}) {
            List<scala.Tuple2<Integer, byte[]>> arrived = new ArrayList<>();
            for (int k : order) {
                arrived.add(parts.get(k));
            }
            var group = new scala.Tuple2<Integer, Iterable<scala.Tuple2<Integer, byte[]>>>(0, arrived);
            var piece = DistributedPretrain.combine(List.of(group).iterator(), spec, bTheta, null).next();
            assertEquals(1.0f, piece.params()[0], 0.0f, "arrival order " + java.util.Arrays.toString(order));
        }
    }

    @Test
    void aTaskRetriedBySparkGivesTheSameRun() throws Exception {
        Path shards = TestShards.write(tmp.resolve("shards"), TestShards.random(5, 40), TestShards.random(6, 4), 2);
        TrainConfig tc = train("adamw", 4);
        SyncConfig sync = sync(2, 2, SyncConfig.Outer.DILOCO, DeltaCodec.BF16);
        run(shards, tmp.resolve("clean"), tc, sync, null, null, null);
        run(shards, tmp.resolve("retried"), tc, sync, null, "1:0", null);
        assertArrayEquals(params(tmp.resolve("clean/checkpoints/step-4")), params(tmp.resolve("retried/checkpoints/step-4")));
        List<JsonNode> m = metrics(tmp.resolve("retried"));
        assertEquals(2, m.get(0).get("task_attempts").asInt(), "round 1: no failure");
        assertEquals(3, m.get(1).get("task_attempts").asInt(), "round 2: worker 0 ran twice");
        assertEquals(metrics(tmp.resolve("clean")).get(1).get("loss").asDouble(), m.get(1).get("loss").asDouble(), 0.0);
    }

    @Test
    void aResumedRunEqualsTheUninterruptedOne() throws Exception {
        Path shards = TestShards.write(tmp.resolve("shards"), TestShards.random(7, 30), TestShards.random(8, 4), 2);
        for (String optimizer : new String[] {"adamw", "sgd-sai"}) {
            TrainConfig tc = train(optimizer, 6);
            SyncConfig sync = sync(2, 2, SyncConfig.Outer.DILOCO, DeltaCodec.BF16);
            Path full = tmp.resolve("full-" + optimizer);
            run(shards, full, tc, sync, null, null, null);
            Path resumed = tmp.resolve("resumed-" + optimizer);
            PretrainSummary r = run(shards, resumed, tc, sync, full.resolve("checkpoints/step-2").toString(), null, null);
            assertEquals(2, r.startStep());
            assertArrayEquals(params(full.resolve("checkpoints/step-6")), params(resumed.resolve("checkpoints/step-6")),
                    optimizer + ": final parameters");
            List<JsonNode> a = metrics(full);
            List<JsonNode> b = metrics(resumed);
            assertEquals(3, a.size());
            assertEquals(2, b.size());
            for (int i = 0; i < 2; i++) {
                for (String f : new String[] {"step", "loss", "lr", "val_loss", "round"}) {
                    assertEquals(a.get(i + 1).get(f).asDouble(), b.get(i).get(f).asDouble(), 0.0, optimizer + " " + f);
                }
            }
        }
    }
}
