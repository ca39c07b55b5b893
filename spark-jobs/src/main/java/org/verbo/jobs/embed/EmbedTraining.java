package org.verbo.jobs.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.embeddings.eval.Bm25Baseline;
import org.verbo.embeddings.eval.RetrievalMetrics;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.embeddings.model.EmbeddingConfig;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.model.InstructionTemplate;
import org.verbo.embeddings.model.PoolingKind;
import org.verbo.embeddings.train.ContrastiveExample;
import org.verbo.embeddings.train.EmbeddingTrainConfig;
import org.verbo.embeddings.train.EmbeddingTrainer;
import org.verbo.jobs.Provenance;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.models.io.Checkpoints;
import org.verbo.models.io.SafeTensors;
import org.verbo.models.train.LossCurvePlot;
import org.verbo.models.train.MetricsLog;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * {@code verbo embed-train}'s training loop. It runs on the driver with one {@link EmbeddingTrainer} (the pairs are
 * collected there; contrastive batches need all their texts in one forward): stage 1 (in-batch and hard negatives)
 * for {@code steps}, then stage 2 (hard negatives only, a fresh optimizer) for {@code stage2Steps}, each with
 * linear warm-up and cosine decay. Batch b of the run is a fixed function of the seed (an epoch-wise seeded
 * shuffle), so a run resumed from {@code checkpoints/step-N} (model, both AdamW moments and the step count) takes
 * the same steps as the uninterrupted run.
 *
 * <p>Checkpoints are written to a local staging directory and copied to {@code <out>/checkpoints/step-N} on any
 * Hadoop file system through a temporary name and a rename, with {@code metrics.jsonl} and {@code loss.png}.
 */
public final class EmbedTraining {
    public static final String STATE_FILE = "embed_trainer_state.json";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EmbedTraining() {
    }

    public record Settings(int steps, int stage2Steps, int batchSize, int hardNegatives, double lr, double minLr,
                           int warmup, double weightDecay, double temperature, boolean freezeDecoder, String pooling,
                           int maxLength, String task, long seed, int checkpointInterval, int logInterval,
                           double clipNorm) {
        public Settings {
            if (steps < 1 || stage2Steps < 0) throw new IllegalArgumentException("embed_train.steps must be >= 1 and stage2_steps >= 0");
            if (batchSize < 2) throw new IllegalArgumentException("embed_train.batch_size must be >= 2 (in-batch negatives), got " + batchSize);
            if (hardNegatives < 0) throw new IllegalArgumentException("embed_train.hard_negatives must be >= 0");
            if (!(lr > 0) || minLr < 0 || minLr > lr) throw new IllegalArgumentException("embed_train needs lr > 0 and 0 <= min_lr <= lr");
            if (warmup < 0 || checkpointInterval < 0 || logInterval < 1) {
                throw new IllegalArgumentException("embed_train.warmup and checkpoint_interval must be >= 0, log_interval >= 1");
            }
            if (maxLength < 0) throw new IllegalArgumentException("embed_train.max_length must be >= 0 (0: the decoder's context)");
            if (task == null || task.isBlank()) throw new IllegalArgumentException("embed_train.task must not be empty");
            PoolingKind.parse(pooling);
        }

        public int totalSteps() {
            return steps + stage2Steps;
        }

        /** What a resumed run must share with the run it continues. */
        String fingerprint(int pairs) {
            return String.join("|", String.valueOf(steps), String.valueOf(stage2Steps), String.valueOf(batchSize),
                    String.valueOf(hardNegatives), String.valueOf(lr), String.valueOf(minLr), String.valueOf(warmup),
                    String.valueOf(weightDecay), String.valueOf(temperature), String.valueOf(freezeDecoder), pooling,
                    task, String.valueOf(seed), String.valueOf(clipNorm), String.valueOf(pairs));
        }
    }

    public record Summary(double firstLoss, double finalLoss, String lastCheckpoint, int steps, double seconds,
                          EmbeddingModel model) {
    }

