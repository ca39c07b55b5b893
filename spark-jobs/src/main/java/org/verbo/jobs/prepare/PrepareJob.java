package org.verbo.jobs.prepare;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.verbo.jobs.io.HadoopConf;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.prep.io.InputFormat;
import org.verbo.prep.io.Lookahead;
import org.verbo.prep.io.ReaderOptions;
import org.verbo.prep.quality.QualityConfig;
import org.verbo.prep.quality.QualityFilters;
import org.verbo.prep.quality.Verdict;
import org.verbo.prep.text.TextNormalizer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sha2;

/**
 * {@code verbo prepare}: read → decode → normalise → quality filters → exact dedup → near dedup, writing
 * {@code <out>/corpus/} (id, text, source, metadata), {@code <out>/rejected/} (id, stage, reason, detail,
 * source) and {@code <out>/report.json}. Every input record ends in exactly one of the two tables.
 */
public final class PrepareJob {

    private PrepareJob() {
    }

    /** Checks inputs and outputs before Spark starts: a wrong path fails in a second, with one line. */
    public static List<InputFile> preflight(PrepareSettings s, Configuration conf) {
        if (s.nearDedup()) {
            org.verbo.prep.dedup.MinHasher.requireValidDeviceSetting();
        }
        HadoopFiles.refuseExisting(outputs(s), s.overwrite(), conf);
        List<InputFile> files = listInputs(s, conf);
        InputOptions.requireApplicable(s, files);
        return files;
    }

    private static List<String> outputs(PrepareSettings s) {
        return List.of(HadoopFiles.child(s.out(), "corpus"), HadoopFiles.child(s.out(), "rejected"),
                HadoopFiles.child(s.out(), "report.json"));
    }

    /**
     * Spark's columnar cache compression, off for the run unless the user set it: prepare's cache is nearly all text,
     * which no scheme compresses (unique documents), yet with compression on the cache builder still puts every text
     * into a dictionary candidate (a copy and a hash per document) and copies each batch once more when it settles on
     * no compression. Off, the read stage of a 1 GB text run used 11 % less task CPU and the whole job's tasks 7 % less
     * (docs/BENCHMARKS.md); the few small columns it would have compressed add about 2 % to the cache.
     */
    static final String CACHE_COMPRESSED = "spark.sql.inMemoryColumnarStorage.compressed";

    public static PrepareReport run(SparkSession spark, PrepareSettings s, Consumer<String> sink) {
        org.apache.spark.sql.RuntimeConfig sql = spark.conf();
        boolean userSet = sql.contains(CACHE_COMPRESSED);
        if (!userSet) {
            sql.set(CACHE_COMPRESSED, "false");
        }
        try {
            return runJob(spark, s, sink);
        } finally {
            if (!userSet) {
                sql.unset(CACHE_COMPRESSED); // the session is the caller's: leave it as it was
            }
        }
    }

