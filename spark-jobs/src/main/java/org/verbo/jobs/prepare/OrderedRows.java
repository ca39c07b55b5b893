package org.verbo.jobs.prepare;

import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.types.UTF8String;
import org.verbo.prep.io.Lookahead;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.octet_length;

/**
 * The cleaned rows of a prepare run, persisted in {@code doc_key} order: each partition sorted, and every key of a
 * partition below every key of the next non-empty one. Dedup decisions (a few columns per rejected document) are
 * then routed to the partition that holds their document and applied there, so the text is never shuffled and the
 * outputs are written in input order without a sort.
 *
 * <p>Text, JSONL and HTML inputs are read in that order already (files in listing order, records in file order), so
 * for them this costs one pass that also gives the report's per-partition counts. Parquet inputs come from Spark's
 * scan, which packs file splits by size; when the partitions are not in order they are range-partitioned once (one
 * shuffle of the text, which is what the final sort of the outputs cost before).
 */
final class OrderedRows {

    /** Per-partition counts of the persisted rows; {@code min}/{@code max} are meaningless when {@code rows} is 0. */
    record Part(long rows, long min, long max, boolean sorted, long fallbackDecoded, long idGenerated, long textBytes)
            implements java.io.Serializable {
    }

    final Dataset<Row> rows;
    final List<Part> parts;

    private OrderedRows(Dataset<Row> rows, List<Part> parts) {
        this.rows = rows;
        this.parts = parts;
    }

    /**
     * Persists {@code cleaned} (rows of {@link DocRows#SCHEMA}) and returns it in {@code doc_key} order, re-partitioned
     * by key range only when the input order is not already that.
     */
    static OrderedRows of(Dataset<Row> cleaned) {
        Dataset<Row> persisted = cleaned.persist(StorageLevel.MEMORY_AND_DISK());
        List<Part> parts = partsOf(persisted);
        if (inOrder(parts)) {
            return new OrderedRows(persisted, parts);
        }
        int n = Math.max(1, parts.size());
        Dataset<Row> ranged = persisted.repartitionByRange(n, col("doc_key")).sortWithinPartitions("doc_key")
                .persist(StorageLevel.MEMORY_AND_DISK());
        List<Part> rangedParts = partsOf(ranged);
        persisted.unpersist(false);
        if (!inOrder(rangedParts)) {
            throw new IllegalStateException("range-partitioned rows are not in doc_key order");
        }
        return new OrderedRows(ranged, rangedParts);
    }

    long count() {
        return parts.stream().mapToLong(Part::rows).sum();
    }

    long fallbackDecoded() {
        return parts.stream().mapToLong(Part::fallbackDecoded).sum();
    }

    long idGenerated() {
        return parts.stream().mapToLong(Part::idGenerated).sum();
    }

    /**
     * The rows with {@code decisions} applied: a row whose {@code doc_key} has a decision becomes that rejection (text
     * and metadata dropped, the read flags kept), every other row passes unchanged, in the same order. The writers use
     * {@link #appliedForWriting}; this {@code Row} form is its reference twin (OrderedRowsTest compares the two).
     *
     * @param decisions rows {@code (doc_key long, stage, reason, detail)}, at most one per key
     */
    JavaRDD<Row> apply(Dataset<Row> decisions) {
        if (parts.isEmpty()) {
            return rows.javaRDD(); // no partition, no row, nothing to decide
        }
        return rows.javaRDD().zipPartitions(route(decisions), OrderedRows::merge);
    }

    /**
     * {@link #apply}'s rows with decisions already {@link #route routed} (two calls on one routed RDD share its
     * shuffle), merged for writing ({@link #mergedForWriting}), as a DataFrame of {@link DocRows#SCHEMA}; without
     * {@code withText} the rows carry no text and no metadata (nulls), which the columnar cache then never reads (for
     * rejected/).
     *
     * <p>Built on Spark's internal rows: the cached text goes to the writer as the UTF-8 bytes it is cached as.
     * Through {@code Row}s each text was decoded to a Java string and encoded back, two thirds of a 1 GB run's
     * corpus write (JFR). {@code internalCreateDataFrame} is Spark's own (package-private in Scala, public to Java);
     * the classic session is the only one prepare runs on.
     */
    Dataset<Row> appliedForWriting(JavaPairRDD<Long, String[]> routed, boolean withText, long bytesPerPartition,
                                   int minPartitions) {
        Dataset<Row> source = withText ? rows : withoutText();
        JavaRDD<InternalRow> internal = source.queryExecution().toRdd().toJavaRDD();
        JavaRDD<InternalRow> merged = parts.isEmpty() ? internal
                : mergedForWriting(internal.zipPartitions(routed, OrderedRows::mergeInternal), bytesPerPartition, minPartitions);
        return ((org.apache.spark.sql.classic.SparkSession) rows.sparkSession())
                .internalCreateDataFrame(merged.rdd(), DocRows.SCHEMA, false);
    }