    /** Linear warm-up over warmup steps, then cosine to minLr at the stage's end (s is 0-based within the stage). */
    static double lrAt(Settings s, int stageSteps, int step) {
        if (step < s.warmup()) {
            return s.lr() * (step + 1) / s.warmup();
        }
        double progress = Math.min(1.0, (double) (step - s.warmup()) / Math.max(1, stageSteps - s.warmup()));
        return s.minLr() + 0.5 * (s.lr() - s.minLr()) * (1 + Math.cos(Math.PI * progress));
    }

    /** Indices of global step g's batch: positions g·B … g·B+B−1 of an endless stream of seeded epoch shuffles. */
    static int[] batchIndices(long seed, int n, int batch, int g) {
        int[] out = new int[batch];
        int[] perm = null;
        long epochOf = -1;
        for (int i = 0; i < batch; i++) {
            long pos = (long) g * batch + i;
            long epoch = pos / n;
            if (epoch != epochOf) {
                perm = new int[n];
                for (int j = 0; j < n; j++) {
                    perm[j] = j;
                }
                Random r = new Random(seed * 1_000_003L + epoch);
                for (int j = n - 1; j > 0; j--) {
                    int k = r.nextInt(j + 1);
                    int t = perm[j];
                    perm[j] = perm[k];
                    perm[k] = t;
                }
                epochOf = epoch;
            }
            out[i] = perm[(int) (pos % n)];
        }
        return out;
    }

