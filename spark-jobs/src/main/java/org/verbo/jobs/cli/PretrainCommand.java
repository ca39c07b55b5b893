package org.verbo.jobs.cli;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.spark.SparkSessions;
import org.verbo.jobs.train.DistributedPretrain;
import org.verbo.jobs.train.PretrainSettings;
import org.verbo.jobs.train.ShardBlocks;
import org.verbo.models.ModelConfig;
import org.verbo.models.io.Checkpoints;
import org.verbo.models.train.MemoryEstimate;
import org.verbo.models.train.Pretrain;
import org.verbo.models.train.PretrainSummary;
import org.verbo.models.train.TrainConfig;
import org.verbo.models.train.sync.SyncConfig;
import org.verbo.prep.bpe.BpeModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the Llama-style decoder on token shards: in this JVM (--workers=1), or as N data-parallel",
                "trainers on Spark executors combined by DiLoCo or parameter averaging (--workers=N).",
                "Writes <out>/checkpoints/step-N/ (model.safetensors, config.json, optimizer state,",
                "trainer_state.json, tokenizer.json) as it goes, <out>/metrics.jsonl and <out>/loss.png;",
                "<out> is any Hadoop path."})
final class PretrainCommand extends ModelCommand {

    @Option(names = "--shards", required = true, paramLabel = "DIR", description = "Output of tokenize (holds manifest.json).")
    String shards;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (any Hadoop path).")
    String out;

    @Option(names = "--preset", paramLabel = "NAME", description = "Model size: tiny|bench-7m|small-25m|base-125m (default: tiny).")
    String preset;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (of each worker) (default: 200).")
    Integer steps;

    @Option(names = "--workers", paramLabel = "N", description = "Data-parallel trainers (default: 1, this JVM).")
    Integer workers;

