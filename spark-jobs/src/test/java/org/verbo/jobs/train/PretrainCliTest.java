package org.verbo.jobs.train;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.jobs.cli.Verbo;

import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code verbo pretrain} through the command line: outputs on a non-local Hadoop file system, refusals, start-up checks. */
class PretrainCliTest {
    private static final String FS_KEY = "spark.hadoop.fs.vtest.impl";

    @TempDir
    Path tmp;

    @BeforeAll
    static void registerScheme() {
        System.setProperty(FS_KEY, SchemeLocalFileSystem.class.getName());
    }

    @AfterAll
    static void unregisterScheme() {
        System.clearProperty(FS_KEY);
    }

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Verbo.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    private static String[] with(String[] base, String... more) {
        List<String> all = new ArrayList<>(List.of(base));
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    @Test
    void singleJvmCheckpointsReachANonLocalOutputAsTheyAreMade() throws Exception {
        Path shards = TestShards.write(tmp.resolve("shards"), TestShards.random(1, 8), TestShards.random(2, 2), 1);
        // Block 5 gets a token outside the vocabulary: step 3 (blocks 4 and 5) fails after step 2's checkpoint.
        try (RandomAccessFile f = new RandomAccessFile(shards.resolve("train/part-00000.bin").toFile(), "rw")) {
            f.seek(32 + 5L * TestShards.BLOCK * 2);
            f.write(new byte[] {(byte) 0xFF, (byte) 0xFF});
        }
        Path run = tmp.resolve("run");
        String out = "vtest://" + run;
        String[] common = {"pretrain", "--shards=" + shards, "--out=" + out, "--pretrain.micro_batch=2",
            "--pretrain.warmup=1", "--pretrain.eval_interval=0", "--pretrain.log_interval=1"};
        String[] base = with(common, "--steps=4", "--pretrain.checkpoint_interval=2");
        String[] failed = run(base);
        assertEquals("1", failed[0], failed[1] + failed[2]);
        assertTrue(failed[2].contains("outside [0, 64)"), failed[2]);
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-2/model.safetensors")),
                "step 2's checkpoint was published before the failure");
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-2/optimizer.safetensors")));
        assertEquals(2, Files.readAllLines(run.resolve("metrics.jsonl")).size());

        // An existing run is refused (one line, exit 2, nothing touched) ...
        TestShards.write(shards, TestShards.random(1, 8), TestShards.random(2, 2), 1);   // repaired
        String[] refused = run(base);
        assertEquals("2", refused[0]);
        assertTrue(refused[2].contains("already holds a training run"), refused[2]);
        assertEquals(1, refused[2].strip().lines().count(), refused[2]);
        // ... unless it is resumed ...
        String[] resumed = run(with(base, "--checkpoint=" + out + "/checkpoints/step-2"));
        assertEquals("0", resumed[0], resumed[2]);
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-4/model.safetensors")));
        assertEquals(4, Files.readAllLines(run.resolve("metrics.jsonl")).size());
        // ... or overwritten, which starts again from nothing.
        String[] again = run(with(common, "--overwrite=true", "--steps=2"));
        assertEquals("0", again[0], again[2]);
        assertFalse(Files.exists(run.resolve("checkpoints/step-4")), "the old run is gone");
        assertEquals(2, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    }

    @Test
    void distributedRunsStopAtStartOnSettingsThatCannotWork() throws Exception {
        Path shards = TestShards.write(tmp.resolve("shards"), TestShards.random(3, 8), TestShards.random(4, 2), 2);
        Path out = tmp.resolve("never");
        String[] base = {"pretrain", "--shards=" + shards, "--out=" + out, "--pretrain.micro_batch=2", "--steps=10"};
        String[][] cases = {
            {"one round needs 40 training blocks", "--workers=2"},     // 2 x min(H = 50, steps = 10) x 2
            {"--workers=5 needs at least 10 training blocks", "--workers=5", "--pretrain.sync.local_steps=1"},
            {"unknown outer optimizer 'nesterov'", "--workers=2", "--pretrain.sync.outer=nesterov"},
            {"unknown delta codec 'fp16'", "--workers=2", "--pretrain.sync.delta=fp16"},
            {"sync.local_steps must be >= 1", "--workers=2", "--pretrain.sync.local_steps=0"},
            {"unknown option --pretrain.sync.local_step", "--workers=2", "--pretrain.sync.local_step=2"},
        };
        for (String[] c : cases) {
            String[] args = with(base, java.util.Arrays.copyOfRange(c, 1, c.length));
            String[] r = run(args);
            assertEquals("2", r[0], String.join(" ", args) + "\n" + r[1] + r[2]);
            assertTrue(r[2].contains(c[0]), r[2]);
            assertEquals(1, r[2].strip().lines().count(), r[2]);
            assertFalse(Files.exists(out), "nothing written for " + c[0]);
        }
    }

    @Test
    void distributedRunThroughTheCommandLineOnANonLocalFileSystem() throws Exception {
        Path shards = TestShards.write(tmp.resolve("shards"), TestShards.random(5, 24), TestShards.random(6, 2), 2);
        Path run = tmp.resolve("dist");
        String[] r = run("pretrain", "--shards=vtest://" + shards, "--out=vtest://" + run, "--workers=2", "--steps=4",
                "--pretrain.sync.local_steps=2", "--pretrain.micro_batch=2", "--pretrain.warmup=1",
                "--pretrain.eval_interval=2", "--pretrain.eval_batches=1");
        assertEquals("0", r[0], r[1] + r[2]);
        assertTrue(r[1].contains("round 2/2 | step 4/4"), r[1]);
        Path ckpt = run.resolve("checkpoints/step-4");
        for (String f : new String[] {"model.safetensors", "config.json", "trainer_state.json", "outer_optimizer.safetensors",
            "workers/worker-00000.safetensors", "workers/worker-00001.safetensors"}) {
            assertTrue(Files.isRegularFile(ckpt.resolve(f)), f);
        }
        List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(2, metrics.size());
        assertTrue(metrics.get(1).contains("\"val_loss\"") && metrics.get(1).contains("\"bytes_to_driver\""), metrics.get(1));
        assertTrue(Files.isRegularFile(run.resolve("loss.png")));
        assertFalse(Files.exists(run.resolve("_sync")));

        String[] wrongShape = run("pretrain", "--shards=" + shards, "--out=vtest://" + run, "--workers=3", "--steps=6",
                "--pretrain.sync.local_steps=2", "--pretrain.micro_batch=2", "--checkpoint=vtest://" + ckpt);
        assertEquals("2", wrongShape[0], wrongShape[1] + wrongShape[2]);
        assertTrue(wrongShape[2].contains("workers 2 (now 3)"), wrongShape[2]);
    }
}