    /**
     * Trains and publishes checkpoints under out.
     *
     * @param decoderDir local decoder checkpoint (a fresh run), or null when resuming
     * @param resumeDir  local embed-train checkpoint to continue, or null
     * @param tokenizer  local tokenizer.json
     */
    public static Summary run(Settings s, List<TextPair> train, Path decoderDir, Path resumeDir, Path tokenizer,
                              String out, Map<String, Object> provenance, Configuration conf, Consumer<String> say)
            throws IOException {
        long t0 = System.nanoTime();
        BpeEncoder enc = new BpeEncoder(BpeModel.fromHuggingFaceJson(Files.readString(tokenizer)));
        int batch = Math.min(s.batchSize(), train.size());
        if (train.size() < 2) {
            throw new IllegalArgumentException("embed-train needs at least 2 training pairs, got " + train.size());
        }
        EmbeddingModel model;
        int startStep = 0;
        JsonNode state = null;
        if (resumeDir != null) {
            state = JSON.readTree(resumeDir.resolve(STATE_FILE).toFile());
            if (!state.path("fingerprint").asText().equals(s.fingerprint(train.size()))) {
                throw new IllegalArgumentException("checkpoint " + resumeDir + " was trained with other settings or pairs ("
                        + state.path("fingerprint").asText() + " vs " + s.fingerprint(train.size()) + "); resume with the same ones");
            }
            model = EmbeddingCheckpoint.load(resumeDir);
            startStep = state.path("step").asInt();
        } else {
            var dc = Checkpoints.loadModel(decoderDir).config();
            int maxLen = s.maxLength() == 0 ? dc.contextLength() : s.maxLength();
            if (maxLen > dc.contextLength()) {
                throw new IllegalArgumentException("embed_train.max_length " + maxLen + " exceeds the decoder's context " + dc.contextLength());
            }
            EmbeddingConfig ec = EmbeddingConfig.nvEmbed(dc).withPooling(PoolingKind.parse(s.pooling()));
            ec = new EmbeddingConfig(ec.pooling(), ec.numLatents(), ec.numHeads(), ec.headDim(), ec.ffnMult(),
                    ec.attention(), maxLen, ec.template(), ec.similarity());
            model = EmbeddingCheckpoint.fromDecoder(decoderDir, ec, s.seed());
        }
        int maxLen = model.config().maxLength();
        List<ContrastiveExample> examples = tokenize(train, model.config().template(), s.task(), enc, maxLen, s.hardNegatives());

        Path staging = Files.createTempDirectory("verbo-embed-train-");
        try {
            String metricsOut = HadoopFiles.child(out, "metrics.jsonl");
            if (startStep > 0 && HadoopFiles.exists(metricsOut, conf)) {
                Files.writeString(staging.resolve("metrics.jsonl"), HadoopFiles.readString(metricsOut, conf));
            }
            say.accept(String.format(Locale.ROOT, "embed-train: %,d training pairs, %s pooling, dimension %d, max length %d, "
                            + "batch %d + %d hard negatives each, stage 1: %d steps%s, decoder %s%s", examples.size(),
                    model.config().pooling().id(), model.dimension(), maxLen, batch, s.hardNegatives(), s.steps(),
                    s.stage2Steps() > 0 ? ", stage 2: " + s.stage2Steps() + " steps" : "",
                    s.freezeDecoder() ? "frozen" : "trained", startStep > 0 ? ", resumed at step " + startStep : ""));
            double first = Double.NaN;
            double last = Double.NaN;
            String lastCkpt = null;
            EmbeddingTrainer trainer = null;
            int trainerStage = 0;
            long texts = 0;
            long tLoop = System.nanoTime();
            try (MetricsLog metrics = new MetricsLog(staging.resolve("metrics.jsonl"), startStep)) {
                for (int g = startStep; g < s.totalSteps(); g++) {
                    int stage = g < s.steps() ? 1 : 2;
                    int inStage = stage == 1 ? g : g - s.steps();
                    if (trainerStage != stage) {
                        EmbeddingTrainConfig tc = new EmbeddingTrainConfig(s.lr(), s.weightDecay(), 0.9, 0.999, 1e-8,
                                s.temperature(), stage, s.freezeDecoder(), s.clipNorm());
                        trainer = new EmbeddingTrainer(model, tc);
                        if (state != null && g == startStep && inStage > 0) {
                            restore(trainer, resumeDir, inStage);
                        }
                        trainerStage = stage;
                    }
                    List<ContrastiveExample> b = new ArrayList<>(batch);
                    for (int i : batchIndices(s.seed(), examples.size(), batch, g)) {
                        ContrastiveExample e = examples.get(i);
                        b.add(e);
                        texts += 2 + e.negatives().size();
                    }
                    double lr = lrAt(s, stage == 1 ? s.steps() : s.stage2Steps(), inStage);
                    double loss = trainer.step(b, lr);
                    if (Double.isNaN(first)) {
                        first = loss;
                    }
                    last = loss;
                    int step = g + 1;
                    double elapsed = (System.nanoTime() - tLoop) / 1e9;
                    if (step % s.logInterval() == 0 || step == s.totalSteps()) {
                        double rate = texts / Math.max(1e-9, elapsed);
                        double eta = elapsed / (step - startStep) * (s.totalSteps() - step);
                        double acc = (double) trainer.lastResult().correct() / b.size();
                        Map<String, Object> extra = new LinkedHashMap<>();
                        extra.put("stage", stage);
                        extra.put("batch_accuracy", acc);
                        extra.put("texts_per_s", rate);
                        metrics.write(step, loss, lr, rate, elapsed, null, extra);
                        say.accept(String.format(Locale.ROOT, "step %d/%d (stage %d) | loss %.4f | batch acc %.2f | lr %.2e | "
                                        + "%,.0f texts/s | elapsed %s | eta %s", step, s.totalSteps(), stage, loss, acc, lr, rate,
                                duration(elapsed), duration(eta)));
                    }
                    if ((s.checkpointInterval() > 0 && step % s.checkpointInterval() == 0) || step == s.totalSteps()) {
                        lastCkpt = checkpoint(trainer, model, s, step, stage, inStage + 1, train.size(), staging, tokenizer,
                                out, provenance, conf);
                        publishLogs(staging, out, conf);
                    }
                }
            }
            if (lastCkpt == null) {
                lastCkpt = HadoopFiles.child(HadoopFiles.child(out, "checkpoints"), "step-" + s.totalSteps());
            }
            return new Summary(first, last, lastCkpt, s.totalSteps(), (System.nanoTime() - t0) / 1e9, model);
        } finally {
            Checkpoints.deleteTree(staging);
        }
    }

