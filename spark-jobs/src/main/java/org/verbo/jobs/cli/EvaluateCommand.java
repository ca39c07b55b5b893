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

        @Option(names = "--input", paramLabel = "FILE", description = "UTF-8 text file; paragraphs are documents (each ends with </s>), encoded with the checkpoint's tokenizer.json; every token after the first is scored, a text shorter than one block too.")
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

    /**
     * Paragraphs → ids + {@code </s>}, one stream, cut by {@link #scoringBlocks} so that every token after the first is
     * scored once (tokenize's packing drops each block's first target and the tail shorter than a block; a text file
     * evaluated here has no reason to lose either).
     */
    static Iterator<int[]> blocksOfText(String text, Path checkpointDir, int blockLength) throws java.io.IOException {
        BpeModel tokenizer = tokenizerOf(checkpointDir);
        BpeEncoder enc = new BpeEncoder(tokenizer);
        int eos = tokenizer.idOf("</s>");
        List<Integer> stream = new ArrayList<>();
        for (String para : text.split("\\n\\s*\\n")) {
            if (!para.isBlank()) {
                for (int id : enc.encode(para.strip())) {
                    stream.add(id);
                }
                stream.add(eos);
            }
        }
        if (stream.isEmpty()) {
            throw new IllegalArgumentException("input has no text to evaluate");
        }
        return scoringBlocks(stream.stream().mapToInt(Integer::intValue).toArray(), blockLength).iterator();
    }

    /**
     * Cuts a token stream into blocks of {@code blockLength} (T + 1) tokens that score each of tokens 1..n-1 exactly
     * once: block k holds {@code stream[kT .. kT+T]}, so consecutive blocks share one token (the last target of one is
     * the first input of the next); the last block is padded with -1, which {@link org.verbo.models.Batch} masks out
     * of the loss. Equal lengths let every block go into one batch. A stream of n ≥ 2 tokens gives ⌈(n-1)/T⌉ blocks.
     */
    static List<int[]> scoringBlocks(int[] stream, int blockLength) {
        if (blockLength < 2) {
            throw new IllegalArgumentException("blockLength must be >= 2, got " + blockLength);
        }
        if (stream.length < 2) {
            throw new IllegalArgumentException("a text needs at least 2 tokens to score one, got " + stream.length);
        }
        int t = blockLength - 1;
        List<int[]> blocks = new ArrayList<>();
        for (int start = 0; start < stream.length - 1; start += t) {
            int[] b = new int[blockLength];
            java.util.Arrays.fill(b, -1);
            int n = Math.min(blockLength, stream.length - start);
            System.arraycopy(stream, start, b, 0, n);
            blocks.add(b);
        }
        return blocks;
    }
}
