package org.verbo.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.HashPartitioner;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.io.TempDirs;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.ParameterLayout;
import org.verbo.models.io.Checkpoints;
import org.verbo.models.io.SafeTensors;
import org.verbo.models.nn.Kernels;
import org.verbo.models.train.EvalResult;
import org.verbo.models.train.Evaluator;
import org.verbo.models.train.LrSchedule;
import org.verbo.models.train.MetricsLog;
import org.verbo.models.train.Optimizer;
import org.verbo.models.train.Pretrain;
import org.verbo.models.train.PretrainSummary;
import org.verbo.models.train.TrainConfig;
import org.verbo.models.train.sync.OuterStep;
import org.verbo.models.train.sync.SyncConfig;
import scala.Tuple2;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Data-parallel pre-training on Spark executors (docs/DISTRIBUTED.md). The driver holds the global parameters θ
 * (and DiLoCo's outer momentum v). Round r is one Spark job:
 * <ol>
 *   <li>θ (and v) are broadcast;</li>
 *   <li>N map tasks, task k = worker k ({@link SyncWorker}): a trainer from θ and the worker's own inner optimizer
 *       state, H steps on the worker's blocks of the seeded plan, the new inner state written beside the run, the
 *       delta cut into C chunks (keyed by chunk) in the configured codec;</li>
 *   <li>C reduce tasks, task c = chunk c ({@link #combine}): the N contributions sorted by worker (never by arrival),
 *       summed in double, the outer step applied to θ's (and v's) chunk c;</li>
 *   <li>the driver collects the C new chunks (one copy of θ, never N replicas), logs, validates, checkpoints.</li>
 * </ol>
 * No barrier: the tasks of a round are independent, so dynamic allocation, Spark's task retry and a lost executor
 * (its map outputs recomputed: one task's rerun) all work, and every retry computes the same bytes.
 */
public final class DistributedPretrain {
    static final String TRAINER_STATE = "trainer_state.json";
    static final String OUTER_FILE = "outer_optimizer.safetensors";
    static final String WORKERS_DIR = "workers";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private DistributedPretrain() {
    }

    /**
     * What a run needs.
     *
     * @param checkpoint       a distributed {@code step-N} checkpoint to resume, or an HF Llama checkpoint whose weights
     *                         start the run; null for a fresh run
     * @param tokenizerJson    copied into every checkpoint (nullable)
     * @param configExtras     extra config.json keys (special token ids)
     * @param hadoopConf       the {@code spark.hadoop.*} settings executors rebuild their Hadoop configuration from
     * @param failTask         test only: "round:worker" fails that task's first attempt
     * @param delayWorkers     test only: "worker:millis,…" delays those workers' tasks
     */
    public record Settings(ModelConfig model, TrainConfig train, SyncConfig sync, ShardBlocks trainBlocks,
                           ShardBlocks valBlocks, String out, String checkpoint, String tokenizerJson,
                           Map<String, ?> configExtras, Map<String, String> hadoopConf, boolean cpuFallback,
                           String failTask, String delayWorkers) {
        public Settings {
            if (failTask != null && !failTask.matches("\\d+:\\d+")) {
                throw new IllegalArgumentException("--pretrain.sync.test.fail_task takes round:worker, got '" + failTask + "'");
            }
            SyncWorker.parseDelays(delayWorkers);   // a typo in a test-only key fails before Spark starts
        }
    }

    /** A round's instructions to its tasks (configs, data layout, where states live). */
    record RoundSpec(ModelConfig model, TrainConfig train, SyncConfig sync, ShardBlocks.Layout blocks,
                     Map<String, String> hadoopConf, long round, long firstStep, int steps, int chunks,
                     String stateIn, String stateOut, boolean cpuFallback, String failTask, String delayWorkers)
            implements Serializable {
        boolean keepState() {
            return sync.innerState() == SyncConfig.InnerState.KEEP;
        }

        long delayMillis(int worker) {
            return SyncWorker.parseDelays(delayWorkers).getOrDefault(worker, 0L);
        }

        boolean failsHere(int worker, TaskContext ctx) {
            return failTask != null && failTask.equals(round + ":" + worker) && ctx != null && ctx.attemptNumber() == 0;
        }
    }

    /** A reduce task's output: the new θ (and v) for one chunk, or the workers' statistics. */
    record Piece(int chunk, float[] params, float[] momentum, List<byte[]> stats) implements Serializable {
    }

    /** Routes chunk c to reduce partition c mod C and the statistics to partition 0. */
    static final class ChunkPartitioner extends Partitioner {
        private final int partitions;

        ChunkPartitioner(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            int k = (Integer) key;
            return k < 0 ? 0 : k % partitions;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ChunkPartitioner p && p.partitions == partitions;
        }

        @Override
        public int hashCode() {
            return partitions;
        }
    }

    /** Where a run stands: what a checkpoint stores besides θ, v and the worker states. */
    record Position(long round, long step, long tokensSeen, double elapsedSeconds) {
    }

    public static PretrainSummary run(SparkSession spark, Settings s, Consumer<String> log) {
        try {
            return doRun(spark, s, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static PretrainSummary doRun(SparkSession spark, Settings s, Consumer<String> log) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // The same Hadoop settings the tasks rebuild (core-site.xml from the classpath plus spark.hadoop.*).
        Configuration conf = HadoopFiles.confFrom(s.hadoopConf());
        SyncConfig sync = s.sync();
        TrainConfig tc = s.train();
        int taskCpus = jsc.getConf().getInt("spark.task.cpus", 1);
        // The driver validates with the same kernel split as a task, so its numbers do not depend on its core count.
        Kernels.setThreadBudget(taskCpus);
        int blasThreadsBefore = Nd4j.factory().blas().getMaxThreads();

        LlamaModel initial;
        Path momentumFile = null;
        Position start;
        String stateIn;
        Path staging = Files.createTempDirectory("verbo-dist-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteLocal(staging)));
        if (s.checkpoint() != null && isDistributedCheckpoint(s.checkpoint(), conf)) {
            Path local = HadoopFiles.fetchDir(s.checkpoint(), Files.createTempDirectory(staging, "resume-"), conf);
            JsonNode st = JSON.readTree(local.resolve(TRAINER_STATE).toFile());
            checkResumable(st, sync, tc);
            initial = Checkpoints.loadModel(local);
            momentumFile = local.resolve(OUTER_FILE);
            start = new Position(st.path("round").asLong(), st.path("step").asLong(), st.path("tokens_seen").asLong(),
                    st.path("elapsed_s").asDouble());
            stateIn = sync.innerState() == SyncConfig.InnerState.KEEP && st.path("inner_state").asText().equals("keep")
                    ? HadoopFiles.child(s.checkpoint(), WORKERS_DIR) : null;
            String metrics = HadoopFiles.child(s.out(), "metrics.jsonl");
            if (HadoopFiles.exists(metrics, conf)) {
                Files.writeString(staging.resolve("metrics.jsonl"), HadoopFiles.readString(metrics, conf));
            }
            log.accept("resumed from " + s.checkpoint() + " at round " + start.round() + ", step " + start.step());
        } else {
            if (s.checkpoint() != null) {
                initial = LlamaModel.load(HadoopFiles.localDir(s.checkpoint(), conf));
                log.accept("initialised weights from " + s.checkpoint());
            } else {
                initial = LlamaModel.initialize(s.model(), tc.seed());
            }
            start = new Position(0, 0, 0, 0.0);
            stateIn = null;
        }
        ModelConfig mc = initial.config();
        float[] theta = initial.parameters().toFloatVector();
        initial.parameters().close();
        float[] momentum = sync.outer() != SyncConfig.Outer.DILOCO ? null
                : momentumFile != null && Files.exists(momentumFile) ? readMomentum(momentumFile, theta.length)
                : new float[theta.length];
        long rounds = sync.rounds(tc.steps());
        int chunks = sync.chunks(theta.length);
        int perStep = tc.microBatchSize() * tc.gradAccumulation();
        long tokensPerRound = (long) sync.workers() * sync.localSteps() * perStep * mc.contextLength();
        log.accept(String.format(Locale.ROOT, "distributed: %d workers x %d local steps (%s outer%s, %s deltas, inner state %s), "
                        + "%d rounds, %,d tokens a round, %d chunks; %,d parameters", sync.workers(), sync.localSteps(),
                sync.outer().id(), sync.outer() == SyncConfig.Outer.DILOCO
                        ? String.format(Locale.ROOT, " lr %.2f momentum %.2f", sync.outerLr(), sync.outerMomentum()) : "",
                sync.codec().id(), sync.innerState().id(), rounds, tokensPerRound, chunks, theta.length));

        ParameterLayout layout = ParameterLayout.of(mc);
        String syncDir = HadoopFiles.child(s.out(), "_sync");
        // Round states a crashed run left behind are not this run's: a task keeps a state file it finds in place.
        HadoopFiles.deleteQuietly(new org.apache.hadoop.fs.Path(syncDir), conf);
        org.verbo.models.train.MemoryStats driverMemory = new org.verbo.models.train.MemoryStats(8L * theta.length);
        Position pos = start;
        List<Double> losses = new ArrayList<>();
        EvalResult lastVal = null;
        Path lastCheckpoint = null;
        long t0 = System.nanoTime();
        String previousRoundDir = null;
        try (MetricsLog metrics = new MetricsLog(staging.resolve("metrics.jsonl"), start.step())) {
            for (long r = start.round(); r < rounds; r++) {
                long roundStart = System.nanoTime();
                int steps = sync.stepsInRound(r, tc.steps());
                String stateOut = sync.innerState() == SyncConfig.InnerState.KEEP
                        ? HadoopFiles.child(syncDir, String.format("round-%06d", r)) : null;
                RoundSpec spec = new RoundSpec(mc, tc, sync, s.trainBlocks().layout(), s.hadoopConf(), r,
                        r * sync.localSteps(), steps, chunks, stateIn, stateOut, s.cpuFallback(), s.failTask(),
                        s.delayWorkers());
                Broadcast<float[]> bTheta = jsc.broadcast(theta);
                Broadcast<float[]> bMomentum = momentum == null ? null : jsc.broadcast(momentum);
                final int workers = sync.workers();
                JavaRDD<Integer> ids = jsc.parallelize(IntStream.range(0, workers).boxed().toList(), workers);
                JavaPairRDD<Integer, Tuple2<Integer, byte[]>> deltas = ids.mapPartitionsWithIndex(
                        (k, it) -> SyncWorker.run(k, spec, bTheta), false).mapToPair(t -> t);
                List<Piece> pieces = deltas.groupByKey(new ChunkPartitioner(chunks))
                        .mapPartitions(groups -> combine(groups, spec, bTheta, bMomentum)).collect();
                float[] newTheta = new float[theta.length];
                float[] newMomentum = momentum == null ? null : new float[momentum.length];
                List<JsonNode> stats = new ArrayList<>();
                for (Piece p : pieces) {
                    if (p.stats() != null) {
                        for (byte[] b : p.stats()) {
                            stats.add(JSON.readTree(b));
                        }
                        continue;
                    }
                    int from = (int) ((long) theta.length * p.chunk() / chunks);
                    System.arraycopy(p.params(), 0, newTheta, from, p.params().length);
                    if (newMomentum != null) {
                        System.arraycopy(p.momentum(), 0, newMomentum, from, p.momentum().length);
                    }
                }
                if (stats.size() != workers) {
                    throw new IllegalStateException("round " + r + " returned statistics of " + stats.size() + " workers, expected " + workers);
                }
                stats.sort(Comparator.comparingInt(n -> n.get("worker").asInt()));
                bTheta.destroy();
                if (bMomentum != null) {
                    bMomentum.destroy();
                }
                theta = newTheta;
                momentum = newMomentum;
                driverMemory.sample();
                double jobSeconds = (System.nanoTime() - roundStart) / 1e9;

                double lossSum = 0;
                long tokens = 0;
                double trainMax = 0;
                double stateMax = 0;
                long deltaBytes = 0;
                long stateBytes = 0;
                long offHeapMax = 0;
                long rssMax = 0;
                for (JsonNode n : stats) {
                    lossSum += n.get("loss_sum").asDouble() / n.get("steps").asInt();
                    tokens += n.get("tokens").asLong();
                    trainMax = Math.max(trainMax, n.get("train_s").asDouble());
                    stateMax = Math.max(stateMax, n.get("state_s").asDouble());
                    deltaBytes += n.get("delta_bytes").asLong();
                    stateBytes += n.get("state_bytes").asLong();
                    offHeapMax = Math.max(offHeapMax, n.get("offheap_bytes").asLong());
                    rssMax = Math.max(rssMax, n.get("rss_bytes").asLong());
                }
                double loss = lossSum / workers;
                losses.add(loss);
                long step = pos.step() + steps;
                boolean last = r == rounds - 1;
                long fromDriver = 4L * theta.length * (momentum == null ? 1 : 2);
                long toDriver = fromDriver + stats.stream().mapToLong(n -> n.toString().length()).sum();

                EvalResult val = null;
                double evalSeconds = 0;
                if (s.valBlocks() != null && (last || crosses(pos.step(), step, tc.evalInterval()))) {
                    long e0 = System.nanoTime();
                    val = evaluate(mc, theta, s.valBlocks(), tc);
                    lastVal = val;
                    evalSeconds = (System.nanoTime() - e0) / 1e9;
                }
                boolean checkpointNow = last || crosses(pos.step(), step, tc.checkpointInterval());
                double roundSeconds = (System.nanoTime() - roundStart) / 1e9;
                double elapsed = start.elapsedSeconds() + (System.nanoTime() - t0) / 1e9;
                pos = new Position(r + 1, step, pos.tokensSeen() + tokens, elapsed);
                double ckptSeconds = 0;
                if (checkpointNow) {
                    long c0 = System.nanoTime();
                    lastCheckpoint = checkpoint(s, mc, layout, theta, momentum, pos, stateOut, staging, conf);
                    ckptSeconds = (System.nanoTime() - c0) / 1e9;
                    roundSeconds += ckptSeconds;
                    elapsed += ckptSeconds;
                    pos = new Position(pos.round(), pos.step(), pos.tokensSeen(), elapsed);
                }
                double outside = roundSeconds - trainMax - evalSeconds;
                double tps = tokens / roundSeconds;
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("round", r + 1);
                extra.put("workers", workers);
                extra.put("train_s", trainMax);
                extra.put("outside_s", outside);
                extra.put("job_s", jobSeconds);
                extra.put("state_s", stateMax);
                extra.put("eval_s", evalSeconds);
                extra.put("checkpoint_s", ckptSeconds);
                extra.put("bytes_from_driver", fromDriver);
                extra.put("bytes_to_driver", toDriver);
                extra.put("delta_bytes", deltaBytes);
                extra.put("state_bytes", stateBytes);
                extra.put("executor_offheap_bytes", offHeapMax);
                extra.put("executor_rss_bytes", rssMax);
                extra.put("executors", String.join(",", stats.stream().map(n -> n.get("executor").asText()).toList()));
                extra.put("task_attempts", stats.stream().mapToInt(n -> n.get("attempt").asInt() + 1).sum());
                metrics.write(step, loss, LrSchedule.at(tc, step - 1), tps, elapsed, val, extra);
                double perRound = (System.nanoTime() - t0) / 1e9 / (r - start.round() + 1);
                log.accept(String.format(Locale.ROOT, "round %d/%d | step %d/%d | loss %.4f | %,.0f tok/s | train %.1f s, "
                                + "outside %.1f s (%.0f%%) | %s to/from driver | elapsed %s | eta %s%s", r + 1, rounds,
                        step, tc.steps(), loss, tps, trainMax, outside, 100 * outside / roundSeconds,
                        mib(toDriver + fromDriver), duration(elapsed), duration(perRound * (rounds - r - 1)),
                        val == null ? "" : String.format(Locale.ROOT, " | val loss %.4f ppl %.2f", val.loss(), val.perplexity())));
                if (checkpointNow) {
                    log.accept("checkpoint " + HadoopFiles.child(HadoopFiles.child(s.out(), "checkpoints"), "step-" + step));
                }
                publishLogs(s.out(), staging, last || checkpointNow, conf);
                // The previous round's worker states are no longer needed once this round's are all written.
                if (previousRoundDir != null) {
                    HadoopFiles.deleteQuietly(new org.apache.hadoop.fs.Path(previousRoundDir), conf);
                }
                previousRoundDir = stateOut;
                stateIn = stateOut;
            }
        } finally {
            Nd4j.factory().blas().setMaxThreads(blasThreadsBefore);
        }
        HadoopFiles.deleteQuietly(new org.apache.hadoop.fs.Path(syncDir), conf);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long runTokens = pos.tokensSeen() - start.tokensSeen();
        return new PretrainSummary(start.step(), pos.step(), List.copyOf(losses), lastVal, lastCheckpoint,
                pos.tokensSeen(), pos.elapsedSeconds(), elapsed > 0 ? runTokens / elapsed : 0, mc.parameterCount(),
                Optimizer.stateSize(tc.optimizer(), layout) * 4, driverMemory.peakHeapBytes(),
                driverMemory.peakOffHeapBytes());
    }

    /**
     * The executors' one-line backend failure inside a failed job's exception (Spark carries the task's message in
     * its own), or null when the job failed for another reason.
     */
    public static String backendFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            int at = m == null ? -1 : m.indexOf(ExecutorSetup.BACKEND_FAILURE);
            if (at >= 0) {
                int end = m.indexOf('\n', at);
                return m.substring(at, end < 0 ? m.length() : end);
            }
        }
        return null;
    }

    /** The reduce side: per chunk, the workers' contributions in worker order, summed in double, then the outer step. */
    static Iterator<Piece> combine(Iterator<Tuple2<Integer, Iterable<Tuple2<Integer, byte[]>>>> groups, RoundSpec spec,
                                   Broadcast<float[]> bTheta, Broadcast<float[]> bMomentum) {
        float[] theta = bTheta.value();
        float[] momentum = bMomentum == null ? null : bMomentum.value();
        List<Piece> out = new ArrayList<>();
        while (groups.hasNext()) {
            Tuple2<Integer, Iterable<Tuple2<Integer, byte[]>>> g = groups.next();
            List<Tuple2<Integer, byte[]>> parts = new ArrayList<>();
            g._2().forEach(parts::add);
            parts.sort(Comparator.comparingInt(Tuple2::_1));
            if (parts.size() != spec.sync().workers()) {
                throw new IllegalStateException("chunk " + g._1() + " has " + parts.size() + " contributions, expected "
                        + spec.sync().workers());
            }
            if (g._1() == SyncWorker.STATS) {
                out.add(new Piece(SyncWorker.STATS, null, null, parts.stream().map(Tuple2::_2).toList()));
                continue;
            }
            int c = g._1();
            int from = (int) ((long) theta.length * c / spec.chunks());
            int to = (int) ((long) theta.length * (c + 1) / spec.chunks());
            double[] sum = new double[to - from];
            for (Tuple2<Integer, byte[]> p : parts) {
                spec.sync().codec().addTo(p._2(), theta, from, sum);
            }
            float[] params = Arrays.copyOfRange(theta, from, to);
            float[] mom = momentum == null ? null : Arrays.copyOfRange(momentum, from, to);
            OuterStep.apply(spec.sync(), params, mom, 0, sum, spec.sync().workers());
            out.add(new Piece(c, params, mom, null));
        }
        return out.iterator();
    }

    private static boolean crosses(long from, long to, int interval) {
        return interval > 0 && to / interval > from / interval;
    }

    private static EvalResult evaluate(ModelConfig mc, float[] theta, ShardBlocks val, TrainConfig tc) {
        INDArray flat = Nd4j.createFromArray(theta);   // copies into an off-heap buffer
        try {
            return Evaluator.evaluate(LlamaModel.withParameters(mc, flat), val.get(), tc.microBatchSize(), tc.evalBatches());
        } finally {
            flat.close();
        }
    }

    /** Whether {@code checkpoint} holds a trainer_state.json written by this trainer. */
    public static boolean isDistributedCheckpoint(String checkpoint, Configuration conf) {
        String state = HadoopFiles.child(checkpoint, TRAINER_STATE);
        if (!HadoopFiles.exists(state, conf)) {
            return false;
        }
        try {
            return "distributed".equals(JSON.readTree(HadoopFiles.readString(state, conf)).path("mode").asText());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + state + ": " + e.getMessage(), e);
        }
    }

    /**
     * Before Spark starts: a distributed checkpoint to resume must come from a run of the same shape (throws
     * IllegalArgumentException); returns whether {@code checkpoint} is a distributed one.
     */
    public static boolean checkCheckpoint(String checkpoint, SyncConfig sync, TrainConfig train, Configuration conf) {
        String state = HadoopFiles.child(checkpoint, TRAINER_STATE);
        if (!HadoopFiles.exists(state, conf)) {
            return false;
        }
        try {
            JsonNode st = JSON.readTree(HadoopFiles.readString(state, conf));
            if (!"distributed".equals(st.path("mode").asText())) {
                throw new IllegalArgumentException("checkpoint " + checkpoint + " was written by the single-JVM trainer; "
                        + "resume it with --workers=1 (its weights alone can start a distributed run: copy model.safetensors "
                        + "and config.json to a directory of their own)");
            }
            checkResumable(st, sync, train);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A resumed run must have the same shape as the one that wrote the checkpoint, or its data plan would differ. */
    private static void checkResumable(JsonNode st, SyncConfig sync, TrainConfig train) {
        JsonNode sy = st.path("sync");
        List<String> diffs = new ArrayList<>();
        if (sy.path("workers").asInt() != sync.workers()) {
            diffs.add("workers " + sy.path("workers").asInt() + " (now " + sync.workers() + ")");
        }
        if (sy.path("localSteps").asInt() != sync.localSteps()) {
            diffs.add("sync.local_steps " + sy.path("localSteps").asInt() + " (now " + sync.localSteps() + ")");
        }
        if (!st.path("optimizer").asText().equals(train.optimizer().id())) {
            diffs.add("optimizer " + st.path("optimizer").asText() + " (now " + train.optimizer().id() + ")");
        }
        if (st.path("train_config").path("seed").asLong() != train.seed()) {
            diffs.add("seed " + st.path("train_config").path("seed").asLong() + " (now " + train.seed() + ")");
        }
        if (!diffs.isEmpty()) {
            throw new IllegalArgumentException("checkpoint was written by a run with " + String.join(", ", diffs)
                    + "; resume with the same settings");
        }
        if (st.path("step").asLong() >= train.steps()) {
            throw new IllegalArgumentException("checkpoint is at step " + st.path("step").asLong()
                    + ", nothing to do for steps=" + train.steps());
        }
    }

    private static float[] readMomentum(Path file, int n) {
        try (SafeTensors.Reader r = new SafeTensors.Reader(file)) {
            float[] v = r.readFloats("momentum_buffer");
            if (v.length != n) {
                throw new IllegalArgumentException(file + ": outer momentum has " + v.length + " values, the model " + n);
            }
            return v;
        }
    }

    /**
     * Writes {@code <out>/checkpoints/step-N}: the model in HF names and config.json, the outer momentum, the
     * workers' inner states (copied from the round's directory), trainer_state.json and tokenizer.json, assembled
     * under a temporary name on the target file system and renamed into place.
     */
    private static Path checkpoint(Settings s, ModelConfig mc, ParameterLayout layout, float[] theta, float[] momentum,
                                   Position pos, String workerStates, Path staging, Configuration conf) throws IOException {
        Path local = Files.createTempDirectory(staging, "step-" + pos.step() + "-");
        INDArray flat = Nd4j.createFromArray(theta);   // copies into an off-heap buffer
        try {
            Checkpoints.saveModel(LlamaModel.withParameters(mc, flat), local, s.configExtras());
        } finally {
            flat.close();
        }
        if (momentum != null) {
            SafeTensors.write(local.resolve(OUTER_FILE), List.of("momentum_buffer"),
                    Map.of("momentum_buffer", new long[]{momentum.length}), Map.of("momentum_buffer", "F32"),
                    name -> SafeTensors.Tensor.of(new long[]{momentum.length}, momentum),
                    outerMetadata(s.sync()));
        }
        ObjectNode st = JSON.createObjectNode();
        st.put("mode", "distributed");
        st.put("step", pos.step());
        st.put("round", pos.round());
        st.put("tokens_seen", pos.tokensSeen());
        st.put("elapsed_s", pos.elapsedSeconds());
        st.put("seed", s.train().seed());
        st.put("optimizer", s.train().optimizer().id());
        st.put("inner_state", s.sync().innerState().id());
        st.put("producer", "verbo " + org.verbo.jobs.Provenance.verboVersion());
        st.set("sync", JSON.valueToTree(s.sync()));
        st.set("train_config", JSON.valueToTree(s.train()));
        st.set("model_config", JSON.valueToTree(mc));
        Files.write(local.resolve(TRAINER_STATE), JSON.writeValueAsBytes(st));
        if (s.tokenizerJson() != null) {
            Files.writeString(local.resolve("tokenizer.json"), s.tokenizerJson());
        }
        String target = HadoopFiles.child(HadoopFiles.child(s.out(), "checkpoints"), "step-" + pos.step());
        org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(target);
        FileSystem fs = dst.getFileSystem(conf);
        // a leased temp dir beside the checkpoints (TempDirs); the checkpoint is built in it, then renamed
        org.apache.hadoop.fs.Path tmpDir = TempDirs.create(dst.getParent(), dst.getName(), conf);
        try {
            org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(tmpDir, dst.getName());
            fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), tmp);
            if (workerStates != null) {
                org.apache.hadoop.fs.Path workersDir = new org.apache.hadoop.fs.Path(tmp, WORKERS_DIR);
                fs.mkdirs(workersDir);
                for (int k = 0; k < s.sync().workers(); k++) {
                    org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(SyncWorker.stateFile(workerStates, k));
                    if (!FileUtil.copy(fs, src, fs, new org.apache.hadoop.fs.Path(workersDir, src.getName()), false, conf)) {
                        throw new IOException("cannot copy " + src + " into the checkpoint");
                    }
                }
            }
            HadoopFiles.publish(tmp, dst, true, conf);
        } finally {
            TempDirs.delete(tmpDir, conf);
        }
        deleteLocal(local);
        return Path.of(dst.toUri().getPath());
    }

    /** In a fixed order (Map.of's order changes from JVM to JVM, and the header bytes with it). */
    private static Map<String, String> outerMetadata(SyncConfig sync) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("optimizer", "nesterov");
        m.put("outer_lr", Double.toString(sync.outerLr()));
        m.put("outer_momentum", Double.toString(sync.outerMomentum()));
        return m;
    }

    /** metrics.jsonl after every round; loss.png at checkpoints and at the end. */
    private static void publishLogs(String out, Path staging, boolean plot, Configuration conf) throws IOException {
        HadoopFiles.writeStringAtomically(HadoopFiles.child(out, "metrics.jsonl"),
                Files.readString(staging.resolve("metrics.jsonl")), conf);
        if (plot) {
            Pretrain.plot(staging);
            HadoopFiles.putFile(staging.resolve("loss.png"), HadoopFiles.child(out, "loss.png"), conf);
        }
    }

    private static void deleteLocal(Path p) {
        try {
            Checkpoints.deleteTree(p);
        } catch (IOException ignored) {
            // temp files; best effort
        }
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static String duration(double seconds) {
        long sec = Math.round(seconds);
        return sec >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", sec / 3600, (sec / 60) % 60, sec % 60)
                : String.format(Locale.ROOT, "%d:%02d", sec / 60, sec % 60);
    }
}
