package org.verbo.jobs.prepare;

import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import static org.apache.spark.sql.functions.col;

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
    record Part(long rows, long min, long max, boolean sorted, long fallbackDecoded, long idGenerated)
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
     * and metadata dropped, the read flags kept), every other row passes unchanged, in the same order.
     *
     * @param decisions rows {@code (doc_key long, stage, reason, detail)}, at most one per key
     */
    JavaRDD<Row> apply(Dataset<Row> decisions) {
        if (parts.isEmpty()) {
            return rows.javaRDD(); // no partition, no row, nothing to decide
        }
        return rows.javaRDD().zipPartitions(routed(decisions), OrderedRows::merge);
    }

    /**
     * The documents no decision rejects (rows without a reason and without a decision), as {@code (doc_key, text)}
     * rows: only these two columns leave the cache.
     */
    JavaRDD<Row> documentsLeft(Dataset<Row> decisions) {
        JavaRDD<Row> docs = rows.select("doc_key", "text", "reason").javaRDD();
        if (parts.isEmpty()) {
            return docs.filter(r -> r.isNullAt(2));
        }
        return docs.zipPartitions(routed(decisions), OrderedRows::left);
    }

    /** Each decision to the partition of its document. Plain string arrays travel: a Row would carry its schema. */
    private JavaPairRDD<Long, String[]> routed(Dataset<Row> decisions) {
        return decisions.select("doc_key", "stage", "reason", "detail").javaRDD()
                .mapToPair(r -> new Tuple2<>(r.getLong(0), new String[] {r.getString(1), r.getString(2), r.getString(3)}))
                .partitionBy(new KeyRangePartitioner(parts));
    }

    private static Map<Long, String[]> byKey(Iterator<Tuple2<Long, String[]>> decided) {
        Map<Long, String[]> byKey = new HashMap<>();
        while (decided.hasNext()) {
            Tuple2<Long, String[]> d = decided.next();
            if (byKey.put(d._1(), d._2()) != null) {
                throw new IllegalStateException("two dedup decisions for doc_key " + d._1());
            }
        }
        return byKey;
    }

    /** Streams one partition's documents left (rows of {@code (doc_key, text, reason)}) as {@code (doc_key, text)}. */
    private static Iterator<Row> left(Iterator<Row> docs, Iterator<Tuple2<Long, String[]>> decided) {
        Map<Long, String[]> byKey = byKey(decided);
        return new Iterator<>() {
            private Row next;

            @Override
            public boolean hasNext() {
                while (next == null && docs.hasNext()) {
                    Row r = docs.next();
                    if (r.isNullAt(2) && !byKey.containsKey(r.getLong(0))) {
                        next = RowFactory.create(r.getLong(0), r.getString(1));
                    }
                }
                return next != null;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Row r = next;
                next = null;
                return r;
            }
        };
    }

    /** One partition's rows with the decisions routed to it applied, in the rows' order. */
    private static Iterator<Row> merge(Iterator<Row> docs, Iterator<Tuple2<Long, String[]>> decided) {
        Map<Long, String[]> byKey = byKey(decided);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return docs.hasNext();
            }

            @Override
            public Row next() {
                if (!docs.hasNext()) {
                    throw new NoSuchElementException();
                }
                Row r = docs.next();
                String[] d = byKey.isEmpty() ? null : byKey.get(r.getLong(0));
                return d == null ? r : DocRows.reject(r, d[0], d[1], d[2]);
            }
        };
    }

    void release() {
        rows.unpersist(false);
    }

    private static List<Part> partsOf(Dataset<Row> d) {
        return d.select("doc_key", "fallback_decoded", "id_generated").javaRDD().mapPartitions(it -> {
            long n = 0;
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            long prev = Long.MIN_VALUE;
            boolean sorted = true;
            long fallback = 0;
            long generated = 0;
            while (it.hasNext()) {
                Row r = it.next();
                long k = r.getLong(0);
                sorted &= n == 0 || k > prev;
                prev = k;
                min = Math.min(min, k);
                max = Math.max(max, k);
                fallback += r.getBoolean(1) ? 1 : 0;
                generated += r.getBoolean(2) ? 1 : 0;
                n++;
            }
            return List.of(new Part(n, min, max, sorted, fallback, generated)).iterator();
        }).collect();
    }

    /** Every partition sorted, and the non-empty ones in increasing, disjoint key ranges. */
    static boolean inOrder(List<Part> parts) {
        long prevMax = Long.MIN_VALUE;
        boolean first = true;
        for (Part p : parts) {
            if (p.rows() == 0) {
                continue;
            }
            if (!p.sorted() || (!first && p.min() <= prevMax)) {
                return false;
            }
            prevMax = p.max();
            first = false;
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
