package org.verbo.jobs.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.verbo.embeddings.store.StoreConfig;
import org.verbo.embeddings.store.StoreManifest;
import org.verbo.embeddings.store.VectorIndexWriter;
import org.verbo.embeddings.store.VectorRow;
import org.verbo.embeddings.store.VectorStores;
import org.verbo.jobs.Provenance;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.models.io.Checkpoints;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import static org.apache.spark.sql.functions.col;

/**
 * {@code verbo embed}: a Parquet (or JSONL) table → a vector store directory.
 *
 * <p>The input is hashed by id into {@code embed.partitions} partitions and sorted by id within each, so a
 * partition's rows do not depend on the input files' layout or the cluster. Each partition is one task
 * ({@link PartitionEmbedder}) that commits its own files under {@code <out>/_work/}; a rerun after a crash skips
 * the partitions whose record {@code _parts/part-K.json} (and the files it names) exist, and redoes the rest, which
 * gives the bytes a fresh run gives. The driver then builds the store's one Lucene index from the partitions' vectors
 * and kept texts, in partition order ({@link #buildIndex}; locally, then copied), measures recall@10 on a sample
 * ({@link VectorStores#describe}), and publishes {@code vectors/},
 * {@code rejected/}, {@code index/} and {@code report.json} by renames, {@code manifest.json} last: a store is
 * complete exactly when it has a manifest.
 */
public final class EmbedJob {
    public static final String MANIFEST = "manifest.json";
    static final String WORK = "_work";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EmbedJob() {
    }

    /** What a run produced. */
    public record Result(long input, long embedded, long vectors, Map<String, Long> rejected, long truncated,
                         int partitionsSkipped, double seconds, StoreManifest manifest, String report) {
    }

    /** Checks that need no Spark: the checkpoint, the length limit, the output. Returns the effective max length. */
    public static int preflight(EmbedSettings s, EmbedderCheckpoint ckpt, Configuration conf) {
        HadoopFiles.requireExists("input", s.input(), conf);
        int maxLength = s.maxLength() == 0 ? ckpt.maxLength() : s.maxLength();
        if (maxLength > ckpt.maxLength()) {
            throw new IllegalArgumentException("embed.max_length " + maxLength + " exceeds the embedder's max_length "
                    + ckpt.maxLength());
        }
        if (s.chunk() && (s.chunkOverlap() < 0 || s.chunkOverlap() >= maxLength)) {
            throw new IllegalArgumentException("embed.chunk.overlap must be in 0.." + (maxLength - 1) + ", got "
                    + s.chunkOverlap());
        }
        if (ckpt.dimension() > StoreConfig.DEFAULT_MAX_DIMENSIONS) {
            throw new IllegalArgumentException("embedding dimension " + ckpt.dimension() + " is above the store's "
                    + StoreConfig.DEFAULT_MAX_DIMENSIONS);
        }
        PartitionEmbedder.storeConfig(s);   // bad similarity / encoding / HNSW values: one line
        String fp = s.fingerprint(ckpt, maxLength);
        String work = HadoopFiles.child(s.out(), WORK);
        List<String> outputs = outputs(s);
        boolean complete = outputs.stream().anyMatch(o -> HadoopFiles.exists(o, conf));
        if (s.overwrite()) {
            for (String o : outputs) {
                HadoopFiles.deleteQuietly(new Path(o), conf);
            }
            HadoopFiles.deleteQuietly(new Path(work), conf);
        } else if (complete) {
            throw new IllegalArgumentException("output already exists: " + String.join(", ",
                    outputs.stream().filter(o -> HadoopFiles.exists(o, conf)).toList())
                    + " (use --overwrite=true to replace it)");
        } else if (HadoopFiles.exists(HadoopFiles.child(work, "_settings"), conf)
                && !HadoopFiles.readString(HadoopFiles.child(work, "_settings"), conf).equals(fp)) {
            throw new IllegalArgumentException(work + " holds an unfinished embed run with other settings, input or "
                    + "checkpoint; rerun it with the same ones to resume, or use --overwrite=true to start over");
        }
        return maxLength;
    }

    private static List<String> outputs(EmbedSettings s) {
        return List.of(HadoopFiles.child(s.out(), MANIFEST), HadoopFiles.child(s.out(), "vectors"),
                HadoopFiles.child(s.out(), "index"), HadoopFiles.child(s.out(), s.rejectedDir()),
                HadoopFiles.child(s.out(), s.reportFile()));
    }