    @Option(names = "--overwrite", paramLabel = "BOOL", description = "Replace an existing run at --out (default: false).")
    Boolean overwrite;

    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "Resume from a step-N checkpoint, or start from any Hugging Face Llama checkpoint's weights.")
    String checkpoint;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer.json copied into checkpoints (default: the one in the manifest).")
    String tokenizer;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("pretrain.preset", preset, "pretrain.steps", steps, "pretrain.workers", workers,
                "pretrain.overwrite", overwrite));
        int n = config.root().getInt("pretrain.workers");
        if (n < 1) {
            throw new IllegalArgumentException("--workers must be >= 1, got " + n);
        }
        checkBackend();
        if (n == 1) {
            train(config, shards, out, checkpoint, tokenizer, this::say);
        } else {
            trainDistributed(config, shards, out, checkpoint, tokenizer, cpuFallback, this::say);
        }
        return 0;
    }

    /** What both trainers read from the config and the shards; validated before anything is written. */
    private record Setup(Configuration conf, ShardBlocks train, ShardBlocks val, TrainConfig tc, ModelConfig mc,
                         String tokJson, Map<String, Object> extras) {
    }

    private static Setup setup(VerboConfig config, String shards, String out, String checkpoint, String tokenizer) {
        Configuration conf = HadoopFiles.preflightConf(config.sparkConf());
        ShardBlocks train = ShardBlocks.open(shards, "train", conf);
        ShardBlocks val = ShardBlocks.open(shards, "val", conf);
        if (train.blocks() == 0) {
            throw new IllegalArgumentException("no training blocks in " + shards);
        }
        TrainConfig tc = PretrainSettings.trainConfig(config.at("pretrain"));
        ModelConfig mc = PretrainSettings.modelConfig(config.root().getString("pretrain.preset"), train.vocabSize(),
                train.blockLength() - 1);
        if (checkpoint != null) {
            HadoopFiles.requireExists("checkpoint", checkpoint, conf);
        }
        refuseExistingRun(out, config.root().getBoolean("pretrain.overwrite"), checkpoint != null, conf);
        String tok = tokenizer != null ? tokenizer : train.tokenizer();
        String tokJson = tok != null && HadoopFiles.exists(tok, conf) ? HadoopFiles.readString(tok, conf) : null;
        Map<String, Object> extras = tokJson == null ? Map.of() : specialTokenIds(BpeModel.fromHuggingFaceJson(tokJson));
        return new Setup(conf, train, val, tc, mc, tokJson, extras);
    }

    /**
     * An existing run (checkpoints or metrics) at {@code out} is refused unless the user resumes it or asks for
     * overwrite, which deletes it first: a rerun never mixes two runs' files.
     */
    static void refuseExistingRun(String out, boolean overwrite, boolean resuming, Configuration conf) {
        boolean existing = HadoopFiles.exists(HadoopFiles.child(out, "checkpoints"), conf)
                || HadoopFiles.exists(HadoopFiles.child(out, "metrics.jsonl"), conf);
        if (!existing || resuming) {
            return;
        }
        if (!overwrite) {
            throw new IllegalArgumentException("output " + out + " already holds a training run; resume it with "
                    + "--checkpoint=<out>/checkpoints/step-N, choose another --out, or replace it with --overwrite=true");
        }
        HadoopFiles.deleteQuietly(new org.apache.hadoop.fs.Path(out), conf);
    }

    /** Trains per {@code verbo.pretrain} in this JVM; the demo calls this too. */
    static PretrainSummary train(VerboConfig config, String shards, String out, String checkpoint, String tokenizer,
                                 Consumer<String> say) throws IOException {
        Setup s = setup(config, shards, out, checkpoint, tokenizer);
        if (checkpoint != null && DistributedPretrain.isDistributedCheckpoint(checkpoint, s.conf())) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + " was written by the distributed trainer; "
                    + "resume it with the same --workers");
        }
        // The trainer writes with java.nio (temp dir + atomic rename). A local --out is written in place. Any other
        // Hadoop path gets a local staging directory whose checkpoints are copied to <out> as each is made (through a
        // temporary name and a rename), with metrics.jsonl and loss.png; a non-local --checkpoint is fetched first.
        boolean localOut = HadoopFiles.isLocal(out);
        Path outDir = localOut ? HadoopFiles.localPath(out) : Files.createTempDirectory("verbo-pretrain-");
        Path start = checkpoint == null ? null : HadoopFiles.localDir(checkpoint, s.conf());
        if (!localOut && checkpoint != null && HadoopFiles.exists(HadoopFiles.child(out, "metrics.jsonl"), s.conf())) {
            Files.writeString(outDir.resolve("metrics.jsonl"), HadoopFiles.readString(HadoopFiles.child(out, "metrics.jsonl"), s.conf()));
        }
        Configuration conf = s.conf();
        Pretrain.Publisher publisher = localOut ? (dir, ckpt) -> { } : (dir, ckpt) -> {
            if (ckpt != null) {
                HadoopFiles.putDir(ckpt, HadoopFiles.child(HadoopFiles.child(out, "checkpoints"), ckpt.getFileName().toString()), conf);
            }
            for (String f : new String[] {"metrics.jsonl", "loss.png"}) {
                if (Files.exists(dir.resolve(f))) {
                    HadoopFiles.putFile(dir.resolve(f), HadoopFiles.child(out, f), conf);
                }
            }
        };
        say.accept(String.format("pretrain: %s (%,d parameters), %,d train blocks and %,d val blocks of %d tokens, %s, %d steps",
                config.root().getString("pretrain.preset"), s.mc().parameterCount(), s.train().blocks(), s.val().blocks(),
                s.train().blockLength(), s.tc().optimizer().id(), s.tc().steps()));
        Map<String, byte[]> files = s.tokJson() == null ? Map.of()
                : Map.of("tokenizer.json", s.tokJson().getBytes(StandardCharsets.UTF_8));
        PretrainSummary summary = Pretrain.run(s.mc(), s.tc(), s.train(), s.val().blocks() > 0 ? s.val() : null, outDir, start,
                say, s.extras(), new Pretrain.Hooks(files, publisher));
        say.accept(String.format("final train loss %.4f%s; outputs under %s", summary.finalLoss(),
                summary.finalValidation() == null ? "" : String.format(", validation loss %.4f (perplexity %.2f)",
                        summary.finalValidation().loss(), summary.finalValidation().perplexity()), out));
        if (!localOut) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Checkpoints.deleteTree(outDir);
                } catch (IOException ignored) {
                    // a temp dir; best effort
                }
            }));
        }
        return summary;
    }

    /** The data-parallel trainer on Spark (docs/DISTRIBUTED.md); everything is validated before Spark starts. */
    static PretrainSummary trainDistributed(VerboConfig config, String shards, String out, String checkpoint,
                                            String tokenizer, boolean cpuFallback, Consumer<String> say) throws IOException {
        SyncConfig sync = PretrainSettings.syncConfig(config.at("pretrain"));
        Setup s = setup(config, shards, out, checkpoint, tokenizer);
        checkBlocks(sync, s.tc(), s.train().blocks());
        if (checkpoint != null) {
            DistributedPretrain.checkCheckpoint(checkpoint, sync, s.tc(), s.conf());
        }
        SparkConf sparkConf = new SparkConf();
        config.sparkConf().forEach(sparkConf::set);
        String master = sparkConf.contains("spark.master") ? sparkConf.get("spark.master") : config.root().getString("spark.master");
        Map<String, String> extra = checkMemory(MemoryEstimate.of(s.mc(), s.tc()), sync.workers(), sparkConf, master);
        say.accept(String.format(Locale.ROOT, "pretrain: %s (%,d parameters), %,d train blocks and %,d val blocks of %d tokens, "
                        + "%s, %d steps per worker", config.root().getString("pretrain.preset"), s.mc().parameterCount(),
                s.train().blocks(), s.val().blocks(), s.train().blockLength(), s.tc().optimizer().id(), s.tc().steps()));
        DistributedPretrain.Settings ds = new DistributedPretrain.Settings(s.mc(), s.tc(), sync, s.train(),
                s.val().blocks() > 0 ? s.val() : null, out, checkpoint, s.tokJson(), s.extras(),
                HadoopFiles.hadoopSettings(config.sparkConf()), cpuFallback,
                emptyToNull(config.root().getString("pretrain.sync.test.fail_task")),
                emptyToNull(config.root().getString("pretrain.sync.test.delay_workers")));
        try (SparkSession spark = SparkSessions.create(config, "pretrain", extra)) {
            PretrainSummary summary;
            try {
                summary = DistributedPretrain.run(spark, ds, say);
            } catch (Exception e) {   // SparkException is a checked exception that Scala code throws undeclared
                String line = DistributedPretrain.backendFailure(e);
                if (line != null) {
                    throw new OneLineFailure(line, e);
                }
                throw e;
            }
            say.accept(String.format("final train loss %.4f%s; outputs under %s", summary.finalLoss(),
                    summary.finalValidation() == null ? "" : String.format(", validation loss %.4f (perplexity %.2f)",
                            summary.finalValidation().loss(), summary.finalValidation().perplexity()), out));
            return summary;
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** Fewer blocks than one step of every worker, or than one round, stop the run before anything is written. */
    static void checkBlocks(SyncConfig sync, TrainConfig tc, long blocks) {
        long perStep = (long) tc.microBatchSize() * tc.gradAccumulation();
        if (blocks < sync.workers() * perStep) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--workers=%d needs at least %d training blocks "
                            + "(workers x micro_batch %d x grad_accumulation %d) for one step of every worker; the shards have %d",
                    sync.workers(), sync.workers() * perStep, tc.microBatchSize(), tc.gradAccumulation(), blocks));
        }
        long round = sync.workers() * perStep * Math.min(sync.localSteps(), tc.steps());
        if (blocks < round) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "one round needs %d training blocks (workers %d x "
                            + "sync.local_steps %d x %d blocks a step), the shards have %d: lower sync.local_steps or "
                            + "--workers, or tokenize more text", round, sync.workers(), Math.min(sync.localSteps(), tc.steps()),
                    perStep, blocks));
        }
    }

    /**
     * Stops with one line when an executor cannot hold the trainers it will run (memoryOverhead is what off-heap ND4J
     * memory lives in), and returns the JavaCPP limits to add to the executors' JVM options so that ND4J's off-heap
     * use stays inside spark.executor.memoryOverhead (JavaCPP's default limit is the heap size).
     */
    static Map<String, String> checkMemory(MemoryEstimate perTask, int workers, SparkConf conf, String master) {
        Map<String, String> extra = new LinkedHashMap<>();
        if (master.startsWith("local")) {
            long max = org.bytedeco.javacpp.Pointer.maxBytes();
            long concurrent = Math.min(workers, Runtime.getRuntime().availableProcessors());
            if (max > 0 && concurrent * perTask.offHeapBytes() > max) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "%d concurrent trainers need about %d MiB "
                                + "off-heap each (%d MiB), over this JVM's JavaCPP limit of %d MiB: raise the heap "
                                + "(VERBO_DRIVER_MEMORY) or -Dorg.bytedeco.javacpp.maxbytes", concurrent, perTask.offHeapMiB(),
                        concurrent * perTask.offHeapMiB(), max >> 20));
            }
            return extra;
        }
        long execMem = conf.getSizeAsMb("spark.executor.memory", "1g");
        long overhead = conf.contains("spark.executor.memoryOverhead") ? conf.getSizeAsMb("spark.executor.memoryOverhead", "0")
                : Math.max(384, (long) (execMem * conf.getDouble("spark.executor.memoryOverheadFactor", 0.10)));
        int cores = conf.getInt("spark.executor.cores", 1);
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        long tasks = Math.max(1, cores / taskCpus);
        long needOff = tasks * perTask.offHeapMiB();
        long needHeap = tasks * perTask.heapMiB() + 300;   // Spark reserves 300 MiB of every executor heap
        if (overhead < needOff || execMem < needHeap) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "an executor runs %d trainer(s) (spark.executor.cores %d"
                            + " / spark.task.cpus %d) of about %d MiB off-heap and %d MiB heap each, but has "
                            + "spark.executor.memoryOverhead %d MiB and spark.executor.memory %d MiB: set "
                            + "spark.executor.memoryOverhead >= %dm and spark.executor.memory >= %dm",
                    tasks, cores, taskCpus, perTask.offHeapMiB(), perTask.heapMiB(), overhead, execMem, needOff, needHeap));
        }
        String opts = conf.get("spark.executor.extraJavaOptions", "");
        if (!opts.contains("org.bytedeco.javacpp.maxbytes")) {
            extra.put("spark.executor.extraJavaOptions", (opts + " -Dorg.bytedeco.javacpp.maxbytes=" + overhead + "m"
                    + " -Dorg.bytedeco.javacpp.maxphysicalbytes=" + (execMem + overhead) + "m").trim());
        }
        return extra;
    }

    /** config.json's bos/eos/pad ids, from the tokenizer's special tokens (HF LlamaConfig keys). */
    private static Map<String, Object> specialTokenIds(BpeModel tok) {
        Map<String, Object> ids = new LinkedHashMap<>();
        for (String[] kv : new String[][] {{"bos_token_id", "<s>"}, {"eos_token_id", "</s>"}, {"pad_token_id", "<pad>"}}) {
            if (tok.contains(kv[1])) {
                ids.put(kv[0], tok.idOf(kv[1]));
            }
        }
        return ids;
    }
}