    private static PrepareReport runJob(SparkSession spark, PrepareSettings s, Consumer<String> sink) {
        long t0 = System.nanoTime();
        // Every progress line carries the job's elapsed time, so a slow stage shows in the log.
        Consumer<String> progress = line -> sink.accept(String.format("[%6.1f s] %s", secondsSince(t0), line));
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String corpusOut = HadoopFiles.child(s.out(), "corpus");
        String rejectedOut = HadoopFiles.child(s.out(), "rejected");
        String reportOut = HadoopFiles.child(s.out(), "report.json");
        List<InputFile> files = preflight(s, conf);
        long inputBytes = files.stream().mapToLong(InputFile::length).sum();
        Map<InputFormat, Integer> perFormat = new LinkedHashMap<>();
        files.forEach(f -> perFormat.merge(f.format(), 1, Integer::sum));
        progress.accept(String.format("prepare: %,d files (%s), %.1f MB", files.size(), perFormat, inputBytes / 1e6));

        // Every later stage decides on a few columns (keys, ids, hashes, signatures) and its decisions are applied to
        // these rows where they sit: the text is read and parsed once and never shuffled (OrderedRows).
        OrderedRows cleaned = OrderedRows.of(readAndClean(spark, files, s, conf));
        long records = cleaned.count();
        progress.accept(String.format("read + normalise + quality: %,d records (%,.0f records/s)", records,
                records / secondsSince(t0)));

        List<Dataset<Row>> cached = new ArrayList<>(); // released at the end of the job
        Dataset<Row> decisions = spark.createDataFrame(List.of(), DECISIONS);
        Dataset<Row> later = null;
        if (!s.idCol().isEmpty()) {
            later = persisted(DuplicateIds.laterOccurrences(cleaned.rows), cached);
            decisions = decisions.unionByName(later);
        }
        if (s.exactDedup()) {
            // First occurrence (smallest doc_key) of each normalised text is kept; only (key, id, hash) is shuffled.
            Dataset<Row> hashed = cleaned.rows.where(col("reason").isNull())
                    .select(col("doc_key"), col("id"), sha2(col("text"), 256).as("text_hash"));
            if (later != null) {
                hashed = hashed.join(later.select("doc_key"), "doc_key", "left_anti");
            }
            Dataset<Row> dups = persisted(FirstOccurrence.later(hashed, "id", col("text_hash"))
                    .select(col("doc_key"), lit(DocRows.STAGE_EXACT).as("stage"), lit("exact_dup").as("reason"),
                            concat(lit("duplicate of "), col("first_id")).as("detail")), cached);
            decisions = decisions.unionByName(dups);
        }
        NearDuplicates.Result near = null;
        if (s.nearDedup()) {
            // The documents left after the id and exact stages, in place (no text shuffle).
            final Dataset<Row> decided = persisted(decisions, cached);
            near = NearDuplicates.find(spark, cleaned.documentsLeft(decided), s.minHash(), s.minHashBatch(), s.ccMaxRounds(),
                    s.ccLocalEdges(), progress);
            Dataset<Row> reps = cleaned.rows.where(col("reason").isNull())
                    .select(col("doc_key").as("rep_key"), col("id").as("rep_id"));
            decisions = decided.unionByName(near.duplicates().join(reps, "rep_key")
                    .select(col("doc_key"), lit(DocRows.STAGE_NEAR).as("stage"), lit("near_dup").as("reason"),
                            concat(lit("near duplicate of "), col("rep_id")).as("detail")));
        }

        org.apache.hadoop.fs.Path tmp = HadoopFiles.tempDirBeside(s.out(), "prepare", conf);
        try {
            // In doc_key order already (OrderedRows): no sort; both writes reuse the one shuffle of the decisions.
            int cores = JavaSparkContext.fromSparkContext(spark.sparkContext()).defaultParallelism();
            org.apache.spark.api.java.JavaPairRDD<Long, String[]> routed = cleaned.route(decisions);
            // No Parquet dictionary for the text and the ids: kept texts are unique (deduplicated) and so are ids, so
            // the writer would hash every value into a dictionary for each column chunk only to abandon it.
            cleaned.appliedForWriting(routed, true, WRITE_BYTES_PER_FILE, cores)
                    .where(col("reason").isNull()).select("id", "text", "source", "metadata")
                    .write().option("parquet.enable.dictionary#text", "false").option("parquet.enable.dictionary#id", "false")
                    .parquet(new Path(tmp, "corpus").toString());
            progress.accept("wrote corpus");
            // The rejections read no text from the cache: 6 of a 1 GB run's 24 s of writing went to texts dropped here.
            cleaned.appliedForWriting(routed, false, WRITE_BYTES_PER_FILE, cores)
                    .where(col("reason").isNotNull()).select("id", "stage", "reason", "detail", "source")
                    .write().option("parquet.enable.dictionary#id", "false").parquet(new Path(tmp, "rejected").toString());
            progress.accept("wrote rejected");
            HadoopFiles.publish(new Path(tmp, "corpus"), new Path(corpusOut), s.overwrite(), conf);
            HadoopFiles.publish(new Path(tmp, "rejected"), new Path(rejectedOut), s.overwrite(), conf);
        } finally {
            HadoopFiles.deleteQuietly(tmp, conf);
        }

        // Counts come from what was written, so the report can never disagree with the outputs.
        long keptCount = spark.read().parquet(corpusOut).count();
        List<PrepareReport.ReasonCount> reasons = new ArrayList<>();
        for (Row r : spark.read().parquet(rejectedOut).groupBy("stage", "reason").count().collectAsList()) {
            reasons.add(new PrepareReport.ReasonCount(r.getString(0), r.getString(1), r.getLong(2)));
        }
        long fallback = cleaned.fallbackDecoded();
        PrepareReport.Ids ids = s.idCol().isEmpty() ? null : new PrepareReport.Ids(s.idCol(),
                s.generateMissingIds() ? "generate" : "reject", cleaned.idGenerated());
        cleaned.release();
        cached.forEach(d -> d.unpersist(false));
        double seconds = secondsSince(t0);
        PrepareReport report = new PrepareReport(s.inputs(), files.size(), inputBytes, records, keptCount, fallback,
                reasons, near == null ? -1 : near.candidateEdges(), near == null ? -1 : near.verifiedEdges(),
                ids, seconds, s.configJson());
        HadoopFiles.writeStringAtomically(reportOut, report.toJson(), conf);
        return report;
    }

