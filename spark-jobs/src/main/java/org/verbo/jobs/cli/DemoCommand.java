package org.verbo.jobs.cli;

import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.prepare.PrepareJob;
import org.verbo.jobs.prepare.PrepareReport;
import org.verbo.jobs.prepare.PrepareSettings;
import org.verbo.jobs.tokenize.TokenizeJob;
import org.verbo.jobs.tokenize.TokenizerJob;
import org.verbo.prep.bpe.BpeTrainerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the pipeline end to end on the bundled sample (scripts/demo.sh fetches it):",
                "prepare → tokenizer → tokenize, in one embedded Spark session. Replaces OUT's previous demo outputs."})
final class DemoCommand extends JobCommand {

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "Sample corpus (repeatable).")
    List<String> inputs;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "target/demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
    String out;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("prepare.overwrite", true, "tokenizer.overwrite", true, "tokenize.overwrite", true));
        PrepareSettings prepare = PrepareSettings.from(config, inputs, out);
        PrepareJob.preflight(prepare, HadoopFiles.preflightConf(config.sparkConf()));
        try (SparkSession spark = session(config)) {
            say("== prepare");
            PrepareReport report = PrepareCommand.run(spark, prepare, this::say);
            out().print(report.toTable());

            say("== tokenizer");
            String corpus = HadoopFiles.child(out, "corpus");
            TokenizerJob.Result tok = TokenizerCommand.run(spark, config, corpus, out,
                    BpeTrainerConfig.from(config.at("tokenizer")), this::say);
            say(String.format("vocab %,d (%,d merges) from %,d documents in %.1f s", tok.vocabSize(), tok.merges(),
                    tok.documents(), tok.seconds()));

            say("== tokenize");
            TokenizeJob.Settings ts = TokenizeCommand.settings(config, corpus, HadoopFiles.child(out, "tokenizer.json"), out);
            TokenizeJob.Result r = TokenizeJob.run(spark, ts, this::say);
            say(String.format("%,d train tokens, %,d validation tokens (%.1f s)", r.trainTokens(), r.valTokens(), r.seconds()));
            say("demo outputs under " + out + ": corpus/, rejected/, report.json, tokenizer.json, shards/");
        }
        return 0;
    }
}
