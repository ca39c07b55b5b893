package org.verbo.jobs.cli;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline prepare → tokenizer → tokenize → pretrain → evaluate → generate through the command line with every
 * input and output on a real HDFS (an in-process MiniDFSCluster: NameNode and DataNode over RPC), and the same run on
 * the local file system: the shards and the checkpoint are the same bytes on both.
 */
class HdfsPipelineTest {

    @TempDir
    static java.nio.file.Path tmp;

    /** Two cores and few shuffle partitions: the corpus is tiny, and every stage costs time on a busy machine. */
    private static final String SPARK = "--master=local[2]";
    private static final String SHUFFLE = "--spark.shuffle_partitions=2";

    static MiniDFSCluster dfs;
    static String root;

    @BeforeAll
    static void startHdfs() throws IOException {
        Configuration conf = new Configuration();
        conf.setInt("dfs.replication", 1);
        dfs = new MiniDFSCluster.Builder(conf, tmp.resolve("dfs").toFile()).numDataNodes(1).build();
        dfs.waitActive();
        root = dfs.getFileSystem().getUri() + "/verbo";
    }

    @AfterAll
    static void stopHdfs() {
        if (dfs != null) {
            dfs.shutdown(true);
        }
    }

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Verbo.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    private static String ok(String... args) {
        long t0 = System.nanoTime();
        String[] r = run(args);
        System.err.printf("HdfsPipelineTest: %s %.1f s%n", args[0], (System.nanoTime() - t0) / 1e9);
        assertEquals("0", r[0], String.join(" ", args) + "\n" + r[1] + r[2]);
        return r[1];
    }