    static List<InputFile> listInputs(PrepareSettings s, Configuration conf) {
        List<InputFile> files = new ArrayList<>();
        for (int k = 0; k < s.inputs().size(); k++) {
            String input = s.inputs().get(k);
            String base = baseOf(input, conf);
            for (FileStatus f : HadoopFiles.expandInputs(List.of(input), conf)) {
                String p = f.getPath().toUri().getPath();
                String rel = p.startsWith(base + "/") ? p.substring(base.length() + 1) : f.getPath().getName();
                String prefix = s.inputs().size() > 1 ? (k + 1) + ":" + rel : rel;
                InputFormat format = s.format() != null ? s.format() : InputFormat.fromFileName(f.getPath().getName());
                files.add(new InputFile(files.size(), f.getPath().toString(), format, prefix, f.getLen()));
            }
        }
        return files;
    }

    /** The directory ids are made relative to: the input itself when it is a directory, else its parent. */
    private static String baseOf(String input, Configuration conf) {
        Path p = new Path(input);
        try {
            org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(conf);
            p = fs.makeQualified(p); // a relative input must give the same ids as its absolute spelling
            boolean dir = !isGlob(input) && fs.getFileStatus(p).isDirectory();
            Path base = dir ? p : p.getParent();
            while (base != null && isGlob(base.toString())) {
                base = base.getParent();
            }
            return base == null ? "" : base.toUri().getPath();
        } catch (java.io.IOException e) {
            return p.getParent() == null ? "" : p.getParent().toUri().getPath();
        }
    }

    private static boolean isGlob(String s) {
        return s.contains("*") || s.contains("?") || s.contains("[") || s.contains("{");
    }

