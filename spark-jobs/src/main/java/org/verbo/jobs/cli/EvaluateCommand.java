package org.verbo.jobs.cli;

import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.train.ShardBlocks;
import org.verbo.models.LlamaModel;
import org.verbo.models.train.EvalResult;
import org.verbo.models.train.Evaluator;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;
import org.verbo.prep.pack.SequencePacker;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Validation loss and perplexity of a checkpoint on token shards or on a text file.",
                "The last line is: loss=<float> perplexity=<float> tokens=<n>"})
final class EvaluateCommand extends ModelCommand {

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "Checkpoint directory (verbo's or a Hugging Face Llama one).")
    String checkpoint;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--shards", paramLabel = "DIR", description = "Output of tokenize; evaluates the split --evaluate.split (default: val).")
        String shards;

        @Option(names = "--input", paramLabel = "FILE", description = "UTF-8 text file; paragraphs are documents, encoded with the checkpoint's tokenizer.json.")
        String input;
    }

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named());
        checkBackend();
        Config e = config.at("evaluate");
        Configuration conf = HadoopFiles.preflightConf(config.sparkConf());
        HadoopFiles.requireExists("checkpoint", checkpoint, conf);
        Path dir = HadoopFiles.localDir(checkpoint, conf);
        LlamaModel model = LlamaModel.load(dir);
        Iterator<int[]> blocks;
        if (source.shards != null) {
            ShardBlocks sb = ShardBlocks.open(source.shards, e.getString("split"), conf);
            if (sb.blockLength() - 1 > model.config().contextLength()) {
                throw new IllegalArgumentException("shards have context " + (sb.blockLength() - 1)
                        + ", longer than the model's " + model.config().contextLength());
            }
            blocks = sb.get();
        } else {
            HadoopFiles.requireExists("input", source.input, conf);
            blocks = blocksOfText(HadoopFiles.readString(source.input, conf), dir, model.config().contextLength() + 1);
        }
        EvalResult r = Evaluator.evaluate(model, blocks, e.getInt("batch_size"), 0);
        say(String.format("loss=%.6f perplexity=%.4f tokens=%d", r.loss(), r.perplexity(), r.tokens()));
        return 0;
    }

    static BpeModel tokenizerOf(Path checkpointDir) throws java.io.IOException {
        Path tok = checkpointDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tok)) {
            throw new IllegalArgumentException("no tokenizer.json in " + checkpointDir);
        }
        return BpeModel.fromHuggingFaceJson(Files.readString(tok));
    }

    /** Paragraphs → ids + </s>, packed like tokenize does (the tail shorter than a block is not scored). */
    private static Iterator<int[]> blocksOfText(String text, Path checkpointDir, int blockLength) throws java.io.IOException {
        BpeModel tokenizer = tokenizerOf(checkpointDir);
        BpeEncoder enc = new BpeEncoder(tokenizer);
        List<int[]> blocks = new ArrayList<>();
        SequencePacker packer = new SequencePacker(blockLength, tokenizer.idOf("</s>"), blocks::add);
        for (String para : text.split("\\n\\s*\\n")) {
            if (!para.isBlank()) {
                packer.addDocument(enc.encode(para.strip()));
            }
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("input is shorter than one block of " + blockLength + " tokens");
        }
        return blocks.iterator();
    }
}