    /** Synthetic JSONL: distinct documents from a seeded word list. */
    private static String corpus() {
        String[] words = {"o", "gato", "subiu", "no", "telhado", "e", "cachorro", "ficou", "quintal", "a", "menina",
            "leu", "um", "livro", "sobre", "rios", "do", "brasil", "ontem", "chuva"};
        SplittableRandom r = new SplittableRandom(3);
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < 120; d++) {
            StringBuilder doc = new StringBuilder();
            for (int i = 0, n = 20 + r.nextInt(30); i < n; i++) {
                doc.append(i == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            sb.append("{\"text\": \"").append(doc).append(".\"}\n");
        }
        return sb.toString();
    }

    /** Runs the whole pipeline under {@code base} (any Hadoop path); returns evaluate's and generate's last lines. */
    private static List<String> pipeline(String base) {
        String in = base + "/in/docs.jsonl";
        String out = base + "/out";
        ok("prepare", "--input=" + in, "--format=jsonl", "--out=" + out, SPARK, SHUFFLE,
                "--prepare.quality.gopher_quality.enabled=false", "--prepare.quality.gopher_repetition.enabled=false",
                "--prepare.quality.c4.enabled=false", "--prepare.quality.fineweb.enabled=false");
        ok("tokenizer", "--out=" + out, "--vocab-size=300", SPARK, SHUFFLE);
        ok("tokenize", "--out=" + out, "--context-length=16", "--tokenize.val_fraction=0.2", "--tokenize.num_shards=2",
                SPARK, SHUFFLE);
        ok("pretrain", "--shards=" + out + "/shards", "--out=" + out + "/pretrain", "--preset=tiny", "--steps=2",
                "--pretrain.micro_batch=2", "--pretrain.warmup=1", "--pretrain.eval_interval=0",
                "--pretrain.log_interval=1");
        String ckpt = out + "/pretrain/checkpoints/step-2";
        String ev = last(ok("evaluate", "--checkpoint=" + ckpt, "--shards=" + out + "/shards"));
        String gen = last(ok("generate", "--checkpoint=" + ckpt, "--prompt=o gato", "--max-new-tokens=4",
                "--temperature=0"));
        return List.of(ev, gen);
    }

    private static String last(String output) {
        return output.strip().lines().reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void thePipelineRunsWithEveryPathOnHdfsAndWritesWhatALocalRunWrites() throws IOException {
        Configuration conf = new Configuration();
        String text = corpus();
        String local = tmp.resolve("local").toUri().toString();
        for (String base : List.of(root, local)) {
            Path in = new Path(base + "/in/docs.jsonl");
            try (OutputStream o = in.getFileSystem(conf).create(in)) {
                o.write(text.getBytes(StandardCharsets.UTF_8));
            }
        }
        // What dead runs left on HDFS (a lease last written an hour ago; no lease and untouched for an hour) and a
        // live run's temp directory (a fresh lease of a process on another host): the pipeline's sweeps delete the
        // first two and keep the third.
        FileSystem hdfs = dfs.getFileSystem();
        long hourAgo = System.currentTimeMillis() - 3_600_000;
        String lease = "{\"pid\": 1, \"host\": \"another-host.example\", \"process_started_ms\": 0}";
        Path deadPrepare = leftover(hdfs, root + "/out/_tmp_prepare_dead0001", "corpus/part-00000.parquet", lease, hourAgo);
        // (pretrain's: beside metrics.jsonl; one under checkpoints/ would make pretrain refuse to start, by design)
        Path deadPretrain = leftover(hdfs, root + "/out/pretrain/_tmp_metrics.jsonl_dead0002", "metrics.jsonl", null,
                hourAgo);
        Path live = leftover(hdfs, root + "/out/_tmp_tokenize_live0003", "train/.part-00000.bin.0-0-1-abcd", lease,
                System.currentTimeMillis());

        List<String> onHdfs = pipeline(root);
        List<String> onLocal = pipeline(local);
        assertFalse(hdfs.exists(deadPrepare), deadPrepare.toString());
        assertFalse(hdfs.exists(deadPretrain), deadPretrain.toString());
        assertTrue(hdfs.exists(new Path(live, "_lease")), live.toString());
        hdfs.delete(live, true);

        Matcher m = Pattern.compile("loss=([0-9.]+) perplexity=([0-9.]+) tokens=(\\d+)").matcher(onHdfs.get(0));
        assertTrue(m.matches(), onHdfs.get(0));
        assertTrue(Long.parseLong(m.group(3)) > 0, onHdfs.get(0));
        assertTrue(onHdfs.get(1).startsWith("o gato"), onHdfs.get(1));
        assertEquals(onLocal, onHdfs, "evaluate and generate print the same on both file systems");

        assertEquals("hdfs", hdfs.getScheme());
        List<String> files = files(hdfs, new Path(root + "/out"));
        for (String f : List.of("report.json", "tokenizer.json", "shards/manifest.json", "shards/train/part-00000.bin",
                "pretrain/metrics.jsonl", "pretrain/checkpoints/step-2/model.safetensors",
                "pretrain/checkpoints/step-2/tokenizer.json")) {
            assertTrue(files.contains(f), f + " in " + files);
        }
        assertTrue(files.stream().noneMatch(f -> f.contains("_tmp_")), files.toString());
        FileSystem lfs = new Path(local).getFileSystem(conf);
        for (String f : files) {
            if (f.startsWith("shards/") && f.endsWith(".bin") || f.equals("tokenizer.json")
                    || f.startsWith("pretrain/checkpoints/") && f.endsWith("model.safetensors")) {
                assertArrayEquals(bytes(lfs, new Path(local + "/out/" + f)), bytes(hdfs, new Path(root + "/out/" + f)), f);
            }
        }
    }

    /** A temp directory as a run left it: one torn file, optionally a lease, last modified at {@code mtime}. */
    private static Path leftover(FileSystem fs, String dir, String file, String lease, long mtime) throws IOException {
        Path d = new Path(dir);
        try (OutputStream o = fs.create(new Path(d, file))) {
            o.write(new byte[] {1, 2, 3});
        }
        if (lease != null) {
            try (OutputStream o = fs.create(new Path(d, "_lease"))) {
                o.write(lease.getBytes(StandardCharsets.UTF_8));
            }
            fs.setTimes(new Path(d, "_lease"), mtime, -1);
        }
        fs.setTimes(d, mtime, -1);
        return d;
    }

    private static List<String> files(FileSystem fs, Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        var it = fs.listFiles(dir, true);
        String prefix = fs.makeQualified(dir).toUri().getPath() + "/";
        while (it.hasNext()) {
            FileStatus f = it.next();
            out.add(f.getPath().toUri().getPath().substring(prefix.length()));
        }
        return out;
    }

    private static byte[] bytes(FileSystem fs, Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return in.readAllBytes();
        }
    }
}