    /** Reads every input and runs {@link #clean} over its rows, in input order. */
    private static Dataset<Row> readAndClean(SparkSession spark, List<InputFile> files, PrepareSettings s, Configuration conf) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // Broadcast: a QualityConfig deserialised per task re-checks its stop-word lists on the classpath.
        final Broadcast<QualityConfig> quality = jsc.broadcast(s.quality());
        List<InputFile> textLike = files.stream().filter(f -> f.format() != InputFormat.PARQUET).toList();
        List<InputFile> parquet = files.stream().filter(f -> f.format() == InputFormat.PARQUET).toList();
        Dataset<Row> out = spark.createDataFrame(List.of(), DocRows.SCHEMA);
        if (!textLike.isEmpty()) {
            List<List<InputFile>> tasks = readTasks(textLike, s.taskBytes(), s.filesPerTask(), 4 * jsc.defaultParallelism());
            // Broadcast, not captured: a captured Configuration (hundreds of keys) was deserialised again by
            // every task, a third of the read stage's CPU on small HTML files.
            final Broadcast<HadoopConf> hc = jsc.broadcast(new HadoopConf(conf));
            final ReaderOptions options = s.reader();
            final String idCol = s.idCol();
            final boolean generateIds = s.generateMissingIds();
            JavaRDD<Row> rows = jsc.parallelize(tasks, tasks.size())
                    .flatMap(task -> records(task, options, idCol, generateIds, hc.value().get()))
                    // DocumentReader hands out normalised text (its contract), and normalising is idempotent.
                    .mapPartitions(records -> clean(records, quality.value(), false));
            out = out.union(spark.createDataFrame(rows, DocRows.SCHEMA));
        }
        if (!parquet.isEmpty()) {
            out = out.union(ParquetInputs.read(spark, parquet, s.textCol(), s.idCol(), s.generateMissingIds(), conf)
                    .mapPartitions((MapPartitionsFunction<Row, Row>) records -> clean(records, quality.value(), true),
                            Encoders.row(DocRows.SCHEMA)));
        }
        return out;
    }

    /** The records of one read task's files, one file after another, streamed. */
    private static Iterator<Row> records(List<InputFile> files, ReaderOptions options, String idCol, boolean generateIds,
                                         Configuration conf) {
        Iterator<InputFile> rest = files.iterator();
        return Lookahead.chained(() -> rest.hasNext()
                ? new FileRecordReader(rest.next(), options, idCol, generateIds, conf) : null);
    }

    /**
     * The read tasks: files in listing order (so the rows come out in doc_key order) cut into contiguous groups of
     * about {@code taskBytes} (at most {@code maxFiles} files each), and at least {@code minTasks} groups while there
     * are files enough, so every core has work and a slow task does not hold the stage alone.
     */
    static List<List<InputFile>> readTasks(List<InputFile> files, long taskBytes, int maxFiles, int minTasks) {
        long total = files.stream().mapToLong(f -> Math.max(1, f.length())).sum();
        long byBytes = (total + taskBytes - 1) / taskBytes;
        long byFiles = (files.size() + maxFiles - 1L) / maxFiles;
        int n = (int) Math.min(files.size(), Math.max(Math.max(byBytes, byFiles), minTasks));
        double share = (double) total / Math.max(1, n);
        List<List<InputFile>> tasks = new ArrayList<>();
        List<InputFile> current = new ArrayList<>();
        long before = 0; // bytes in the closed tasks
        long filled = 0;
        for (int i = 0; i < files.size(); i++) {
            InputFile f = files.get(i);
            // Close this task when the tasks so far hold their share of the bytes, or it holds its file cap, while files
            // remain for the tasks still to open; and close it anyway when only one file per task to open is left.
            int remaining = files.size() - i;
            int toOpen = n - tasks.size() - 1;
            boolean full = before + filled >= share * (tasks.size() + 1) || current.size() >= maxFiles;
            if (!current.isEmpty() && (remaining == toOpen || (full && remaining >= toOpen))) {
                tasks.add(current);
                before += filled;
                current = new ArrayList<>();
                filled = 0;
            }
            current.add(f);
            filled += Math.max(1, f.length());
        }
        if (!current.isEmpty()) {
            tasks.add(current);
        }
        return tasks;
    }

    /**
     * Normalisation (when {@code normalise}: rows whose text is not normalised yet) then the quality filters, per
     * partition; rejections pass through untouched.
     */
    static Iterator<Row> clean(Iterator<Row> rows, QualityConfig quality, boolean normalise) {
        QualityFilters filters = new QualityFilters(quality);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row r = rows.next();
                if (!r.isNullAt(6)) {
                    return r;
                }
                String text = normalise ? TextNormalizer.normalize(r.getString(3)) : r.getString(3);
                if (text.isEmpty()) {
                    return DocRows.reject(r, DocRows.STAGE_NORMALISE, "empty", "no text after normalisation");
                }
                Verdict v = filters.apply(text, true); // normalised: by the reader, or just above
                if (!v.kept()) {
                    return DocRows.reject(r, DocRows.STAGE_QUALITY, v.rejectReason(), v.detail());
                }
                return DocRows.withText(r, v.text());
            }
        };
    }

    /** Text per output file (and write task): large enough that per-file costs vanish, small enough to split work. */
    private static final long WRITE_BYTES_PER_FILE = 256L << 20;

    /** Dedup decisions: the document to reject and why. */
    private static final org.apache.spark.sql.types.StructType DECISIONS = new org.apache.spark.sql.types.StructType()
            .add("doc_key", org.apache.spark.sql.types.DataTypes.LongType, false)
            .add("stage", org.apache.spark.sql.types.DataTypes.StringType, false)
            .add("reason", org.apache.spark.sql.types.DataTypes.StringType, false)
            .add("detail", org.apache.spark.sql.types.DataTypes.StringType, false);

    private static Dataset<Row> persisted(Dataset<Row> d, List<Dataset<Row>> cached) {
        Dataset<Row> p = d.persist(StorageLevel.MEMORY_AND_DISK());
        cached.add(p);
        return p;
    }

    private static double secondsSince(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