    /** The rows without text and metadata (nulls): the cache's largest columns are then not read at all. */
    private Dataset<Row> withoutText() {
        return rows.withColumn("text", lit(null).cast(DataTypes.StringType))
                .withColumn("metadata", lit(null).cast(DocRows.SCHEMA.apply("metadata").dataType()));
    }

    /**
     * The documents no decision rejects (rows without a reason and without a decision), as {@code (doc_key, text)}
     * rows whose text is its UTF-8 bytes ({@code byte[]}): only these two columns leave the cache, and each text as
     * the bytes it is cached as (a {@code Row} of strings decoded every text, a third of the signature stage).
     */
    JavaRDD<Row> documentsLeft(Dataset<Row> decisions) {
        JavaRDD<InternalRow> docs = rows.select("doc_key", "text", "reason").queryExecution().toRdd().toJavaRDD();
        if (parts.isEmpty()) {
            return docs.filter(r -> r.isNullAt(2)).map(OrderedRows::keyAndText);
        }
        return docs.zipPartitions(route(decisions), OrderedRows::left);
    }

    /** {@code (doc_key, text bytes)} of an internal row, copied out of it (the scan reuses its rows). */
    private static Row keyAndText(InternalRow r) {
        UTF8String text = r.getUTF8String(1);
        byte[] bytes = new byte[text.numBytes()];
        text.writeToMemory(bytes, org.apache.spark.unsafe.Platform.BYTE_ARRAY_OFFSET);
        return RowFactory.create(r.getLong(0), bytes);
    }

    /** Each decision to the partition of its document. Plain string arrays travel: a Row would carry its schema. */
    JavaPairRDD<Long, String[]> route(Dataset<Row> decisions) {
        return decisions.select("doc_key", "stage", "reason", "detail").javaRDD()
                .mapToPair(r -> new Tuple2<>(r.getLong(0), new String[] {r.getString(1), r.getString(2), r.getString(3)}))
                .partitionBy(new KeyRangePartitioner(parts));
    }

    /**
     * One partition's rows, each passed with the decision routed to it for its key (null when none) to {@code apply},
     * which gives the row to emit or null to drop it; streamed, in the rows' order. Rows are {@code Row}s or Spark's
     * internal rows, so {@code key} reads a row's doc_key.
     *
     * <p>The partition's rows come in increasing doc_key order (the class invariant), so the decisions are sorted once
     * and met by a cursor: a hash map of boxed keys was 6 % of the corpus write's samples, as {@code Long}'s hash
     * (file ordinal xor record index) puts many doc_keys in one bucket. A decision whose document is not in the
     * partition is a routing bug and fails the task rather than vanish.
     */
    private static <T, R> Iterator<R> decide(Iterator<T> docs, Iterator<Tuple2<Long, String[]>> decided,
                                             java.util.function.ToLongFunction<T> key,
                                             java.util.function.BiFunction<T, String[], R> apply) {
        Decisions sorted = Decisions.of(decided);
        return new Lookahead<>() {
            private int next; // the first decision not yet met

            @Override
            protected R computeNext() {
                while (docs.hasNext()) {
                    T r = docs.next();
                    String[] d = null;
                    if (next < sorted.keys.length) {
                        long k = key.applyAsLong(r);
                        if (sorted.keys[next] < k) {
                            throw stray(sorted.keys[next]);
                        }
                        if (sorted.keys[next] == k) {
                            d = sorted.values[next++];
                        }
                    }
                    R out = apply.apply(r, d);
                    if (out != null) {
                        return out;
                    }
                }
                if (next < sorted.keys.length) {
                    throw stray(sorted.keys[next]);
                }
                return null;
            }
        };
    }

