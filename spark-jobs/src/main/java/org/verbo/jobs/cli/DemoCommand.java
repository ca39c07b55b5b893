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
import org.verbo.jobs.train.ShardBlocks;
import org.verbo.models.LlamaModel;
import org.verbo.models.SamplingConfig;
import org.verbo.models.train.Evaluator;
import org.verbo.models.train.PretrainSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the pipeline end to end on the bundled sample (scripts/demo.sh fetches it):",
                "prepare → tokenizer → tokenize in one embedded Spark session, then a short pretrain (tiny model),",
                "evaluate and generate, then embed-train on pairs mined from the corpus, embed the corpus into a vector",
                "store under OUT (vectors/, index/, manifest.json) and search it once. Replaces OUT's previous demo outputs."})
final class DemoCommand extends ModelCommand {

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "Sample corpus (repeatable).")
    List<String> inputs;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "target/demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
    String out;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("prepare.overwrite", true, "tokenizer.overwrite", true, "tokenize.overwrite", true));
        checkBackend();
        PrepareSettings prepare = PrepareSettings.from(config, inputs, out);
        PrepareJob.preflight(prepare, HadoopFiles.preflightConf(config.sparkConf()));
        String decoderCheckpoint;
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

            say("== pretrain");
            String pretrainOut = HadoopFiles.child(out, "pretrain");
            HadoopFiles.deleteQuietly(new org.apache.hadoop.fs.Path(pretrainOut), spark.sparkContext().hadoopConfiguration());
            VerboConfig trainConfig = config.with("pretrain.steps", config.root().getInt("demo.pretrain_steps"))
                    .with("pretrain.warmup", Math.max(1, config.root().getInt("demo.pretrain_steps") / 10))
                    .with("pretrain.eval_interval", 0);
            PretrainSummary summary = PretrainCommand.train(trainConfig, HadoopFiles.child(out, "shards"), pretrainOut,
                    null, HadoopFiles.child(out, "tokenizer.json"), this::say);

            say("== evaluate (validation shards)");
            Path ckpt = summary.lastCheckpoint();
            LlamaModel model = LlamaModel.load(ckpt);
            ShardBlocks val = ShardBlocks.open(HadoopFiles.child(out, "shards"), "val",
                    spark.sparkContext().hadoopConfiguration());
            if (val.blocks() > 0) {
                say(Evaluator.evaluate(model, val.get(), config.root().getInt("evaluate.batch_size"), 0).line());
            }

            say("== generate");
            say(GenerateCommand.continuation(ckpt, model, config.root().getString("demo.prompt"),
                    new SamplingConfig(32, 0.8, 50, 0.95, 42)));
            decoderCheckpoint = ckpt.toString();
        }
        // embed-train and embed start their own Spark sessions (each closes its own), so they run after the one above.
        say("== embed-train (pairs mined from the corpus)");
        String corpus = HadoopFiles.child(out, "corpus");
        String embedder = HadoopFiles.child(out, "embedder");
        VerboConfig et = config.with("embed_train.steps", config.root().getInt("demo.embed_train_steps"))
                .with("embed_train.overwrite", true);
        EmbedTrainCommand.train(et, decoderCheckpoint, embedder, null, corpus, this::say);

        say("== embed (corpus → vectors/, index/, manifest.json)");
        VerboConfig ec = config.with("embed.overwrite", true).with("embed.report_file", "embed_report.json")
                .with("embed.rejected_dir", "embed_rejected");
        EmbedCommand.run(ec, corpus, embedder, out, List.of("source"), this::say);

        String query = config.root().getString("demo.query");
        say("== search --store=" + out + " --query=\"" + query + "\" --k=5");
        for (String line : SearchCommand.search(config.with("search.k", 5), out, query, false, null)) {
            say(line);
        }
        say("demo outputs under " + out + ": corpus/, rejected/, report.json, tokenizer.json, shards/, pretrain/, embedder/, "
                + "vectors/, index/, manifest.json, embed_rejected/, embed_report.json");
        return 0;
    }
}
