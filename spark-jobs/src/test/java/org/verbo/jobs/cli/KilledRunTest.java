package org.verbo.jobs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.jobs.TestSpark;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.io.TempDirs;
import org.verbo.jobs.tokenize.TokenizerJob;
import org.verbo.prep.bpe.BpeTrainerConfig;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tokenize run killed part-way (SIGKILL to its JVM while a task writes its shard) leaves a {@code _tmp_tokenize_*}
 * directory; the next run deletes it, keeps a live run's temp directory, and writes the shards of a clean run.
 */
class KilledRunTest {

    @TempDir
    Path tmp;

    @Test
    void theNextRunCleansWhatAKilledRunLeftAndWritesTheShardsOfACleanRun() throws Exception {
        SparkSession spark = TestSpark.session();
        SplittableRandom r = new SplittableRandom(9);
        String[] words = {"rio", "mar", "serra", "vento", "sol", "chuva", "pedra", "areia", "barco", "ilha"};
        List<Row> docs = new ArrayList<>();
        for (int d = 0; d < 200; d++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0, n = 10 + r.nextInt(30); i < n; i++) {
                sb.append(i == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            docs.add(RowFactory.create("d" + d, sb.toString()));
        }
        Path corpus = tmp.resolve("corpus");
        spark.createDataFrame(docs, new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType))
                .repartition(2).write().parquet(corpus.toString());
        Path tokenizer = tmp.resolve("tokenizer.json");
        TokenizerJob.run(spark, corpus.toString(), tokenizer.toString(),
                BpeTrainerConfig.from(TestSpark.config("tokenizer.vocab_size", "270").at("tokenizer")), 1_000_000, false, s -> { });
        List<String> common = List.of("tokenize", "--corpus=" + corpus, "--tokenizer=" + tokenizer, "--context-length=8",
                "--tokenize.num_shards=2", "--master=local[2]");

        Path clean = tmp.resolve("clean");
        run(common, "--out=" + clean);

        // A live run's temp directory (this JVM's, its lease refreshed) beside the run that gets killed.
        Path killed = tmp.resolve("killed");
        Configuration conf = new Configuration();
        org.apache.hadoop.fs.Path live = TempDirs.create(new org.apache.hadoop.fs.Path(killed.toUri()), "tokenize", conf);
        try {
            Path log = tmp.resolve("child.log");
            Process child = childJvm(common, "--out=" + killed, "--tokenize.test.hang_shard=0").redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            Path dead = null;
            try {
                for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(240); dead == null && System.nanoTime() < end; ) {
                    assertTrue(child.isAlive(), () -> "the child ended early:\n" + read(log));
                    dead = tempWithAttemptFile(killed, live.getName());
                    Thread.sleep(200);
                }
                assertTrue(dead != null, () -> "the child never wrote shard 0:\n" + read(log));
            } finally {
                child.destroyForcibly();   // SIGKILL: no finally block, no shutdown hook of the child runs
                child.waitFor(60, TimeUnit.SECONDS);
            }
            assertTrue(Files.isDirectory(dead), "the killed run left " + dead);
            assertFalse(Files.exists(killed.resolve("shards")));

            run(common, "--out=" + killed);
            assertFalse(Files.exists(dead), "the rerun deleted the killed run's " + dead);
            assertTrue(Files.isDirectory(Path.of(live.toUri())), "the rerun kept the live run's " + live);
            assertTrue(Files.exists(Path.of(live.toUri()).resolve(TempDirs.LEASE)));
        } finally {
            HadoopFiles.deleteQuietly(live, conf);
        }
        try (Stream<Path> s = Files.list(killed)) {
            assertEquals(List.of("shards"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }

        List<String> files = listing(clean.resolve("shards"));
        assertEquals(files, listing(killed.resolve("shards")));
        assertTrue(files.contains("train/part-00000.bin"), files.toString());
        for (String f : files) {
            if (!f.contains("manifest.json")) {   // its provenance (time) differs; its counts are compared below
                assertArrayEquals(Files.readAllBytes(clean.resolve("shards").resolve(f)),
                        Files.readAllBytes(killed.resolve("shards").resolve(f)), f);
            }
        }
        ObjectMapper om = new ObjectMapper();
        assertEquals(om.readTree(clean.resolve("shards/manifest.json").toFile()).get("splits"),
                om.readTree(killed.resolve("shards/manifest.json").toFile()).get("splits"));
    }

    private static void run(List<String> common, String... more) {
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of(more));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Verbo.execute(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, out + "\n" + err);
    }

    /** {@code verbo} in a new JVM with this JVM's module flags and class path. */
    private static ProcessBuilder childJvm(List<String> common, String... more) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-Djdk.") || a.startsWith("-Dio.netty.")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Verbo.class.getName());
        cmd.addAll(common);
        cmd.addAll(List.of(more));
        return new ProcessBuilder(cmd);
    }

    /** The {@code _tmp_tokenize_*} directory (other than {@code except}) that holds shard 0's attempt file, or null. */
    private static Path tempWithAttemptFile(Path out, String except) throws IOException {
        if (!Files.isDirectory(out)) {
            return null;
        }
        try (Stream<Path> s = Files.list(out)) {
            for (Path d : s.filter(p -> p.getFileName().toString().startsWith("_tmp_tokenize_")
                    && !p.getFileName().toString().equals(except)).toList()) {
                for (String split : List.of("train", "val")) {
                    if (Files.isDirectory(d.resolve(split))) {
                        try (Stream<Path> f = Files.list(d.resolve(split))) {
                            if (f.anyMatch(p -> p.getFileName().toString().startsWith(".part-00000.bin."))) {
                                return d;
                            }
                        }
                    }
                }
            }
        }
        return null;
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    static List<String> listing(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }
}
