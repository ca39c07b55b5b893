package org.verbo.jobs.cli;

import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.models.LlamaModel;
import org.verbo.models.SamplingConfig;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sample a continuation of a prompt from a checkpoint (temperature, top-k, top-p; KV cache).")
final class GenerateCommand extends ModelCommand {

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "Checkpoint directory with tokenizer.json.")
    String checkpoint;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "Prompt text.")
    String prompt;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens to generate (default: 64).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature; 0 = greedy (default: 0.8).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens; 0 = off (default: 50).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass; 1 = off (default: 0.95).")
    Double topP;

    @Option(names = "--seed", paramLabel = "N", description = "Sampling seed (default: 42).")
    Long seed;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("generate.max_new_tokens", maxNewTokens, "generate.temperature", temperature,
                "generate.top_k", topK, "generate.top_p", topP, "generate.seed", seed));
        checkBackend();
        Config g = config.at("generate");
        SamplingConfig sampling = new SamplingConfig(g.getInt("max_new_tokens"), g.getDouble("temperature"),
                g.getInt("top_k"), g.getDouble("top_p"), g.getLong("seed"));
        Configuration conf = HadoopFiles.preflightConf(config.sparkConf());
        HadoopFiles.requireExists("checkpoint", checkpoint, conf);
        Path dir = HadoopFiles.localDir(checkpoint, conf);
        say(continuation(dir, LlamaModel.load(dir), prompt, sampling));
        return 0;
    }

    /** The prompt followed by the sampled continuation, with the checkpoint's tokenizer.json (the demo uses it too). */
    static String continuation(Path checkpointDir, LlamaModel model, String prompt, SamplingConfig sampling)
            throws java.io.IOException {
        BpeModel tokenizer = EvaluateCommand.tokenizerOf(checkpointDir);
        BpeEncoder enc = new BpeEncoder(tokenizer);
        int[] ids = enc.encode(prompt);
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt encodes to no tokens");
        }
        int[] out = model.generate(ids, sampling, tokenizer.contains("</s>") ? tokenizer.idOf("</s>") : -1);
        return prompt + enc.decode(out, true);
    }
}