    /** Queries with the instruction, documents without; every text cut to maxLength tokens. */
    static List<ContrastiveExample> tokenize(List<TextPair> pairs, InstructionTemplate template, String task,
                                             BpeEncoder enc, int maxLength, int hardNegatives) {
        int[] prefix = enc.encode(template.prefix(task));
        if (prefix.length >= maxLength) {
            throw new IllegalArgumentException("the instruction for task '" + task + "' takes " + prefix.length
                    + " tokens, not less than max_length " + maxLength);
        }
        List<ContrastiveExample> out = new ArrayList<>(pairs.size());
        for (TextPair p : pairs) {
            InstructionTemplate.Tokenized q = template.query(task, p.query(), enc::encode);
            int[] pos = cut(enc.encode(p.positive()), maxLength);
            List<int[]> negs = new ArrayList<>();
            for (String n : p.negatives().subList(0, Math.min(hardNegatives, p.negatives().size()))) {
                negs.add(cut(enc.encode(n), maxLength));
            }
            out.add(new ContrastiveExample(cut(q.ids(), maxLength), q.instructionLength(), pos, negs));
        }
        return out;
    }

    private static int[] cut(int[] ids, int max) {
        return ids.length > max ? Arrays.copyOf(ids, max) : ids;
    }

    private static void restore(EmbeddingTrainer trainer, Path dir, long stageSteps) {
        INDArray pooling = null;
        INDArray decoder = null;
        try (SafeTensors.Reader r = new SafeTensors.Reader(dir.resolve(OPTIMIZER_FILE))) {
            if (r.contains("pooling.adamw")) {
                pooling = Nd4j.createFromArray(r.readFloats("pooling.adamw"));
            }
            if (r.contains("decoder.adamw")) {
                decoder = Nd4j.createFromArray(r.readFloats("decoder.adamw"));
            }
        }
        trainer.restore(stageSteps, pooling, decoder);
    }

