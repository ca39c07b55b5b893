package org.verbo.jobs.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.bytedeco.javacpp.Pointer;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.io.TempDirs;
import org.verbo.models.ParameterLayout;
import org.verbo.models.nn.Kernels;
import org.verbo.models.train.Trainer;
import org.verbo.models.train.TrainingCheckpoint;
import org.verbo.models.train.sync.BlockPlan;
import scala.Tuple2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * What one Spark task of a round does (worker k of round r): build a trainer from the broadcast global parameters
 * and the worker's own inner optimizer state, train H steps on the worker's blocks, store the new inner state, and
 * emit the parameter delta cut into chunks (one shuffle key per chunk) plus one statistics record. Runs on an
 * executor; everything it needs comes in the {@link DistributedPretrain.RoundSpec} and the broadcast.
 */
final class SyncWorker {
    /** Shuffle key of the statistics records (chunks are 0..C-1). */
    static final int STATS = -1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SyncWorker() {
    }

    static Iterator<Tuple2<Integer, Tuple2<Integer, byte[]>>> run(int worker, DistributedPretrain.RoundSpec spec,
                                                                 Broadcast<float[]> globalParams) {
        TaskContext ctx = TaskContext.get();
        int cpus = ctx == null ? 1 : Math.max(1, ctx.cpus());
        ExecutorSetup.ensure(spec.cpuFallback(), cpus);
        Kernels.setThreadBudget(cpus);
        String gpu = ExecutorSetup.bindGpu(ctx);
        long delay = spec.delayMillis(worker);
        if (delay > 0) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        Configuration conf = HadoopFiles.confFrom(spec.hadoopConf());
        float[] theta = globalParams.value();
        ParameterLayout layout = ParameterLayout.of(spec.model());
        long t0 = System.nanoTime();

        TrainingCheckpoint.OptimizerState state = spec.keepState() && spec.stateIn() != null
                ? readState(spec.stateIn(), worker, spec, layout, conf) : null;
        long readNanos = System.nanoTime() - t0;
        double lossSum = 0;
        long tokens = 0;
        float[] local;
        long optimizerStep;
        float[] newState = null;
        long trainStart = System.nanoTime();
        try (Trainer trainer = Trainer.fromVectors(spec.model(), spec.train(), theta,
                state == null ? null : state.values(), spec.firstStep(), state == null ? 0 : state.optimizerStep());
             ShardBlocks.Reader reader = spec.blocks().open(conf)) {
            Iterator<int[]> blocks = blocksOf(worker, spec, reader);
            for (int s = 0; s < spec.steps(); s++) {
                Trainer.StepResult r = trainer.trainStep(blocks);
                lossSum += r.loss();
                tokens += r.tokens();
            }
            local = trainer.parameterVector();
            optimizerStep = trainer.optimizerStep();
            if (spec.keepState()) {
                newState = trainer.optimizerStateVector();
            }
        }
        double trainSeconds = (System.nanoTime() - trainStart) / 1e9;
        long writeStart = System.nanoTime();
        if (newState != null) {
            writeState(spec.stateOut(), worker, spec, layout, newState, optimizerStep, conf);
        }
        double stateSeconds = (readNanos + System.nanoTime() - writeStart) / 1e9;
        if (spec.failsHere(worker, ctx)) {
            throw new IllegalStateException("injected failure (verbo.pretrain.sync.test.fail_task) in round "
                    + spec.round() + ", worker " + worker + ", attempt 0");
        }

        List<Tuple2<Integer, Tuple2<Integer, byte[]>>> out = new ArrayList<>(spec.chunks() + 1);
        long p = theta.length;
        long deltaBytes = 0;
        for (int c = 0; c < spec.chunks(); c++) {
            int from = (int) (p * c / spec.chunks());
            int to = (int) (p * (c + 1) / spec.chunks());
            byte[] enc = spec.sync().codec().encode(local, theta, from, to);
            deltaBytes += enc.length;
            out.add(new Tuple2<>(c, new Tuple2<>(worker, enc)));
        }
        ObjectNode st = JSON.createObjectNode();
        st.put("worker", worker);
        st.put("loss_sum", lossSum);
        st.put("steps", spec.steps());
        st.put("tokens", tokens);
        st.put("train_s", trainSeconds);
        st.put("state_s", stateSeconds);
        st.put("task_s", (System.nanoTime() - t0) / 1e9);
        st.put("delta_bytes", deltaBytes);
        st.put("state_bytes", newState == null ? 0 : 4L * newState.length);
        st.put("executor", SparkEnv.get() == null ? "?" : SparkEnv.get().executorId());
        st.put("attempt", ctx == null ? 0 : ctx.attemptNumber());
        st.put("cpus", cpus);
        st.put("gpu", gpu);
        // JavaCPP's count of off-heap bytes (ND4J buffers) and the process RSS, after the trainer freed its vectors:
        // docs/DISTRIBUTED.md shows them flat over hundreds of rounds.
        st.put("offheap_bytes", Pointer.totalBytes() + nd4jAllocated());
        st.put("rss_bytes", Pointer.physicalBytes());
        try {
            out.add(new Tuple2<>(STATS, new Tuple2<>(worker, JSON.writeValueAsBytes(st))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.iterator();
    }

    /** What ND4J's own allocator holds (workspaces), beside the JavaCPP-tracked buffers; 0 when it cannot say. */
    private static long nd4jAllocated() {
        try {
            return org.nd4j.linalg.factory.Nd4j.getMemoryManager().allocatedMemory(0);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** The worker's blocks for this round, in plan order, read one by one from the shards. */
    private static Iterator<int[]> blocksOf(int worker, DistributedPretrain.RoundSpec spec, ShardBlocks.Reader reader) {
        BlockPlan plan = new BlockPlan(spec.blocks().blocks(), spec.train().seed());
        int perStep = spec.train().microBatchSize() * spec.train().gradAccumulation();
        long first = BlockPlan.firstPosition(spec.round(), worker, spec.sync().workers(), spec.sync().localSteps(),
                perStep, spec.steps());
        long end = first + (long) spec.steps() * perStep;
        return new Iterator<>() {
            private long pos = first;

            @Override
            public boolean hasNext() {
                return pos < end;
            }

            @Override
            public int[] next() {
                if (pos >= end) {
                    throw new NoSuchElementException("worker " + worker + " used up its blocks of round " + spec.round());
                }
                return reader.block(plan.blockAt(pos++));
            }
        };
    }

    static String stateFile(String dir, int worker) {
        return HadoopFiles.child(dir, String.format("worker-%05d.safetensors", worker));
    }

    private static TrainingCheckpoint.OptimizerState readState(String dir, int worker, DistributedPretrain.RoundSpec spec,
                                                              ParameterLayout layout, Configuration conf) {
        String file = stateFile(dir, worker);
        java.nio.file.Path local = null;
        try {
            local = Files.createTempFile("verbo-worker-state-", ".safetensors");
            Path src = new Path(file);
            src.getFileSystem(conf).copyToLocalFile(false, src, new Path(local.toUri()), true);
            return TrainingCheckpoint.readOptimizerState(local, spec.train().optimizer(), layout);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read worker state " + file + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(local);
        }
    }

    /**
     * Writes the worker's inner state through a unique temp name and renames it into place. A retried or speculative
     * attempt computes the same bytes (same inputs, same seed), so when the file is already there it is kept.
     */
    private static void writeState(String dir, int worker, DistributedPretrain.RoundSpec spec, ParameterLayout layout,
                                   float[] state, long optimizerStep, Configuration conf) {
        String file = stateFile(dir, worker);
        java.nio.file.Path local = null;
        try {
            local = Files.createTempFile("verbo-worker-state-", ".safetensors");
            TrainingCheckpoint.writeOptimizerState(local, spec.train().optimizer(), layout, state, optimizerStep);
            Path target = new Path(file);
            FileSystem fs = target.getFileSystem(conf);
            Path tmpDir = TempDirs.create(target.getParent(), target.getName(), conf);
            try {
                Path tmp = new Path(tmpDir, target.getName());
                fs.copyFromLocalFile(false, true, new Path(local.toUri()), tmp);
                if (!fs.rename(tmp, target) && !fs.exists(target)) {
                    throw new IOException("rename " + tmp + " -> " + target + " failed");
                }
            } finally {
                TempDirs.delete(tmpDir, conf);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write worker state " + file + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(local);
        }
    }

    private static void deleteQuietly(java.nio.file.Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
                Files.deleteIfExists(p.resolveSibling("." + p.getFileName() + ".crc"));
            } catch (IOException ignored) {
                // a temp file; the OS cleans it eventually
            }
        }
    }

    /** Parses a test-only "k:ms" list ("0:300,2:50"). */
    static Map<Integer, Long> parseDelays(String s) {
        Map<Integer, Long> m = new java.util.HashMap<>();
        if (s == null || s.isBlank()) {
            return m;
        }
        for (String part : s.split(",")) {
            if (!part.trim().matches("\\d+:\\d+")) {
                throw new IllegalArgumentException("--pretrain.sync.test.delay_workers takes worker:millis pairs, got '"
                        + part + "'");
            }
            String[] kv = part.trim().split(":");
            m.put(Integer.parseInt(kv[0]), Long.parseLong(kv[1]));
        }
        return m;
    }
}