    /** Reads the input and checks its columns: a missing one fails with one line before any task runs. */
    static Dataset<Row> input(SparkSession spark, EmbedSettings s, List<String> passthroughTypes) {
        Dataset<Row> df = s.format().equals("json") ? spark.read().json(s.input()) : spark.read().parquet(s.input());
        StructType schema = df.schema();
        List<String> names = Arrays.asList(schema.fieldNames());
        List<String> needed = new ArrayList<>(List.of(s.idCol(), s.textCol()));
        needed.addAll(s.passthrough());
        for (String c : needed) {
            if (!names.contains(c)) {
                throw new IllegalArgumentException("input " + s.input() + " has no column '" + c + "' (columns: "
                        + String.join(", ", names) + ")");
            }
        }
        if (!schema.apply(s.textCol()).dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("text column '" + s.textCol() + "' is "
                    + schema.apply(s.textCol()).dataType().simpleString() + ", not string");
        }
        for (String p : s.passthrough()) {
            if (p.equals("id") || p.equals("embedding") || p.equals("chunk")) {
                throw new IllegalArgumentException("passthrough column '" + p + "' clashes with an output column");
            }
            DataType t = schema.apply(p).dataType();
            if (!VectorFiles.PASSTHROUGH_TYPES.contains(t)) {
                throw new IllegalArgumentException("passthrough column '" + p + "' has type " + t.simpleString()
                        + "; supported: string, int, bigint, float, double, boolean");
            }
            passthroughTypes.add(t.simpleString());
        }
        List<Column> cols = new ArrayList<>();
        cols.add(col(s.idCol()).cast(DataTypes.StringType).as("__id"));
        cols.add(col(s.textCol()).as("__text"));
        for (String p : s.passthrough()) {
            cols.add(col(p));
        }
        return df.select(cols.toArray(Column[]::new));
    }