    private static String checkpoint(EmbeddingTrainer trainer, EmbeddingModel model, Settings s, int step, int stage,
                                     int stageSteps, int pairs, Path staging, Path tokenizer, String out,
                                     Map<String, Object> provenance, Configuration conf) throws IOException {
        Path dir = staging.resolve("step-" + step);
        Map<String, Object> prov = new LinkedHashMap<>(provenance);
        prov.put("task", s.task());
        prov.put("step", step);
        prov.put("seed", s.seed());
        EmbeddingCheckpoint.save(model, dir, prov, List.of(tokenizer));
        List<String> names = new ArrayList<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        Map<String, float[]> data = new LinkedHashMap<>();
        for (var e : new Object[][] {{"pooling.adamw", trainer.poolingOptimizerState()},
                {"decoder.adamw", trainer.decoderOptimizerState()}}) {
            if (e[1] != null) {
                float[] v = ((INDArray) e[1]).toFloatVector();
                names.add((String) e[0]);
                shapes.put((String) e[0], new long[] {v.length});
                dtypes.put((String) e[0], "F32");
                data.put((String) e[0], v);
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("layout", "[exp_avg (P) | exp_avg_sq (P)]");
        SafeTensors.write(dir.resolve(OPTIMIZER_FILE), names, shapes, dtypes,
                name -> SafeTensors.Tensor.of(shapes.get(name), data.get(name)), meta);
        ObjectNode st = JSON.createObjectNode();
        st.put("step", step);
        st.put("stage", stage);
        st.put("stage_steps", stageSteps);
        st.put("fingerprint", s.fingerprint(pairs));
        st.set("provenance", Provenance.json(JSON));
        JSON.writeValue(dir.resolve(STATE_FILE).toFile(), st);
        String target = HadoopFiles.child(HadoopFiles.child(out, "checkpoints"), "step-" + step);
        HadoopFiles.putDir(dir, target, conf);
        Checkpoints.deleteTree(dir);
        return target;
    }

    private static void publishLogs(Path staging, String out, Configuration conf) throws IOException {
        List<double[]> rows = MetricsLog.read(staging.resolve("metrics.jsonl"));
        if (!rows.isEmpty()) {
            LossCurvePlot.write(staging.resolve("loss.png"), "verbo embed-train (InfoNCE)", "step",
                    List.of(new LossCurvePlot.Series("train loss", rows.stream().mapToDouble(r -> r[0]).toArray(),
                            rows.stream().mapToDouble(r -> r[1]).toArray(), new Color(31, 119, 180))));
        }
        for (String f : new String[] {"metrics.jsonl", "loss.png"}) {
            if (Files.exists(staging.resolve(f))) {
                HadoopFiles.putFile(staging.resolve(f), HadoopFiles.child(out, f), conf);
            }
        }
    }

    /** Held-out retrieval among the held-out positives: the embedder against BM25 (recall@1, recall@10, nDCG@10). */
    public static ObjectNode evaluate(EmbeddingModel model, BpeEncoder enc, String task, List<TextPair> held) throws IOException {
        ObjectNode out = JSON.createObjectNode();
        out.put("pairs", held.size());
        if (held.size() < 2) {
            return out;
        }
        List<int[]> qs = new ArrayList<>();
        List<Integer> qi = new ArrayList<>();
        List<int[]> ds = new ArrayList<>();
        List<Integer> di = new ArrayList<>();
        int maxLen = model.config().maxLength();
        for (TextPair p : held) {
            InstructionTemplate.Tokenized q = model.config().template().query(task, p.query(), enc::encode);
            qs.add(cut(q.ids(), maxLen));
            qi.add(q.instructionLength());
            ds.add(cut(enc.encode(p.positive()), maxLen));
            di.add(0);
        }
        float[][] qv = model.encode(qs, qi);
        float[][] dv = model.encode(ds, di);
        double[] emb = new double[3];
        double[] bm = new double[3];
        try (Bm25Baseline bm25 = new Bm25Baseline()) {
            for (int i = 0; i < held.size(); i++) {
                bm25.add(String.valueOf(i), held.get(i).positive());
            }
            for (int i = 0; i < held.size(); i++) {
                Integer[] order = new Integer[held.size()];
                double[] score = new double[held.size()];
                for (int j = 0; j < order.length; j++) {
                    order[j] = j;
                    for (int c = 0; c < qv[i].length; c++) {
                        score[j] += qv[i][c] * dv[j][c];
                    }
                }
                Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
                List<String> ranked = Arrays.stream(order).limit(10).map(String::valueOf).toList();
                var rel = new HashSet<>(List.of(String.valueOf(i)));
                add(emb, ranked, rel);
                add(bm, bm25.search(held.get(i).query(), 10), rel);
            }
        }
        for (var e : Map.of("embedder", emb, "bm25", bm).entrySet()) {
            ObjectNode n = out.putObject(e.getKey());
            n.put("recall_at_1", e.getValue()[0] / held.size());
            n.put("recall_at_10", e.getValue()[1] / held.size());
            n.put("ndcg_at_10", e.getValue()[2] / held.size());
        }
        return out;
    }

    private static void add(double[] acc, List<String> ranked, java.util.Set<String> rel) {
        acc[0] += RetrievalMetrics.recallAtK(ranked, rel, 1);
        acc[1] += RetrievalMetrics.recallAtK(ranked, rel, 10);
        acc[2] += RetrievalMetrics.ndcgAtK(ranked, rel, 10);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
