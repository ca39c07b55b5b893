package org.verbo.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.verbo.embeddings.bench.BenchArgs;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.embeddings.model.EmbeddingConfig;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.model.PoolingKind;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The in-process side of the Spark job overhead benchmark ({@code scripts/bench.sh embed}, SPARK=1): what
 * {@code verbo embed} does per row without Spark, to compare with the job on the same table and checkpoint.
 * <pre>
 * EmbedOverhead setup --corpus=DIR --tokenizer=FILE --out=DIR [--preset=bench-7m] [--texts=2048] [--len=40]
 *     real texts of about len tokens (uniform in [0.75 len, 1.25 len]) cut from a prepare corpus, as a Parquet table
 *     {@code out/table} (id, text), and a latent-attention embedder {@code out/embedder} of the preset's size
 *     (random, seeded) with the tokenizer
 * EmbedOverhead time --out=DIR --json=FILE [--batch=16] [--passes=3]
 *     reads the table (parquet-hadoop, no Spark), tokenises every text with a fresh tokenizer, sorts by length,
 *     encodes in batches: the steps of PartitionEmbedder before its Parquet and index writes; pass 1 is the cold
 *     JVM (as a job's executors are), later passes warm
 * </pre>
 */
public final class EmbedOverhead {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EmbedOverhead() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0 || !(args[0].equals("setup") || args[0].equals("time"))) {
            usage();
        }
        boolean setup = args[0].equals("setup");
        Map<String, String> o = BenchArgs.parse(Arrays.asList(args).subList(1, args.length),
                setup ? List.of("out", "corpus", "tokenizer") : List.of("out", "json")).orElse(null);
        if (o == null) {
            usage();
            return;
        }
        Path out = Path.of(o.get("out"));
        if (setup) {
            setup(o.get("corpus"), Path.of(o.get("tokenizer")), out, o.getOrDefault("preset", "bench-7m"),
                    Integer.parseInt(o.getOrDefault("texts", "2048")), Integer.parseInt(o.getOrDefault("len", "40")));
        } else {
            time(out, Path.of(o.get("json")), Integer.parseInt(o.getOrDefault("batch", "16")),
                    Integer.parseInt(o.getOrDefault("passes", "3")));
        }
    }

    private static void usage() {
        System.err.println("usage: EmbedOverhead setup --corpus=DIR --tokenizer=FILE --out=DIR [--preset=bench-7m] "
                + "[--texts=2048] [--len=40]\n       EmbedOverhead time --out=DIR --json=FILE [--batch=16] [--passes=3]");
        System.exit(2);
    }

    static void setup(String corpus, Path tokenizer, Path out, String preset, int n, int len) throws IOException {
        BpeEncoder enc = new BpeEncoder(BpeModel.fromHuggingFaceJson(Files.readString(tokenizer)));
        ModelConfig mc = ModelConfig.preset(preset);
        if (enc.model().vocabSize() > mc.vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + enc.model().vocabSize() + " tokens, preset " + preset
                    + " only " + mc.vocabSize());
        }
        // texts: consecutive words of the corpus, as many as make the drawn token length (seeded)
        List<String> words = new ArrayList<>();
        for (String d : RetrievalEval.readTexts(corpus)) {
            words.addAll(Arrays.asList(d.strip().split("\\s+")));
        }
        Random rng = new Random(7);
        int lo = (int) Math.round(0.75 * len);
        int hi = (int) Math.round(1.25 * len);
        List<Row> rows = new ArrayList<>(n);
        int w = 0;
        long tokens = 0;
        for (int i = 0; i < n; i++) {
            int target = lo + rng.nextInt(hi - lo + 1);
            StringBuilder text = new StringBuilder();
            int count = 0;
            while (count < target) {
                String next = words.get(w++ % words.size());
                String candidate = text.isEmpty() ? next : text + " " + next;
                int c = enc.encode(candidate).length;
                if (c > target && count > 0) {
                    break;
                }
                text.setLength(0);
                text.append(candidate);
                count = c;
            }
            tokens += count;
            rows.add(RowFactory.create(String.format(Locale.ROOT, "t%06d", i), text.toString()));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType, false).add("text", DataTypes.StringType, false);
        try (SparkSession spark = SparkSession.builder().master("local[1]").appName("embed-overhead-setup")
                .config("spark.ui.enabled", "false").getOrCreate()) {
            spark.createDataFrame(rows, schema).coalesce(1).write().mode("overwrite").parquet(out.resolve("table").toString());
        }
        LlamaModel decoder = LlamaModel.initialize(mc, 123);
        // larger weights than at init make attention and RoPE matter in the hidden states (as EmbedBench does)
        decoder.parameters().muli(5);
        EmbeddingModel model = EmbeddingModel.create(decoder,
                EmbeddingConfig.nvEmbed(mc).withPooling(PoolingKind.LATENT_ATTENTION), 11);
        EmbeddingCheckpoint.save(model, out.resolve("embedder"), Map.of("source", "EmbedOverhead setup", "preset", preset,
                "decoder_seed", 123, "pooling_seed", 11, "decoder_scale", 5), List.of(tokenizer));
        System.out.printf(Locale.ROOT, "wrote %s: %d texts, %.1f tokens each on average, embedder %s%n", out, n,
                tokens / (double) n, preset);
    }

    static void time(Path out, Path json, int batch, int passes) throws IOException {
        // the model's load (and the kernel warm-up it triggers) is timed too: each executor JVM of verbo embed pays
        // it inside the stage, so the cold figure compares like with like only with it
        long tLoad = System.nanoTime();
        EmbeddingModel model = EmbeddingCheckpoint.load(out.resolve("embedder"));
        double loadSeconds = (System.nanoTime() - tLoad) / 1e9;
        String tokenizerJson = Files.readString(out.resolve("embedder").resolve("tokenizer.json"));
        ObjectNode root = JSON.createObjectNode();
        root.put("batch", batch);
        root.put("load_seconds", loadSeconds);
        System.err.printf(Locale.ROOT, "in-process load: %.2f s%n", loadSeconds);
        ArrayNode secs = root.putArray("pass_seconds");
        long texts = 0;
        long tokens = 0;
        for (int p = 0; p < passes; p++) {
            long t0 = System.nanoTime();
            List<String> rows = readTable(out.resolve("table"));
            BpeEncoder enc = new BpeEncoder(BpeModel.fromHuggingFaceJson(tokenizerJson));
            List<int[]> ids = new ArrayList<>(rows.size());
            for (String r : rows) {
                ids.add(enc.encode(r));
            }
            model.encodeByLength(ids, batch);   // as a task of verbo embed (PartitionEmbedder)
            double sec = (System.nanoTime() - t0) / 1e9;
            secs.add(sec);
            texts = rows.size();
            tokens = ids.stream().mapToLong(a -> a.length).sum();
            System.err.printf(Locale.ROOT, "in-process pass %d: %.2f s, %.0f texts/s%n", p + 1, sec, texts / sec);
        }
        root.put("texts", texts);
        root.put("tokens", tokens);
        Files.createDirectories(json.toAbsolutePath().getParent());
        JSON.writeValue(json.toFile(), root);
    }

    /** The table's text column, in file order. */
    static List<String> readTable(Path dir) throws IOException {
        Configuration conf = new Configuration();
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(dir.toUri());
        FileSystem fs = p.getFileSystem(conf);
        List<String> out = new ArrayList<>();
        FileStatus[] files = fs.listStatus(p, f -> f.getName().endsWith(".parquet"));
        Arrays.sort(files);
        for (FileStatus f : files) {
            try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), f.getPath()).withConf(conf).build()) {
                for (Group g = r.read(); g != null; g = r.read()) {
                    out.add(g.getString("text", 0));
                }
            }
        }
        return out;
    }
}