    public static Result run(SparkSession spark, EmbedSettings s, EmbedderCheckpoint ckpt, int maxLength,
                             Consumer<String> say) throws IOException {
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<String> passthroughTypes = new ArrayList<>();
        Dataset<Row> rows = input(spark, s, passthroughTypes);
        String work = HadoopFiles.child(s.out(), WORK);
        HadoopFiles.writeStringAtomically(HadoopFiles.child(work, "_settings"), s.fingerprint(ckpt, maxLength), conf);
        Set<Integer> done = completePartitions(work, s.partitions(), PartitionEmbedder.storeConfig(s).storeText(), conf);
        say.accept(String.format(Locale.ROOT, "embed: %s → %s, %d partitions%s, max length %d%s, %s/%s",
                s.input(), s.out(), s.partitions(), done.isEmpty() ? "" : " (" + done.size() + " complete, skipped)",
                maxLength, s.chunk() ? " (overlapping chunks, overlap " + s.chunkOverlap() + ")" : " (longer texts cut)",
                s.similarity(), s.encoding()));

        final PartitionEmbedder.Spec spec = new PartitionEmbedder.Spec(s, ckpt, maxLength, passthroughTypes, work);
        final Set<Integer> skip = new HashSet<>(done);
        JavaRDD<Row> parts = rows.repartition(s.partitions(), col("__id"))
                .sortWithinPartitions(col("__id"), col("__text")).javaRDD();
        long tJob = System.nanoTime();
        List<String> fresh = parts.mapPartitionsWithIndex((k, it) -> skip.contains(k)
                ? java.util.Collections.<String>emptyIterator() : PartitionEmbedder.run(k, it, spec), false).collect();
        double jobSeconds = (System.nanoTime() - tJob) / 1e9;

        // every partition's record, fresh or from the interrupted run
        long input = 0, embedded = 0, vectors = 0, truncated = 0, tokens = 0;
        Map<String, Long> rejected = new TreeMap<>();
        Map<String, Double> taskSeconds = new java.util.LinkedHashMap<>();
        List<JsonNode> taskRecords = new ArrayList<>();
        java.nio.file.Path local = Files.createTempDirectory("verbo-embed-index-");
        try {
            for (int k = 0; k < s.partitions(); k++) {
                String part = PartitionEmbedder.partName(k);
                JsonNode st = JSON.readTree(HadoopFiles.readString(HadoopFiles.child(HadoopFiles.child(work, "_parts"),
                        part + ".json"), conf));
                input += st.path("input").asLong();
                embedded += st.path("embedded").asLong();
                vectors += st.path("vectors").asLong();
                truncated += st.path("truncated").asLong();
                tokens += st.path("tokens").asLong();
                if (!done.contains(k)) {   // this run's tasks only
                    taskRecords.add(st);
                    for (String f : List.of("load_seconds", "read_tokenize_seconds", "encode_seconds", "write_seconds",
                            "seconds")) {
                        taskSeconds.merge(f, st.path(f).asDouble(), Double::sum);
                    }
                }
                st.path("rejected").fields().forEachRemaining(e -> rejected.merge(e.getKey(), e.getValue().asLong(), Long::sum));
            }
            long rejectedTotal = rejected.values().stream().mapToLong(Long::longValue).sum();
            if (embedded + rejectedTotal != input) {
                throw new IllegalStateException("row accounting failed: " + input + " input rows, " + embedded
                        + " embedded, " + rejectedTotal + " rejected");
            }
            if (vectors == 0) {
                throw new IllegalArgumentException("no row of " + s.input() + " could be embedded (" + rejected
                        + "); nothing to index");
            }
            say.accept(String.format(Locale.ROOT, "embedded %,d of %,d rows (%,d vectors, %,d truncated, rejected %s) in %.1f s",
                    embedded, input, vectors, truncated, rejected.isEmpty() ? "none" : rejected, jobSeconds));

            // one index from the partitions' files, built locally, then copied
            StoreConfig store = PartitionEmbedder.storeConfig(s);
            java.nio.file.Path index = local.resolve("index");
            long tIndex = System.nanoTime();
            long indexed = buildIndex(work, s, store, ckpt.dimension(), index, conf);
            if (indexed != vectors) {
                throw new IllegalStateException("the index got " + indexed + " vectors, the partitions' records say " + vectors);
            }
            StoreManifest m = VectorStores.describe(index, store, ckpt.modelHash(), s.recallSample(), s.seed(),
                    s.searchCandidates());
            say.accept(String.format(Locale.ROOT, "index: %,d vectors of dimension %d, HNSW M=%d beam=%d, recall@10 %.4f on "
                            + "%d sampled queries (%d candidates), %.0f bytes/vector (%.0f searched), %.1f s", m.count(),
                    m.dimension(), m.maxConn(), m.beamWidth(), m.recallAt10(), m.recallQueries(), m.searchCandidates(),
                    m.indexBytesPerVector(),
                    m.searchBytesPerVector(), (System.nanoTime() - tIndex) / 1e9));
            HadoopFiles.putDir(index, HadoopFiles.child(work, "index"), conf);

            double seconds = (System.nanoTime() - t0) / 1e9;
            ObjectNode report = JSON.createObjectNode();
            report.put("input", s.input());
            report.put("checkpoint", ckpt.path());
            report.put("model_hash", ckpt.modelHash());
            report.put("input_rows", input);
            report.put("embedded_rows", embedded);
            report.put("vectors", vectors);
            report.put("rejected_rows", rejectedTotal);
            ObjectNode rj = report.putObject("rejected");
            rejected.forEach(rj::put);
            report.put("truncated", truncated);
            report.put("tokens", tokens);
            report.put("max_length", maxLength);
            report.put("chunked", s.chunk());
            report.put("partitions", s.partitions());
            report.put("partitions_skipped", done.size());
            report.put("seconds", seconds);
            report.put("rows_per_s", fresh.isEmpty() ? 0 : embedded / Math.max(1e-9, jobSeconds));
            report.put("embed_stage_seconds", jobSeconds);
            // summed over this run's tasks (they run in parallel): model load, read + tokenise, encode, Parquet + index
            ObjectNode ts = report.putObject("task_seconds");
            taskSeconds.forEach(ts::put);
            // and each task's record (counts, executor, where its time went), to see stragglers and cold starts
            report.putArray("tasks").addAll(taskRecords);
            report.put("recall_at_10", m.recallAt10());
            report.set("provenance", Provenance.json(JSON));
            String reportJson = JSON.writeValueAsString(report) + "\n";

            ObjectNode manifest = (ObjectNode) JSON.readTree(m.toJson());
            ObjectNode emb = manifest.putObject("embedder");
            emb.put("checkpoint", ckpt.path());
            emb.put("model_hash", ckpt.modelHash());
            emb.put("max_length", maxLength);
            emb.put("instruction_template", ckpt.template());
            emb.put("task", ckpt.task());
            manifest.put("vectors", "vectors");
            manifest.put("index", "index");
            manifest.put("id_col", s.idCol());
            manifest.put("text_col", s.textCol());
            manifest.put("chunked", s.chunk());
            manifest.put("input", s.input());
            manifest.put("input_rows", input);
            manifest.put("rejected_rows", rejectedTotal);
            manifest.set("provenance", Provenance.json(JSON));

            publish(s, work, reportJson, JSON.writeValueAsString(manifest) + "\n", conf);
            return new Result(input, embedded, vectors, rejected, truncated, done.size(), seconds, m, reportJson);
        } finally {
            Checkpoints.deleteTree(local);
        }
    }