    private static IllegalStateException stray(long key) {
        return new IllegalStateException("a dedup decision for doc_key " + key + " met no row in its partition");
    }

    /** One partition's routed decisions, sorted by doc_key (at most one per key). */
    private record Decisions(long[] keys, String[][] values) {
        static Decisions of(Iterator<Tuple2<Long, String[]>> decided) {
            List<Tuple2<Long, String[]>> all = new ArrayList<>();
            decided.forEachRemaining(all::add);
            all.sort((x, y) -> Long.compare(x._1(), y._1()));
            long[] keys = new long[all.size()];
            String[][] values = new String[all.size()][];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = all.get(i)._1();
                values[i] = all.get(i)._2();
                if (i > 0 && keys[i] == keys[i - 1]) {
                    throw new IllegalStateException("two dedup decisions for doc_key " + keys[i]);
                }
            }
            return new Decisions(keys, values);
        }
    }

    /** Rows of {@code (doc_key, text, reason)}: the documents no decision rejects, as {@code (doc_key, text)}. */
    private static Iterator<Row> left(Iterator<InternalRow> docs, Iterator<Tuple2<Long, String[]>> decided) {
        return decide(docs, decided, r -> r.getLong(0), (r, d) -> r.isNullAt(2) && d == null ? keyAndText(r) : null);
    }

    /** Rows of {@link DocRows#SCHEMA} with their decisions applied. */
    private static Iterator<Row> merge(Iterator<Row> docs, Iterator<Tuple2<Long, String[]>> decided) {
        return decide(docs, decided, r -> r.getLong(0), (r, d) -> d == null ? r : DocRows.reject(r, d[0], d[1], d[2]));
    }

    /**
     * {@link #merge} on Spark's internal rows: a row without a decision passes as it is (the writer consumes each row
     * before the next is read, so the scan's reused row needs no copy); a rejected one becomes a new row of the same
     * shape with copies of its id and source.
     */
    private static Iterator<InternalRow> mergeInternal(Iterator<InternalRow> docs, Iterator<Tuple2<Long, String[]>> decided) {
        return decide(docs, decided, r -> r.getLong(0), (r, d) -> d == null ? r
                : new GenericInternalRow(new Object[] {r.getLong(0), r.getUTF8String(1).clone(), r.getUTF8String(2).clone(),
                        null, null, UTF8String.fromString(d[0]), UTF8String.fromString(d[1]), UTF8String.fromString(d[2]),
                        r.getBoolean(8), r.getBoolean(9)}));
    }

    /**
     * {@code rdd} (partitioned as these rows, e.g. {@link #apply}'s result) with neighbouring partitions merged into
     * about {@code bytesPerPartition} of text each, in order, and never fewer than {@code minPartitions} (when there
     * are that many non-empty ones): one output file per merged partition instead of one per read task. Each output
     * file and task has a fixed cost, on a local file system a few processes for permissions.
     */
    <T> JavaRDD<T> mergedForWriting(JavaRDD<T> rdd, long bytesPerPartition, int minPartitions) {
        int[] starts = groupStarts(parts, bytesPerPartition, minPartitions);
        if (starts.length == parts.size()) {
            return rdd;
        }
        org.apache.spark.rdd.RDD<T> merged = rdd.rdd().coalesce(starts.length, false,
                scala.Option.apply(new ContiguousCoalescer(starts)), null);
        return JavaRDD.fromRDD(merged, rdd.classTag());
    }

    /** First partition of each group: contiguous groups of at least {@code bytes} of text, at least {@code min} groups. */
    static int[] groupStarts(List<Part> parts, long bytes, int min) {
        if (parts.isEmpty()) {
            return new int[0];
        }
        long total = parts.stream().mapToLong(Part::textBytes).sum();
        long nonEmpty = parts.stream().filter(p -> p.rows() > 0).count();
        int groups = (int) Math.max(1, Math.min(parts.size(), Math.max(Math.min(min, nonEmpty), (total + bytes - 1) / bytes)));
        long target = Math.max(1, (total + groups - 1) / groups);
        List<Integer> starts = new ArrayList<>(List.of(0));
        long filled = 0;
        for (int i = 0; i < parts.size(); i++) {
            // A new group starts once this one holds its share, while partitions are left to fill the rest.
            if (filled >= target && starts.size() < groups && parts.get(i).rows() > 0) {
                starts.add(i);
                filled = 0;
            }
            filled += Math.max(1, parts.get(i).textBytes());
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Groups a parent's partitions into the given contiguous ranges, in order (Spark's default may reorder them). */
    static final class ContiguousCoalescer implements org.apache.spark.rdd.PartitionCoalescer, java.io.Serializable {
        private final int[] starts;

        ContiguousCoalescer(int[] starts) {
            this.starts = starts.clone();
        }

        @Override
        public org.apache.spark.rdd.PartitionGroup[] coalesce(int maxPartitions, org.apache.spark.rdd.RDD<?> parent) {
            org.apache.spark.Partition[] ps = parent.partitions();
            org.apache.spark.rdd.PartitionGroup[] out = new org.apache.spark.rdd.PartitionGroup[starts.length];
            for (int g = 0; g < starts.length; g++) {
                out[g] = new org.apache.spark.rdd.PartitionGroup(scala.Option.empty());
                int end = g + 1 < starts.length ? starts[g + 1] : ps.length;
                for (int j = starts[g]; j < end; j++) {
                    out[g].partitions().addOne(ps[j]);
                }
            }
            return out;
        }
    }

    void release() {
        rows.unpersist(false);
    }

    private static List<Part> partsOf(Dataset<Row> d) {
        // octet_length on Spark's own UTF-8 bytes: the texts are not turned into Java strings for this count.
        return d.select(col("doc_key"), col("fallback_decoded"), col("id_generated"),
                coalesce(octet_length(col("text")), lit(0))).javaRDD().mapPartitions(it -> {
            long n = 0;
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            long prev = Long.MIN_VALUE;
            boolean sorted = true;
            long fallback = 0;
            long generated = 0;
            long bytes = 0;
            while (it.hasNext()) {
                Row r = it.next();
                long k = r.getLong(0);
                sorted &= n == 0 || k > prev;
                prev = k;
                min = Math.min(min, k);
                max = Math.max(max, k);
                fallback += r.getBoolean(1) ? 1 : 0;
                generated += r.getBoolean(2) ? 1 : 0;
                bytes += r.getInt(3);
                n++;
            }
            return List.of(new Part(n, min, max, sorted, fallback, generated, bytes)).iterator();
        }).collect();
    }

    /** Every partition sorted, and the non-empty ones in increasing, disjoint key ranges. */
    static boolean inOrder(List<Part> parts) {
        long prevMax = -1; // doc_key >= 0 (DocRows.docKey)
        for (Part p : parts) {
            if (p.rows() == 0) {
                continue;
            }
            if (!p.sorted() || p.min() <= prevMax) {
                return false;
            }
            prevMax = p.max();
        }
        return true;
    }

    /**
     * Sends a {@code doc_key} to the partition whose key range holds it: the last non-empty partition whose smallest
     * key is at most the key (partitions are in key order, see {@link #inOrder}).
     */
    static final class KeyRangePartitioner extends Partitioner {
        private final int partitions;
        private final long[] mins;      // smallest key of each non-empty partition, increasing
        private final int[] partition;  // its partition index

        KeyRangePartitioner(List<Part> parts) {
            this.partitions = parts.size();
            List<long[]> nonEmpty = new ArrayList<>();
            for (int i = 0; i < parts.size(); i++) {
                if (parts.get(i).rows() > 0) {
                    nonEmpty.add(new long[] {parts.get(i).min(), i});
                }
            }
            mins = new long[nonEmpty.size()];
            partition = new int[nonEmpty.size()];
            for (int i = 0; i < mins.length; i++) {
                mins[i] = nonEmpty.get(i)[0];
                partition[i] = (int) nonEmpty.get(i)[1];
            }
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            if (mins.length == 0) {
                return 0;
            }
            int i = Arrays.binarySearch(mins, (Long) key);
            int at = i >= 0 ? i : Math.max(0, -i - 2); // insertion point - 1: the last min below the key
            return partition[at];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof KeyRangePartitioner p && p.partitions == partitions && Arrays.equals(p.mins, mins)
                    && Arrays.equals(p.partition, partition);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(mins) + partitions;
        }
    }
}
