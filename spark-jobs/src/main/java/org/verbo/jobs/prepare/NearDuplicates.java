package org.verbo.jobs.prepare;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.verbo.prep.dedup.LshBanding;
import org.verbo.prep.dedup.MinHashConfig;
import org.verbo.prep.dedup.MinHasher;
import org.verbo.prep.dedup.Shingler;
import org.verbo.prep.io.Lookahead;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.posexplode;

/**
 * Near-duplicate detection: word n-gram shingles → MinHash signatures (data-prep's {@link MinHasher}, batched per
 * partition: Aparapi on an OpenCL device, else the Vector API loop on the task's thread) → LSH banding (b bands × r
 * rows, AND within a band, OR across bands) → candidate edges as stars (every member of a band bucket to the
 * bucket's smallest doc_key, never all pairs) → each candidate edge verified on the full signature (estimated
 * Jaccard ≥ threshold) → connected components (in Spark, or on the driver for a small graph) → the smallest doc_key
 * of each component is kept. Not MLlib's MinHashLSH: it has no AND-amplification and its similarity join explodes
 * on common hashes.
 */
public final class NearDuplicates {

    /** A document's signature and its LSH band keys ({@code bands[b]}: the bucket of band b). */
    static final StructType SIGNATURES = new StructType()
            .add("doc_key", DataTypes.LongType, false)
            .add("sig", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("bands", DataTypes.createArrayType(DataTypes.LongType, false), false);

    private NearDuplicates() {
    }

    /** Result of one run: the members to drop with their representative, and counts for the report. */
    public record Result(Dataset<Row> duplicates, long candidateEdges, long verifiedEdges) {
    }

    /**
     * @param docs rows {@code (doc_key long, text as UTF-8 bytes)}
     * @return {@code duplicates}: rows {@code (doc_key, rep_key)} for every document that is not its
     *     cluster's representative
     */
    public static Result find(SparkSession spark, JavaRDD<Row> docs, MinHashConfig config, int batchSize, int maxRounds,
                              long localEdges, Consumer<String> progress) {
        final MinHashConfig c = config;
        final int batch = batchSize;
        // The config travels as plain numbers (MinHashConfig is not Serializable).
        final int ngram = c.ngram();
        final int b0 = c.bands();
        final int r0 = c.rows();
        final double t0 = c.threshold();
        final long seed = c.seed();
        Dataset<Row> sigs = spark.createDataFrame(docs.mapPartitions(rows ->
                        signatures(rows, new MinHashConfig(ngram, b0, r0, t0, seed), batch)), SIGNATURES)
                .persist(StorageLevel.MEMORY_AND_DISK());

        // (band, bucket, doc_key) rows by Spark's own generator: a typed flatMap boxed every signature twice.
        Dataset<Row> keys = sigs.select(col("doc_key"), posexplode(col("bands")))
                .select(col("pos").as("band"), col("col").as("bucket"), col("doc_key"));

        // Star edges: each member of a bucket shared by two or more documents → the bucket's smallest doc_key. Almost
        // every bucket holds one document, so the shared buckets (a few per duplicate) are found by a hash aggregate
        // first and then joined back. A window over (band, bucket) sorted all 14 keys of every document, and a join
        // planned before the aggregate had run sorted them too (each 12-14 s of a 1 GB run); materialised first, the
        // shared buckets are a broadcast join while they are small (spark.sql.autoBroadcastJoinThreshold).
        Dataset<Row> shared = keys.groupBy("band", "bucket")
                .agg(min(col("doc_key")).as("center"), count(lit(1)).as("members"))
                .where(col("members").gt(1))
                .select("band", "bucket", "center")
                .persist(StorageLevel.MEMORY_AND_DISK());
        shared.count();
        Dataset<Row> candidates = keys.join(shared, new String[] {"band", "bucket"})
                .where(col("doc_key").notEqual(col("center")))
                .select(col("center").as("a"), col("doc_key").as("b"))
                .distinct()
                .persist(StorageLevel.MEMORY_AND_DISK());
        long candidateCount = candidates.count();
        shared.unpersist(false);

        // Verify each candidate on the whole signature: the banding threshold (1/b)^(1/r) ≈ 0.72 for 14×8
        // lets a pair at Jaccard 0.5 through about 5% of the time; the estimate over 112 permutations has a
        // standard deviation of ≈ 0.047 there, so "estimate ≥ threshold" removes them.
        double threshold = c.threshold();
        Dataset<Row> verified = candidates
                .join(sigs.select(col("doc_key").as("a"), col("sig").as("sa")), "a")
                .join(sigs.select(col("doc_key").as("b"), col("sig").as("sb")), "b")
                .where(expr("aggregate(zip_with(sa, sb, (x, y) -> IF(x = y, 1, 0)), 0, (acc, v) -> acc + v) / size(sa)")
                        .geq(threshold))
                .select("a", "b")
                .persist(StorageLevel.MEMORY_AND_DISK());
        long verifiedCount = verified.count();
        candidates.unpersist(false);
        progress.accept(String.format("near-dup: %,d candidate edges from %d bands x %d rows, %,d verified at >= %.2f",
                candidateCount, c.bands(), c.rows(), verifiedCount, threshold));

        JavaPairRDD<Long, Long> edges = verified.javaRDD().mapToPair(r -> new Tuple2<>(r.getLong(0), r.getLong(1)));
        JavaPairRDD<Long, Long> components = ConnectedComponents.components(edges, verifiedCount, localEdges, maxRounds,
                progress);
        Dataset<Row> dups = spark.createDataFrame(
                components.map(t -> RowFactory.create(t._1(), t._2())),
                new StructType().add("doc_key", DataTypes.LongType, false).add("rep_key", DataTypes.LongType, false));
        sigs.unpersist(false);
        return new Result(dups, candidateCount, verifiedCount);
    }

    /** One {@link MinHasher#signatures} call per batch of documents; documents with no shingle (no word) are skipped. */
    private static Iterator<Row> signatures(Iterator<Row> rows, MinHashConfig c, int batchSize) {
        MinHasher hasher = new MinHasher(c);
        org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> hasher.close());
        }
        return Lookahead.chained(() -> {
            if (!rows.hasNext()) {
                return null;
            }
            List<Long> keys = new ArrayList<>(batchSize);
            List<int[]> shingles = new ArrayList<>(batchSize);
            while (rows.hasNext() && keys.size() < batchSize) {
                Row r = rows.next();
                // Every n-gram's hash, unsorted and with repeats: the signature is the same as the sorted set's.
                byte[] text = (byte[]) r.get(1);
                int[] s = Shingler.ngramHashes(text, 0, text.length, c.ngram());
                if (s.length > 0) {
                    keys.add(r.getLong(0));
                    shingles.add(s);
                }
            }
            int[][] sigs = shingles.isEmpty() ? new int[0][] : hasher.signatures(shingles);
            List<Row> out = new ArrayList<>(sigs.length);
            for (int i = 0; i < sigs.length; i++) {
                // Primitive arrays: the row encoder copies them into Spark's array format without boxing an element.
                out.add(RowFactory.create(keys.get(i), sigs[i], LshBanding.bandKeys(sigs[i], c.bands(), c.rows())));
            }
            return out.iterator();
        });
    }
}
