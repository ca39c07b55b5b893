package org.verbo.jobs.cli;

import com.typesafe.config.Config;
import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.tokenize.TokenizeJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Encode the clean corpus and pack it into token shards for training.",
                "Writes <out>/shards/{train,val}/part-*.bin and <out>/shards/manifest.json."})
final class TokenizeCommand extends JobCommand {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    String out;

    @Option(names = "--corpus", paramLabel = "DIR", description = "Clean corpus (default: <out>/corpus).")
    String corpus;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer.json (default: <out>/tokenizer.json).")
    String tokenizer;

    @Option(names = "--context-length", paramLabel = "N", description = "Training context length; blocks are N+1 tokens (default: 256).")
    Integer contextLength;

    @Option(names = "--overwrite", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "Replace existing shards (default: false).")
    Boolean overwrite;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("tokenize.context_length", contextLength, "tokenize.overwrite", overwrite));
        TokenizeJob.Settings s = settings(config,
                corpus != null ? corpus : HadoopFiles.child(out, "corpus"),
                tokenizer != null ? tokenizer : HadoopFiles.child(out, "tokenizer.json"), out);
        org.apache.hadoop.conf.Configuration pre = HadoopFiles.preflightConf(config.sparkConf());
        HadoopFiles.requireExists("corpus", s.corpus(), pre);
        HadoopFiles.requireExists("tokenizer", s.tokenizer(), pre);
        HadoopFiles.refuseExisting(java.util.List.of(HadoopFiles.child(out, "shards")), s.overwrite(), pre);
        try (SparkSession spark = session(config)) {
            TokenizeJob.run(spark, s, this::say);
            say("wrote " + HadoopFiles.child(out, "shards") + " (manifest.json inside)");
        }
        return 0;
    }

    static TokenizeJob.Settings settings(VerboConfig config, String corpus, String tokenizer, String out) {
        Config t = config.at("tokenize");
        return new TokenizeJob.Settings(corpus, tokenizer, out, t.getInt("context_length"), t.getDouble("val_fraction"),
                t.getLong("seed"), t.getString("encoder"), t.getString("eos_token"), t.getInt("num_shards"),
                t.getBoolean("overwrite"), t.getInt("test.fail_shard"), t.getInt("test.hang_shard"));
    }
}
