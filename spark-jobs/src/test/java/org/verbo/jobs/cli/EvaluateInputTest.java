package org.verbo.jobs.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.io.Checkpoints;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;
import org.verbo.prep.bpe.BpeTrainer;
import org.verbo.prep.bpe.BpeTrainerConfig;
import org.verbo.prep.bpe.PreTokenizer;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code evaluate --input} scores every token of the text after the first: its loss is the mean of the per-token
 * losses computed here from the model's logits on the unpadded sequence (log-sum-exp in double, no Batch, no
 * CrossEntropyLoss), for a text shorter than one block and for one spanning several.
 */
class EvaluateInputTest {

    private static final int CONTEXT = 16;

    @TempDir
    Path tmp;

    @Test
    void blocksOverlapByOneTokenAndTheLastIsPadded() {
        // T = 3: targets 2..8 are 7 tokens, ⌈7/3⌉ = 3 blocks; each block starts with the previous one's last token.
        List<int[]> b = EvaluateCommand.scoringBlocks(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 4);
        assertEquals(3, b.size());
        assertArrayEquals(new int[] {1, 2, 3, 4}, b.get(0));
        assertArrayEquals(new int[] {4, 5, 6, 7}, b.get(1));
        assertArrayEquals(new int[] {7, 8, -1, -1}, b.get(2));
        List<int[]> exact = EvaluateCommand.scoringBlocks(new int[] {1, 2, 3, 4, 5, 6, 7}, 4);
        assertEquals(2, exact.size(), "6 targets fill two blocks, no padding block");
        assertArrayEquals(new int[] {4, 5, 6, 7}, exact.get(1));
        assertArrayEquals(new int[] {5, 6, -1, -1}, EvaluateCommand.scoringBlocks(new int[] {5, 6}, 4).get(0));
    }

    @Test
    void lossIsTheMeanOverEveryTokenOfShortAndLongTexts() throws Exception {
        String sample = "o gato subiu no telhado e o cachorro ficou no quintal. ";
        BpeModel tok = BpeTrainer.train(BpeTrainer.countWords(List.of(sample.repeat(20)), PreTokenizer.gpt2()),
                BpeTrainerConfig.defaults().withVocabSize(300));
        Path ckpt = Files.createDirectories(tmp.resolve("ckpt"));
        Files.writeString(ckpt.resolve("tokenizer.json"), tok.toHuggingFaceJson());
        ModelConfig config = new ModelConfig(tok.vocabSize(), 32, 2, 4, 2, 64, CONTEXT, 10000.0, 1e-5, false);
        Checkpoints.saveModel(LlamaModel.initialize(config, 11), ckpt, Map.of());
        LlamaModel model = LlamaModel.load(ckpt);
        BpeEncoder enc = new BpeEncoder(tok);
        int eos = tok.idOf("</s>");

        String shortText = "o gato subiu";
        int[] shortStream = stream(enc, eos, shortText);
        assertTrue(shortStream.length < CONTEXT + 1, "shorter than one block: " + shortStream.length);
        check(model, ckpt, shortText, shortStream);

        String longText = "o gato subiu no telhado.\n\n  o cachorro ficou no quintal e o gato no telhado.\n\n"
                + "no quintal ficou o cachorro, no telhado o gato; o gato subiu, o cachorro ficou.\n";
        int[] longStream = stream(enc, eos, "o gato subiu no telhado.", "o cachorro ficou no quintal e o gato no telhado.",
                "no quintal ficou o cachorro, no telhado o gato; o gato subiu, o cachorro ficou.");
        assertTrue(longStream.length > 2 * (CONTEXT + 1) && (longStream.length - 1) % CONTEXT != 0,
                "spans blocks with a partial last one: " + longStream.length);
        check(model, ckpt, longText, longStream);
    }

    private void check(LlamaModel model, Path ckpt, String text, int[] stream) throws Exception {
        Path file = tmp.resolve("text-" + stream.length + ".txt");
        Files.writeString(file, text);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Verbo.execute(new String[] {"evaluate", "--checkpoint=" + ckpt, "--input=" + file},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        String last = out.toString().strip().lines().reduce((a, b) -> b).orElseThrow();
        Matcher m = Pattern.compile("loss=([0-9.]+) perplexity=([0-9.]+) tokens=(\\d+)").matcher(last);
        assertTrue(m.matches(), last);
        assertEquals(stream.length - 1, Long.parseLong(m.group(3)), "every token after the first is scored");
        assertEquals(independentMeanLoss(model, stream), Double.parseDouble(m.group(1)), 2e-5, last);
    }

    /** Windows of at most T inputs, unpadded; per-token loss = logsumexp(logits) - logit[target]. */
    private static double independentMeanLoss(LlamaModel model, int[] stream) {
        double sum = 0;
        int n = 0;
        for (int start = 0; start < stream.length - 1; start += CONTEXT) {
            int len = Math.min(CONTEXT, stream.length - 1 - start);
            int[] in = java.util.Arrays.copyOfRange(stream, start, start + len);
            INDArray logits = model.logits(in, 1, len);   // [len, V]
            for (int i = 0; i < len; i++) {
                double[] row = logits.getRow(i).toDoubleVector();
                double max = Double.NEGATIVE_INFINITY;
                for (double v : row) {
                    max = Math.max(max, v);
                }
                double z = 0;
                for (double v : row) {
                    z += Math.exp(v - max);
                }
                sum += max + Math.log(z) - row[stream[start + i + 1]];
                n++;
            }
        }
        assertEquals(stream.length - 1, n);
        return sum / n;
    }

    private static int[] stream(BpeEncoder enc, int eos, String... paragraphs) {
        List<Integer> ids = new ArrayList<>();
        for (String p : paragraphs) {
            for (int id : enc.encode(p)) {
                ids.add(id);
            }
            ids.add(eos);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
