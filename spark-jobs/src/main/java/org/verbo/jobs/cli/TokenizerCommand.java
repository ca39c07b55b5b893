package org.verbo.jobs.cli;

import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.tokenize.TokenizerJob;
import org.verbo.prep.bpe.BpeTrainerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tokenizer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a byte-level BPE tokenizer on the clean corpus.",
                "Writes <out>/tokenizer.json (Hugging Face format; loads in HF tokenizers and DJL)."})
final class TokenizerCommand extends JobCommand {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    String out;

    @Option(names = "--corpus", paramLabel = "DIR", description = "Clean corpus (default: <out>/corpus).")
    String corpus;

    @Option(names = "--vocab-size", paramLabel = "N", description = "Vocabulary size incl. special tokens (default: 8192).")
    Integer vocabSize;

    @Option(names = "--overwrite", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "Replace an existing tokenizer.json (default: false).")
    Boolean overwrite;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("tokenizer.vocab_size", vocabSize, "tokenizer.overwrite", overwrite));
        String corpusPath = corpus != null ? corpus : HadoopFiles.child(out, "corpus");
        BpeTrainerConfig bpe = BpeTrainerConfig.from(config.at("tokenizer"));
        org.apache.hadoop.conf.Configuration pre = HadoopFiles.preflightConf(config.sparkConf());
        HadoopFiles.requireExists("corpus", corpusPath, pre);
        HadoopFiles.refuseExisting(java.util.List.of(HadoopFiles.child(out, "tokenizer.json")),
                config.root().getBoolean("tokenizer.overwrite"), pre);
        try (SparkSession spark = session(config)) {
            TokenizerJob.Result r = run(spark, config, corpusPath, out, bpe, this::say);
            say(String.format("tokenizer: vocab %,d (%,d merges) from %,d documents in %.1f s, sha256 %s",
                    r.vocabSize(), r.merges(), r.documents(), r.seconds(), r.sha256()));
            say("wrote " + HadoopFiles.child(out, "tokenizer.json"));
        }
        return 0;
    }

    static TokenizerJob.Result run(SparkSession spark, VerboConfig config, String corpus, String out, BpeTrainerConfig bpe,
                                   java.util.function.Consumer<String> progress) {
        return TokenizerJob.run(spark, corpus, HadoopFiles.child(out, "tokenizer.json"), bpe,
                config.root().getInt("tokenizer.max_words"), config.root().getBoolean("tokenizer.overwrite"), progress);
    }
}
