package org.verbo.jobs.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tokenize's shard commit: a task whose first attempt fails mid-write leaves the same shards as a clean run. */
class TokenizeRetryTest {

    @TempDir
    static Path tmp;

    static Path corpus;
    static Path tokenizer;

    @BeforeAll
    static void corpusAndTokenizer() {
        String[] words = {"ação", "pão", "você", "the", "model", "dados", "Spark", "123", "não", "treino", "🙂", "código"};
        SplittableRandom r = new SplittableRandom(5);
        List<Row> docs = new ArrayList<>();
        for (int d = 0; d < 240; d++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0, n = 5 + r.nextInt(30); i < n; i++) {
                sb.append(i == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            docs.add(RowFactory.create("doc-" + d, sb.toString()));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType);
        SparkSession spark = TestSpark.session();
        corpus = tmp.resolve("corpus");
        spark.createDataFrame(docs, schema).repartition(2).write().parquet(corpus.toString());
        tokenizer = tmp.resolve("tokenizer.json");
        TokenizerJob.run(spark, corpus.toString(), tokenizer.toString(),
                BpeTrainerConfig.from(TestSpark.config("tokenizer.vocab_size", "280").at("tokenizer")), 1_000_000, false, s -> { });
    }

    private static TokenizeJob.Settings settings(Path out, int failShard) {
        return new TokenizeJob.Settings(corpus.toString(), tokenizer.toString(), out.toString(), 8, 0.25, 42, "verbo",
                "</s>", 3, false, failShard, -1);
    }

    @Test
    void aRetriedTaskLeavesTheShardsOfACleanRun() throws Exception {
        SparkSession spark = TestSpark.session();
        Path clean = tmp.resolve("clean");
        TokenizeJob.run(spark, settings(clean, -1), l -> { });

        AtomicInteger injected = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() instanceof ExceptionFailure f && f.description().contains("verbo.tokenize.test.fail_shard")) {
                    injected.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(listener);
        Path retried = tmp.resolve("retried");
        try {
            TokenizeJob.run(spark, settings(retried, 1), l -> { });
            for (int i = 0; i < 100 && injected.get() == 0; i++) {
                Thread.sleep(100);   // the listener bus is asynchronous
            }
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        assertEquals(1, injected.get(), "shard 1's first attempt failed once and was retried");

        // Every file, hidden ones (checksums, leftovers) included, byte for byte; the manifest's counts alike.
        List<String> files = listing(clean.resolve("shards"));
        assertEquals(files, listing(retried.resolve("shards")));
        assertTrue(files.contains("train/part-00001.bin"), files.toString());
        assertFalse(files.stream().anyMatch(f -> f.matches(".*/\\.part-\\d+\\.bin\\..*") && !f.endsWith(".crc")), files.toString());
        for (String f : files) {
            if (!f.contains("manifest.json")) {
                assertArrayEquals(Files.readAllBytes(clean.resolve("shards").resolve(f)),
                        Files.readAllBytes(retried.resolve("shards").resolve(f)), f);
            }
        }
        ObjectMapper om = new ObjectMapper();
        JsonNode a = om.readTree(clean.resolve("shards/manifest.json").toFile());
        JsonNode b = om.readTree(retried.resolve("shards/manifest.json").toFile());
        assertEquals(a.get("splits"), b.get("splits"));
        assertTrue(a.get("splits").get("train").get("blocks").asLong() > 10);
        assertEquals(List.of(), leftovers(retried), "no temp directory left beside the shards");
    }

    @Test
    void theDriverCommitsTheCollectedAttemptAndDeletesEveryOtherAttemptsFile() throws IOException {
        Path dir = tmp.resolve("commit");
        Files.createDirectories(dir.resolve("train"));
        Files.createDirectories(dir.resolve("val"));
        Files.writeString(dir.resolve("train/.part-00000.bin.0-1-7-aaaa"), "winner");
        Files.writeString(dir.resolve("train/.part-00000.bin.0-0-3-bbbb"), "torn");     // a lost executor's attempt
        Files.writeString(dir.resolve("val/.part-00001.bin.0-0-4-cccc"), "speculative");
        List<TokenizeJob.ShardStats> stats = List.of(
                new TokenizeJob.ShardStats("train", "train/part-00000.bin", "train/.part-00000.bin.0-1-7-aaaa", 3, 40, 4, 0),
                new TokenizeJob.ShardStats("val", null, null, 1, 5, 0, 5));
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(dir.toUri());
        TokenizeJob.commitShards(p, stats, new Configuration());
        assertEquals(List.of("train/part-00000.bin"), listing(dir));
        assertEquals("winner", Files.readString(dir.resolve("train/part-00000.bin")));

        // The same shard reported twice is a bug, never two files.
        Files.writeString(dir.resolve("train/.part-00002.bin.x"), "a");
        Files.writeString(dir.resolve("train/.part-00002.bin.y"), "b");
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> TokenizeJob.commitShards(p, List.of(
                new TokenizeJob.ShardStats("train", "train/part-00002.bin", "train/.part-00002.bin.x", 1, 9, 1, 0),
                new TokenizeJob.ShardStats("train", "train/part-00002.bin", "train/.part-00002.bin.y", 1, 9, 1, 0)),
                new Configuration()));
        assertTrue(twice.getMessage().contains("reported twice"), twice.getMessage());
    }

    static List<String> listing(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    static List<String> leftovers(Path out) throws IOException {
        try (Stream<Path> s = Files.list(out)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("_tmp_")).sorted().toList();
        }
    }
}
