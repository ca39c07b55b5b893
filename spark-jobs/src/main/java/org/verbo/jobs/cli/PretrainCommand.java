package org.verbo.jobs.cli;

import org.apache.hadoop.conf.Configuration;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.train.PretrainSettings;
import org.verbo.jobs.train.ShardBlocks;
import org.verbo.models.ModelConfig;
import org.verbo.models.train.Pretrain;
import org.verbo.models.train.PretrainSummary;
import org.verbo.models.train.TrainConfig;
import org.verbo.prep.bpe.BpeModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the Llama-style decoder on token shards, in this JVM (ND4J; the distributed trainer is separate).",
                "Writes <out>/checkpoints/step-N/ (model.safetensors, config.json, optimizer.safetensors,",
                "trainer_state.json, tokenizer.json), <out>/metrics.jsonl and <out>/loss.png."})
final class PretrainCommand extends ModelCommand {

    @Option(names = "--shards", required = true, paramLabel = "DIR", description = "Output of tokenize (holds manifest.json).")
    String shards;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (local).")
    String out;

    @Option(names = "--preset", paramLabel = "NAME", description = "Model size: tiny|bench-7m|small-25m|base-125m (default: tiny).")
    String preset;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default: 200).")
    Integer steps;

    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "Resume from a step-N checkpoint, or start from any Hugging Face Llama checkpoint's weights.")
    String checkpoint;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer.json copied into checkpoints (default: the one in the manifest).")
    String tokenizer;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("pretrain.preset", preset, "pretrain.steps", steps));
        checkBackend();
        train(config, shards, out, checkpoint, tokenizer, this::say);
        return 0;
    }

    /** Trains per {@code verbo.pretrain} on {@code shards}; the demo calls this too. */
    static PretrainSummary train(VerboConfig config, String shards, String out, String checkpoint, String tokenizer,
                                 Consumer<String> say) throws IOException {
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
        // The trainer writes checkpoints with java.nio (temp dir + atomic rename). A non-local --out is trained
        // into a local staging directory and copied there at the end; a non-local --checkpoint is fetched first.
        boolean localOut = HadoopFiles.isLocal(out);
        Path outDir = localOut ? HadoopFiles.localPath(out) : Files.createTempDirectory("verbo-pretrain-");
        Path start = checkpoint == null ? null : HadoopFiles.localDir(checkpoint, conf);
        String tok = tokenizer != null ? tokenizer : train.tokenizer();
        String tokJson = tok != null && HadoopFiles.exists(tok, conf) ? HadoopFiles.readString(tok, conf) : null;
        say.accept(String.format("pretrain: %s (%,d parameters), %,d train blocks and %,d val blocks of %d tokens, %s, %d steps",
                config.root().getString("pretrain.preset"), mc.parameterCount(), train.blocks(), val.blocks(),
                train.blockLength(), tc.optimizer().id(), tc.steps()));
        PretrainSummary summary = Pretrain.run(mc, tc, train, val.blocks() > 0 ? val : null, outDir, start, say,
                tokJson == null ? Map.of() : specialTokenIds(BpeModel.fromHuggingFaceJson(tokJson)));
        if (tokJson != null) {
            try (Stream<Path> dirs = Files.list(outDir.resolve("checkpoints"))) {
                for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
                    Path tmp = d.resolve(".tokenizer.json.tmp");
                    Files.writeString(tmp, tokJson);
                    Files.move(tmp, d.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
        if (!localOut) {
            HadoopFiles.putDir(outDir, out, conf);
        }
        say.accept(String.format("final train loss %.4f%s; outputs under %s", summary.finalLoss(),
                summary.finalValidation() == null ? "" : String.format(", validation loss %.4f (perplexity %.2f)",
                        summary.finalValidation().loss(), summary.finalValidation().perplexity()), out));
        return summary;
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