    /**
     * The store's HNSW index, built in one pass over {@code vectors/} (and {@code _texts/}) in partition order, so its
     * bytes depend only on the rows. Why here and not one graph per task merged afterwards: Lucene's merge keeps only
     * the largest segment's graph and inserts every other vector again, so per-task graphs were mostly thrown away,
     * and each task paid a cold Lucene for them (docs/BENCHMARKS.md, the Spark job's overhead).
     *
     * @return the number of vectors indexed
     */
    static long buildIndex(String work, EmbedSettings s, StoreConfig store, int dimension, java.nio.file.Path index,
                           Configuration conf) throws IOException {
        boolean texts = store.storeText();
        try (VectorFiles.DirReader vectors = new VectorFiles.DirReader(HadoopFiles.child(work, "vectors"), conf);
             VectorFiles.DirReader kept = texts
                     ? new VectorFiles.DirReader(HadoopFiles.child(work, PartitionEmbedder.TEXTS), conf) : null;
             VectorIndexWriter w = VectorIndexWriter.create(index, store, dimension)) {
            for (Group g = vectors.read(); g != null; g = vectors.read()) {
                VectorRow r = VectorFiles.vectorRow(g, s.chunk());
                String text = null;
                if (kept != null) {
                    Group t = kept.read();
                    if (t == null || !t.getString("id", 0).equals(r.id())) {
                        throw new IllegalStateException("the kept texts (" + kept.current() + ") are not row for row "
                                + "with the vectors (" + vectors.current() + ") at id " + r.id());
                    }
                    text = t.getFieldRepetitionCount("text") > 0 ? t.getString("text", 0) : null;
                }
                w.add(r.id(), r.vector(), text);
            }
            if (kept != null && kept.read() != null) {
                throw new IllegalStateException("more kept texts than vectors in " + kept.current());
            }
            return w.count();
        }
    }

    /** Partitions whose record and files are all in place. */
    static Set<Integer> completePartitions(String work, int partitions, boolean keepsTexts, Configuration conf) {
        Set<Integer> done = new HashSet<>();
        for (int k = 0; k < partitions; k++) {
            String part = PartitionEmbedder.partName(k);
            if (HadoopFiles.exists(HadoopFiles.child(HadoopFiles.child(work, "_parts"), part + ".json"), conf)
                    && HadoopFiles.exists(HadoopFiles.child(HadoopFiles.child(work, "vectors"), part + ".parquet"), conf)
                    && HadoopFiles.exists(HadoopFiles.child(HadoopFiles.child(work, "rejected"), part + ".parquet"), conf)
                    && (!keepsTexts || HadoopFiles.exists(HadoopFiles.child(HadoopFiles.child(work,
                            PartitionEmbedder.TEXTS), part + ".parquet"), conf))) {
                done.add(k);
            }
        }
        return done;
    }

    /** Renames the finished parts into place, manifest.json last, and removes the work directory. */
    private static void publish(EmbedSettings s, String work, String report, String manifest, Configuration conf) {
        try {
            FileSystem fs = new Path(s.out()).getFileSystem(conf);
            deleteHidden(fs, new Path(work, "vectors"));
            deleteHidden(fs, new Path(work, "rejected"));
            HadoopFiles.publish(new Path(work, "vectors"), new Path(HadoopFiles.child(s.out(), "vectors")), false, conf);
            HadoopFiles.publish(new Path(work, "rejected"), new Path(HadoopFiles.child(s.out(), s.rejectedDir())), false, conf);
            HadoopFiles.publish(new Path(work, "index"), new Path(HadoopFiles.child(s.out(), "index")), false, conf);
            HadoopFiles.writeStringAtomically(HadoopFiles.child(s.out(), s.reportFile()), report, conf);
            HadoopFiles.writeStringAtomically(HadoopFiles.child(s.out(), MANIFEST), manifest, conf);
            fs.delete(new Path(work), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish the store at " + s.out() + ": " + e.getMessage(), e);
        }
    }

    /** Leftovers of failed attempts (hidden temp names) do not belong in the published table. */
    private static void deleteHidden(FileSystem fs, Path dir) throws IOException {
        if (!fs.exists(dir)) {
            return;
        }
        for (var st : fs.listStatus(dir)) {
            String n = st.getPath().getName();
            if (n.startsWith(".") && !n.endsWith(".crc") || n.startsWith("..")) {
                fs.delete(st.getPath(), false);
            }
        }
    }

    /** Spark type names of the struct's fields (for tests). */
    static List<String> typeNames(StructType t) {
        return Arrays.stream(t.fields()).map(StructField::dataType).map(DataType::simpleString).toList();
    }
}
