package org.verbo.jobs.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.jobs.TestSpark;
import org.verbo.prep.bpe.BpeTrainerConfig;
import org.verbo.prep.pack.ShardReader;
import org.verbo.prep.pack.SplitAssigner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tokenizer + tokenize jobs on a real local Spark session, checked against Hugging Face tokenizers (DJL). */
class TokenizeJobTest {

    @TempDir
    static Path tmp;

    static Path corpus;
    static List<Row> docs = new ArrayList<>();

    @BeforeAll
    static void writeCorpus() {
        String[] words = {"ação", "coração", "pão", "você", "língua", "the", "model", "árvore", "dados", "Spark",
            "123", "é", "não", "over", "treino", "🙂", "tokens", "código", "x = y + 1;", "\tindent"};
        SplittableRandom r = new SplittableRandom(11);
        for (int d = 0; d < 300; d++) {
            StringBuilder sb = new StringBuilder();
            int n = 5 + r.nextInt(40);
            for (int i = 0; i < n; i++) {
                sb.append(i == 0 ? "" : r.nextInt(10) == 0 ? "\n" : " ").append(words[r.nextInt(words.length)]);
            }
            docs.add(RowFactory.create("doc-" + d, sb.toString(), "test", null));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType)
                .add("source", DataTypes.StringType)
                .add("metadata", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType));
        corpus = tmp.resolve("corpus");
        // One partition, so one shard per split and an exact expected token stream.
        TestSpark.session().createDataFrame(docs, schema).coalesce(1).write().parquet(corpus.toString());
    }

    @Test
    void shardsHoldTheHuggingFaceTokenStreamSplitByDocumentHash() throws IOException {
        SparkSession spark = TestSpark.session();
        Path out = tmp.resolve("run");
        BpeTrainerConfig bpe = BpeTrainerConfig.from(TestSpark.config("tokenizer.vocab_size", "300").at("tokenizer"));
        TokenizerJob.Result tr = TokenizerJob.run(spark, corpus.toString(), out.resolve("tokenizer.json").toString(), bpe,
                1_000_000, false, s -> { });
        assertEquals(300, tr.vocabSize());
        assertEquals(300, tr.documents());

        TokenizeJob.Settings s = new TokenizeJob.Settings(corpus.toString(), out.resolve("tokenizer.json").toString(),
                out.toString(), 16, 0.2, 42, "verbo", "</s>", 1, false);
        TokenizeJob.Result result = TokenizeJob.run(spark, s, line -> { });

        // Expected streams from Hugging Face tokenizers, independent of verbo's encoder.
        List<Integer> train = new ArrayList<>();
        List<Integer> val = new ArrayList<>();
        int eos;
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(out.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "false"))) {
            eos = (int) hf.encode("</s>", false, false).getIds()[0];
            // One shard: every document, in id order.
            List<Row> byId = new ArrayList<>(docs);
            byId.sort(java.util.Comparator.comparing((Row d) -> d.getString(0)));
            for (Row d : byId) {
                List<Integer> target = SplitAssigner.isValidation(d.getString(0), 0.2, 42) ? val : train;
                for (long id : hf.encode(d.getString(1), false, false).getIds()) {
                    target.add((int) id);
                }
                target.add(eos);
            }
        }
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("shards/manifest.json").toFile());
        assertEquals(17, manifest.get("block_length").asInt());
        assertEquals(300, manifest.get("vocab_size").asInt());
        assertEquals(tr.sha256(), manifest.get("tokenizer_sha256").asText());
        checkSplit(out.resolve("shards"), manifest, "train", train);
        checkSplit(out.resolve("shards"), manifest, "val", val);
        assertEquals(train.size() / 17, result.trainBlocks());
        assertTrue(result.valBlocks() > 0 && result.trainBlocks() > 2 * result.valBlocks());

        // The DJL encoding path writes byte-identical shards.
        Path outHf = tmp.resolve("run-hf");
        TokenizeJob.run(spark, new TokenizeJob.Settings(corpus.toString(), out.resolve("tokenizer.json").toString(),
                outHf.toString(), 16, 0.2, 42, "hf", "</s>", 1, false), line -> { });
        assertArrayEquals(Files.readAllBytes(out.resolve("shards/train/part-00000.bin")),
                Files.readAllBytes(outHf.resolve("shards/train/part-00000.bin")));

        // A rerun refuses to mix with existing shards.
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> TokenizeJob.run(spark, s, l -> { }));
        assertTrue(again.getMessage().contains("already exists"));
    }

    @Test
    void shardsDoNotDependOnHowTheCorpusIsPartitioned() throws IOException {
        SparkSession spark = TestSpark.session();
        Path tok = tmp.resolve("tok-p.json");
        TokenizerJob.run(spark, corpus.toString(), tok.toString(),
                BpeTrainerConfig.from(TestSpark.config("tokenizer.vocab_size", "280").at("tokenizer")), 1_000_000, false, s -> { });
        Path fiveFiles = tmp.resolve("corpus-5");
        spark.read().parquet(corpus.toString()).repartition(5).write().parquet(fiveFiles.toString());
        for (String c : List.of(corpus.toString(), fiveFiles.toString())) {
            TokenizeJob.run(spark, new TokenizeJob.Settings(c, tok.toString(), tmp.resolve("p-" + c.hashCode()).toString(),
                    8, 0.2, 42, "verbo", "</s>", 3, false), line -> { });
        }
        for (String split : List.of("train", "val")) {
            for (int part = 0; part < 3; part++) {
                String name = String.format("shards/%s/part-%05d.bin", split, part);
                assertArrayEquals(Files.readAllBytes(tmp.resolve("p-" + corpus.toString().hashCode()).resolve(name)),
                        Files.readAllBytes(tmp.resolve("p-" + fiveFiles.toString().hashCode()).resolve(name)), name);
            }
        }
    }

    @Test
    void aSplitWithoutABlockIsReportedAtTokenizeTime() throws IOException {
        SparkSession spark = TestSpark.session();
        Path tok = tmp.resolve("tok-small.json");
        TokenizerJob.run(spark, corpus.toString(), tok.toString(),
                BpeTrainerConfig.from(TestSpark.config("tokenizer.vocab_size", "280").at("tokenizer")), 1_000_000, false, s -> { });
        StructType schema = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType);

        // 12 documents none of which hashes into validation at 1%: the case (evaluate later found 0 blocks).
        List<Row> twelve = new ArrayList<>();
        for (Row d : docs) {
            if (twelve.size() < 12 && !SplitAssigner.isValidation(d.getString(0), 0.01, 42)) {
                twelve.add(RowFactory.create(d.getString(0), d.getString(1)));
            }
        }
        Path small = tmp.resolve("corpus-12");
        spark.createDataFrame(twelve, schema).coalesce(1).write().parquet(small.toString());
        Path out = tmp.resolve("small-run");
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> TokenizeJob.run(spark,
                new TokenizeJob.Settings(small.toString(), tok.toString(), out.toString(), 16, 0.01, 42, "verbo", "</s>", 1,
                        false), l -> { }));
        assertTrue(none.getMessage().startsWith("tokenize: the validation split got 0 of the 12 documents (0 tokens), "
                + "not one block of 17 tokens"), none.getMessage());
        assertTrue(none.getMessage().contains("--tokenize.val_fraction"), none.getMessage());
        assertTrue(Files.notExists(out.resolve("shards")), "nothing published");

        // One short validation document (a 2-word text: at most a few tokens + </s>) is fewer tokens than a block.
        Row shortVal = docs.stream().filter(d -> SplitAssigner.isValidation(d.getString(0), 0.01, 42)).findFirst().orElseThrow();
        List<Row> withShortVal = new ArrayList<>(twelve);
        withShortVal.add(RowFactory.create(shortVal.getString(0), "ação pão"));
        Path small2 = tmp.resolve("corpus-13");
        spark.createDataFrame(withShortVal, schema).coalesce(1).write().parquet(small2.toString());
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class, () -> TokenizeJob.run(spark,
                new TokenizeJob.Settings(small2.toString(), tok.toString(), out.toString(), 16, 0.01, 42, "verbo", "</s>", 1,
                        false), l -> { }));
        assertTrue(few.getMessage().startsWith("tokenize: the validation split got 1 of the 13 documents ("), few.getMessage());

        // Without a validation split asked for, the same corpus tokenizes.
        TokenizeJob.Result noVal = TokenizeJob.run(spark, new TokenizeJob.Settings(small.toString(), tok.toString(),
                out.toString(), 16, 0.0, 42, "verbo", "</s>", 1, false), l -> { });
        assertTrue(noVal.trainBlocks() > 0 && noVal.valBlocks() == 0, noVal.toString());
    }

    private static void checkSplit(Path shards, JsonNode manifest, String split, List<Integer> stream) throws IOException {
        JsonNode sp = manifest.get("splits").get(split);
        int blocks = stream.size() / 17;
        assertEquals(blocks, sp.get("blocks").asLong(), split);
        assertEquals(stream.size() - blocks * 17L, sp.get("dropped_tail_tokens").asLong(), split);
        List<Integer> read = new ArrayList<>();
        try (InputStream in = Files.newInputStream(shards.resolve(split).resolve("part-00000.bin"));
             ShardReader reader = new ShardReader(in)) {
            assertEquals(17, reader.blockLength());
            while (reader.hasNext()) {
                for (int t : reader.next()) {
                    read.add(t);
                }
            }
        }
        assertEquals(stream.subList(0, blocks * 17), read, split);
    }
}
