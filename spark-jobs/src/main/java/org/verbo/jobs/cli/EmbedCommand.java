package org.verbo.jobs.cli;

import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.embed.EmbedJob;
import org.verbo.jobs.embed.EmbedSettings;
import org.verbo.jobs.embed.EmbedderCheckpoint;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.spark.SparkSessions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Embed a Parquet (or JSONL) table with an embedder from embed-train, on Spark, into a vector store:",
                "<out>/vectors/ (Parquet: id, embedding array<float>, passthrough columns), <out>/index/ (Lucene HNSW),",
                "<out>/manifest.json (model hash, dimension, count, similarity, HNSW parameters, recall@10),",
                "<out>/rejected/ and <out>/report.json. A rerun over an interrupted run resumes it."})
final class EmbedCommand extends JobCommand {

    @Option(names = "--input", required = true, paramLabel = "TABLE", description = "Parquet table (or .jsonl), any Hadoop path or glob.")
    String input;

    @Option(names = "--id-col", paramLabel = "NAME", description = "Id column (default: id).")
    String idCol;

    @Option(names = "--text-col", paramLabel = "NAME", description = "Text column (default: text).")
    String textCol;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "Embedding checkpoint (or an embed-train output: its latest checkpoints/step-N).")
    String checkpoint;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Store directory (any Hadoop path).")
    String out;

    @Option(names = "--passthrough", paramLabel = "COL,…", description = "Columns copied to vectors/ (default: none).")
    String passthrough;

    @Option(names = "--overwrite", paramLabel = "BOOL", description = "Replace an existing store at --out (default: false).")
    Boolean overwrite;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("embed.id_col", idCol, "embed.text_col", textCol, "embed.overwrite", overwrite));
        List<String> pass = passthrough == null ? null
                : Arrays.stream(passthrough.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
        run(config, input, checkpoint, out, pass, this::say);
        return 0;
    }

    /** Checks everything that needs no Spark, then runs the job (the demo calls this too). */
    static EmbedJob.Result run(VerboConfig config, String input, String checkpoint, String out, List<String> passthrough,
                               Consumer<String> say) throws Exception {
        EmbedSettings s = settings(config, input, checkpoint, out, passthrough);
        Configuration pre = HadoopFiles.preflightConf(config.sparkConf());
        EmbedderCheckpoint ckpt = EmbedderCheckpoint.resolve(checkpoint, pre);
        int maxLength = EmbedJob.preflight(s, ckpt, pre);
        try (SparkSession spark = SparkSessions.create(config, "embed")) {
            EmbedJob.Result r = EmbedJob.run(spark, s, ckpt, maxLength, say);
            say.accept("wrote the store " + out + " (vectors/, index/, manifest.json, " + s.rejectedDir() + "/, "
                    + s.reportFile() + ")");
            return r;
        }
    }

    static EmbedSettings settings(VerboConfig config, String input, String checkpoint, String out, List<String> passthrough) {
        Config e = config.at("embed");
        String format = e.getString("format");
        if (format.equals("auto")) {
            format = input.endsWith(".json") || input.endsWith(".jsonl") ? "json" : "parquet";
        }
        return new EmbedSettings(input, format, e.getString("id_col"), e.getString("text_col"),
                passthrough != null ? passthrough : e.getStringList("passthrough"), checkpoint, out, e.getInt("max_length"),
                e.getBoolean("chunk.enabled"), e.getInt("chunk.overlap"), e.getInt("batch_size"), e.getInt("partitions"),
                e.getString("encoding"), e.getString("similarity"), e.getInt("hnsw.m"), e.getInt("hnsw.beam_width"),
                e.getInt("hnsw.candidates"), e.getInt("stored_text_chars"), e.getInt("recall_sample"), e.getLong("seed"), e.getString("report_file"),
                e.getString("rejected_dir"), e.getBoolean("overwrite"), HadoopFiles.hadoopSettings(config.sparkConf()),
                e.getInt("test.fail_partition"));
    }
}
