package org.verbo.jobs.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;
import org.verbo.prep.bpe.BpeTrainer;
import org.verbo.prep.bpe.BpeTrainerConfig;
import org.verbo.prep.bpe.PreTokenizer;
import org.verbo.prep.pack.SequencePacker;
import org.verbo.prep.pack.ShardWriter;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** pretrain → evaluate → generate through the verbo command line, on shards written by data-prep's writer. */
class ModelCommandsTest {

    @TempDir
    Path tmp;

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Verbo.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void pretrainEvaluateGenerate() throws Exception {
        String text = "o gato subiu no telhado e o cachorro ficou no quintal. ";
        BpeModel tok = BpeTrainer.train(BpeTrainer.countWords(List.of(text.repeat(20)), PreTokenizer.gpt2()),
                BpeTrainerConfig.defaults().withVocabSize(300));
        Path tokFile = tmp.resolve("tokenizer.json");
        Files.writeString(tokFile, tok.toHuggingFaceJson());
        BpeEncoder enc = new BpeEncoder(tok);
        Path shards = tmp.resolve("shards");
        int trainBlocks = writeSplit(shards, "train", enc, tok, text, 40);
        int valBlocks = writeSplit(shards, "val", enc, tok, text, 4);
        Files.writeString(shards.resolve("manifest.json"), String.format("""
                {"format": "verbo-shards", "version": 1, "block_length": 17, "vocab_size": %d, "tokenizer": "%s",
                 "splits": {"train": {"blocks": %d, "shards": [{"file": "train/part-00000.bin", "blocks": %d}]},
                            "val": {"blocks": %d, "shards": [{"file": "val/part-00000.bin", "blocks": %d}]}}}
                """, tok.vocabSize(), tokFile, trainBlocks, trainBlocks, valBlocks, valBlocks));

        Path out = tmp.resolve("run");
        String[] pre = run("pretrain", "--shards=" + shards, "--out=" + out, "--steps=3", "--pretrain.micro_batch=2",
                "--pretrain.warmup=1", "--pretrain.eval_interval=0", "--pretrain.log_interval=1");
        assertEquals("0", pre[0], pre[2]);
        Path ckpt = out.resolve("checkpoints/step-3");
        for (String f : List.of("model.safetensors", "config.json", "optimizer.safetensors", "trainer_state.json", "tokenizer.json")) {
            assertTrue(Files.isRegularFile(ckpt.resolve(f)), f);
        }
        assertEquals(3, Files.readAllLines(out.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count());

        String[] ev = run("evaluate", "--checkpoint=" + ckpt, "--shards=" + shards);
        assertEquals("0", ev[0], ev[2]);
        String last = ev[1].strip().lines().reduce((a, b) -> b).orElseThrow();
        Matcher m = Pattern.compile("loss=([0-9.]+) perplexity=([0-9.]+) tokens=(\\d+)").matcher(last);
        assertTrue(m.matches(), last);
        assertEquals(valBlocks * 16L, Long.parseLong(m.group(3)));
        assertEquals(Math.exp(Double.parseDouble(m.group(1))), Double.parseDouble(m.group(2)), 1e-2 * Double.parseDouble(m.group(2)));

        String[] gen = run("generate", "--checkpoint=" + ckpt, "--prompt=o gato", "--max-new-tokens=5", "--temperature=0");
        assertEquals("0", gen[0], gen[2]);
        assertTrue(gen[1].startsWith("backend: cpu"), gen[1]);
        assertTrue(gen[1].strip().lines().reduce((a, b) -> b).orElseThrow().startsWith("o gato"), gen[1]);

        String[] missing = run("evaluate", "--checkpoint=" + tmp.resolve("nope"), "--shards=" + shards);
        assertEquals("2", missing[0]);
        assertTrue(missing[2].contains("checkpoint not found"), missing[2]);
    }

    private static int writeSplit(Path shards, String split, BpeEncoder enc, BpeModel tok, String text, int docs) throws Exception {
        Files.createDirectories(shards.resolve(split));
        List<int[]> blocks = new ArrayList<>();
        SequencePacker packer = new SequencePacker(17, tok.idOf("</s>"), blocks::add);
        for (int i = 0; i < docs; i++) {
            packer.addDocument(enc.encode(text));
        }
        try (OutputStream o = Files.newOutputStream(shards.resolve(split).resolve("part-00000.bin"));
             ShardWriter w = new ShardWriter(o, 17, tok.vocabSize())) {
            for (int[] b : blocks) {
                w.writeBlock(b);
            }
        }
        return blocks.size();
    }
}
