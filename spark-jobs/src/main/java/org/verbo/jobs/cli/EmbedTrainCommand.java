package org.verbo.jobs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.Provenance;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.embed.EmbedTraining;
import org.verbo.jobs.embed.TextPair;
import org.verbo.jobs.embed.TrainingPairs;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.spark.SparkSessions;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

@Command(name = "embed-train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train an embedder (NV-Embed: bidirectional decoder, latent attention pooling, InfoNCE) from a decoder",
                "checkpoint (pretrain's step-N or any Hugging Face Llama checkpoint) on query/positive pairs from a table",
                "(--pairs: query, positive, optional negatives) or mined from a clean corpus (--corpus). Training runs on the",
                "driver. Writes <out>/checkpoints/step-N/ (embedding checkpoints, resumable with --checkpoint), metrics.jsonl,",
                "loss.png, pairs.json (counts), heldout.jsonl and eval.json (held-out recall against BM25)."})
final class EmbedTrainCommand extends ModelCommand {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "Decoder checkpoint to start from, or an embed-train checkpoints/step-N to resume.")
    String checkpoint;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (any Hadoop path).")
    String out;

    @Option(names = "--pairs", paramLabel = "TABLE", description = "Pairs table: Parquet, or JSON lines (.jsonl).")
    String pairs;

    @Option(names = "--corpus", paramLabel = "DIR", description = "Clean corpus (prepare's corpus/) to mine pairs from.")
    String corpus;

    @Option(names = "--steps", paramLabel = "N", description = "Stage 1 steps (default: 100).")
    Integer steps;

    @Option(names = "--overwrite", paramLabel = "BOOL", description = "Replace an existing run at --out (default: false).")
    Boolean overwrite;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("embed_train.steps", steps, "embed_train.overwrite", overwrite));
        checkBackend();
        train(config, checkpoint, out, pairs, corpus, this::say);
        return 0;
    }

    static EmbedTraining.Settings settings(Config t) {
        return new EmbedTraining.Settings(t.getInt("steps"), t.getInt("stage2_steps"), t.getInt("batch_size"),
                t.getInt("hard_negatives"), t.getDouble("lr"), t.getDouble("min_lr"), t.getInt("warmup"),
                t.getDouble("weight_decay"), t.getDouble("temperature"), t.getBoolean("freeze_decoder"),
                t.getString("pooling"), t.getInt("max_length"), t.getString("task"), t.getLong("seed"),
                t.getInt("checkpoint_interval"), t.getInt("log_interval"), t.getDouble("clip_norm"));
    }

    /** Validates, reads or mines the pairs (Spark), then trains on the driver; the demo calls this too. */
    static EmbedTraining.Summary train(VerboConfig config, String checkpoint, String out, String pairs, String corpus,
                                       Consumer<String> say) throws Exception {
        if ((pairs == null) == (corpus == null)) {
            throw new IllegalArgumentException("give exactly one of --pairs=TABLE and --corpus=DIR");
        }
        Config t = config.at("embed_train");
        EmbedTraining.Settings s = settings(t);
        double heldFraction = t.getDouble("heldout_fraction");
        if (!(heldFraction >= 0 && heldFraction < 1)) {
            throw new IllegalArgumentException("embed_train.heldout_fraction must be in [0, 1), got " + heldFraction);
        }
        Configuration conf = HadoopFiles.preflightConf(config.sparkConf());
        HadoopFiles.requireExists("checkpoint", checkpoint, conf);
        HadoopFiles.requireExists(pairs != null ? "pairs" : "corpus", pairs != null ? pairs : corpus, conf);
        boolean resuming = HadoopFiles.exists(HadoopFiles.child(checkpoint, EmbedTraining.STATE_FILE), conf);
        if (!resuming && !HadoopFiles.exists(HadoopFiles.child(checkpoint, "config.json"), conf)) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + " is neither a decoder checkpoint (config.json) "
                    + "nor an embed-train checkpoint (" + EmbedTraining.STATE_FILE + ")");
        }
        if (!HadoopFiles.exists(HadoopFiles.child(checkpoint, "tokenizer.json"), conf)) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + " has no tokenizer.json (pretrain copies it into "
                    + "its checkpoints; add the one the decoder was trained with)");
        }
        boolean existing = HadoopFiles.exists(HadoopFiles.child(out, "checkpoints"), conf)
                || HadoopFiles.exists(HadoopFiles.child(out, "metrics.jsonl"), conf);
        if (existing && !resuming) {
            if (!t.getBoolean("overwrite")) {
                throw new IllegalArgumentException("output " + out + " already holds an embed-train run; resume it with "
                        + "--checkpoint=<out>/checkpoints/step-N, choose another --out, or replace it with --overwrite=true");
            }
            for (String f : List.of("checkpoints", "metrics.jsonl", "loss.png", "pairs.json", "heldout.jsonl", "eval.json")) {
                HadoopFiles.deleteQuietly(new org.apache.hadoop.fs.Path(HadoopFiles.child(out, f)), conf);
            }
        }

        TrainingPairs.Loaded loaded;
        try (SparkSession spark = SparkSessions.create(config, "embed-train")) {
            if (pairs != null) {
                String format = t.getString("pairs_format");
                if (format.equals("auto")) {
                    format = pairs.endsWith(".json") || pairs.endsWith(".jsonl") ? "json" : "parquet";
                }
                loaded = TrainingPairs.fromTable(spark, pairs, format);
            } else {
                loaded = TrainingPairs.mine(spark, corpus, t.getInt("mine.min_query_chars"), t.getInt("mine.min_positive_chars"));
            }
        }
        List<TextPair> all = TrainingPairs.cap(loaded.pairs(), t.getInt("max_pairs"), s.seed());
        List<List<TextPair>> split = TrainingPairs.split(all, heldFraction, s.seed());
        List<TextPair> train = TrainingPairs.withBm25Negatives(split.get(0), s.hardNegatives());
        List<TextPair> held = TrainingPairs.withBm25Negatives(split.get(1), s.hardNegatives());
        say.accept(String.format(Locale.ROOT, "pairs: %,d %s from %,d %s (%s), %,d kept, %,d for training, %,d held out",
                loaded.pairs().size(), pairs != null ? "read" : "mined", loaded.inputRows(), pairs != null ? "rows" : "documents",
                loaded.rejected().isEmpty() ? "none rejected" : "rejected " + loaded.rejected(), all.size(), train.size(), held.size()));

        ObjectNode report = JSON.createObjectNode();
        report.put("source", pairs != null ? pairs : corpus);
        report.put("mined", pairs == null);
        report.put("input_rows", loaded.inputRows());
        report.put("pairs", loaded.pairs().size());
        ObjectNode rj = report.putObject("rejected");
        loaded.rejected().forEach(rj::put);
        report.put("kept", all.size());
        report.put("train", train.size());
        report.put("heldout", held.size());
        report.put("heldout_fraction", heldFraction);
        report.put("seed", s.seed());
        report.set("provenance", Provenance.json(JSON));
        HadoopFiles.writeStringAtomically(HadoopFiles.child(out, "pairs.json"), JSON.writeValueAsString(report) + "\n", conf);
        StringBuilder jl = new StringBuilder();
        ObjectMapper line = new ObjectMapper();
        for (TextPair p : held) {
            ObjectNode n = line.createObjectNode();
            n.put("query", p.query());
            n.put("positive", p.positive());
            p.negatives().forEach(n.putArray("negatives")::add);
            n.put("source", p.source());
            jl.append(line.writeValueAsString(n)).append('\n');
        }
        HadoopFiles.writeStringAtomically(HadoopFiles.child(out, "heldout.jsonl"), jl.toString(), conf);

        Path local = HadoopFiles.localDir(checkpoint, conf);
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("base_checkpoint", checkpoint);
        provenance.put("pairs", pairs != null ? pairs : "mined from " + corpus);
        provenance.put("train_pairs", train.size());
        provenance.put("config", JSON.readTree(config.toJson("embed_train")));
        EmbedTraining.Summary summary = EmbedTraining.run(s, train, resuming ? null : local, resuming ? local : null,
                local.resolve("tokenizer.json"), out, provenance, conf, say);
        say.accept(String.format(Locale.ROOT, "loss %.4f → %.4f in %d steps (%.1f s); checkpoint %s", summary.firstLoss(),
                summary.finalLoss(), summary.steps(), summary.seconds(), summary.lastCheckpoint()));
        if (held.size() >= 2) {
            BpeEncoder enc = new BpeEncoder(BpeModel.fromHuggingFaceJson(Files.readString(local.resolve("tokenizer.json"))));
            ObjectNode eval = EmbedTraining.evaluate(summary.model(), enc, s.task(), held.subList(0, Math.min(held.size(), 1000)));
            HadoopFiles.writeStringAtomically(HadoopFiles.child(out, "eval.json"), JSON.writeValueAsString(eval) + "\n", conf);
            say.accept(String.format(Locale.ROOT, "held-out retrieval (%d pairs): embedder recall@1 %.3f recall@10 %.3f nDCG@10 %.3f; "
                            + "BM25 recall@1 %.3f recall@10 %.3f nDCG@10 %.3f", eval.path("pairs").asInt(),
                    eval.path("embedder").path("recall_at_1").asDouble(), eval.path("embedder").path("recall_at_10").asDouble(),
                    eval.path("embedder").path("ndcg_at_10").asDouble(), eval.path("bm25").path("recall_at_1").asDouble(),
                    eval.path("bm25").path("recall_at_10").asDouble(), eval.path("bm25").path("ndcg_at_10").asDouble()));
        }
        return summary;
    }
}
