package org.verbo.jobs.prepare;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.verbo.jobs.TestSpark;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OrderedRows} on a real local Spark session: rows come back in doc_key order whatever order the partitions
 * were in, and decisions are applied where the rows sit, each to its own row and to no other.
 */
class OrderedRowsTest {

    private static Row doc(long key) {
        return DocRows.doc(key, "id" + key, "src" + (key >> 32), "text " + key, Map.of(), key % 7 == 0, key % 5 == 0);
    }

    @Test
    void inOrderNeedsSortedPartitionsWithDisjointIncreasingRanges() {
        OrderedRows.Part a = new OrderedRows.Part(2, 1, 5, true, 0, 0, 0);
        OrderedRows.Part empty = new OrderedRows.Part(0, Long.MAX_VALUE, Long.MIN_VALUE, true, 0, 0, 0);
        OrderedRows.Part b = new OrderedRows.Part(3, 6, 9, true, 0, 0, 0);
        OrderedRows.Part overlapping = new OrderedRows.Part(3, 5, 9, true, 0, 0, 0);
        OrderedRows.Part unsorted = new OrderedRows.Part(3, 6, 9, false, 0, 0, 0);
        assertTrue(OrderedRows.inOrder(List.of(a, empty, b)));
        assertTrue(OrderedRows.inOrder(List.of()));
        assertFalse(OrderedRows.inOrder(List.of(b, a)));
        assertFalse(OrderedRows.inOrder(List.of(a, overlapping)));
        assertFalse(OrderedRows.inOrder(List.of(a, unsorted)));
    }

    @Test
    void partitionerSendsEachKeyToThePartitionHoldingIt() {
        OrderedRows.KeyRangePartitioner p = new OrderedRows.KeyRangePartitioner(List.of(
                new OrderedRows.Part(0, Long.MAX_VALUE, Long.MIN_VALUE, true, 0, 0, 0),
                new OrderedRows.Part(2, 10, 20, true, 0, 0, 0),
                new OrderedRows.Part(0, Long.MAX_VALUE, Long.MIN_VALUE, true, 0, 0, 0),
                new OrderedRows.Part(2, 30, 40, true, 0, 0, 0)));
        assertEquals(4, p.numPartitions());
        assertEquals(1, p.getPartition(10L));
        assertEquals(1, p.getPartition(20L));
        assertEquals(3, p.getPartition(30L));
        assertEquals(3, p.getPartition(40L));
    }

    @Test
    void readTasksAreContiguousGroupsOfFilesByBytes() {
        List<InputFile> files = new ArrayList<>();
        long[] sizes = {100, 1, 1, 1, 50, 50, 50, 50};
        for (int i = 0; i < sizes.length; i++) {
            files.add(new InputFile(i, "f" + i, org.verbo.prep.io.InputFormat.TEXT, "f" + i, sizes[i]));
        }
        // 303 bytes, at least 4 tasks: the big file alone, then groups of about a quarter each, in listing order.
        List<List<InputFile>> tasks = PrepareJob.readTasks(files, 1_000, 100, 4);
        assertEquals(4, tasks.size());
        List<InputFile> flat = new ArrayList<>();
        tasks.forEach(flat::addAll);
        assertEquals(files, flat, "every file once, in listing order");
        assertEquals(List.of(files.get(0)), tasks.get(0));
        // by bytes: 303 bytes at 60 a task gives 6 tasks; by file cap: 8 files at 3 a task gives 3
        assertEquals(6, PrepareJob.readTasks(files, 60, 100, 1).size());
        assertEquals(3, PrepareJob.readTasks(files, 10_000, 3, 1).size());
        assertTrue(PrepareJob.readTasks(files, 10_000, 3, 1).stream().allMatch(t -> t.size() <= 3));
        // never more tasks than files
        assertEquals(8, PrepareJob.readTasks(files, 1, 100, 64).size());
    }

    @Test
    void writeGroupsAreContiguousAndSizedByText() {
        List<OrderedRows.Part> parts = new ArrayList<>();
        long[] bytes = {100, 0, 100, 100, 0, 100, 100, 100};
        for (int i = 0; i < bytes.length; i++) {
            boolean empty = i == 1 || i == 4;
            parts.add(new OrderedRows.Part(empty ? 0 : 3, i * 10, i * 10 + 2, true, 0, 0, bytes[i]));
        }
        // 600 bytes at 200 a group: three groups of two non-empty partitions each, starting on non-empty ones.
        assertArrayEquals(new int[] {0, 3, 6}, OrderedRows.groupStarts(parts, 200, 1));
        assertArrayEquals(new int[] {0}, OrderedRows.groupStarts(parts, 10_000, 1));
        // at least two groups (two cores) even when the text would fit in one
        assertEquals(2, OrderedRows.groupStarts(parts, 10_000, 2).length);
        assertEquals(0, OrderedRows.groupStarts(List.of(), 100, 2).length);
    }

    @Test
    void unorderedPartitionsAreRangedAndDecisionsApplyInPlace() {
        SparkSession spark = TestSpark.session();
        // Three partitions in reverse key order (as Spark's Parquet scan can give), each sorted.
        List<Row> rows = new ArrayList<>();
        for (int file = 2; file >= 0; file--) {
            for (int i = 0; i < 40; i++) {
                rows.add(doc(DocRows.docKey(file, i)));
            }
        }
        Dataset<Row> input = spark.createDataFrame(rows, DocRows.SCHEMA).repartition(1).coalesce(1);
        Dataset<Row> reversed = spark.createDataFrame(
                spark.createDataFrame(rows, DocRows.SCHEMA).javaRDD().repartition(3), DocRows.SCHEMA);
        for (Dataset<Row> d : List.of(input, reversed)) {
            OrderedRows ordered = OrderedRows.of(d);
            assertEquals(120, ordered.count());
            assertEquals(rows.stream().filter(r -> r.getBoolean(8)).count(), ordered.fallbackDecoded());
            assertEquals(rows.stream().filter(r -> r.getBoolean(9)).count(), ordered.idGenerated());
            assertTrue(OrderedRows.inOrder(ordered.parts));

            long rejectedKey = DocRows.docKey(1, 17);
            long otherKey = DocRows.docKey(2, 0);
            Dataset<Row> decisions = spark.createDataFrame(List.of(
                    RowFactory.create(rejectedKey, DocRows.STAGE_EXACT, "exact_dup", "duplicate of id0"),
                    RowFactory.create(otherKey, DocRows.STAGE_NEAR, "near_dup", "near duplicate of id1")),
                    new org.apache.spark.sql.types.StructType()
                            .add("doc_key", "long").add("stage", "string").add("reason", "string").add("detail", "string"));
            List<Row> out = ordered.apply(decisions).collect();
            // Merged into one partition for writing: the same rows in the same order.
            org.apache.spark.api.java.JavaRDD<Row> merged = ordered.mergedForWriting(ordered.apply(decisions), 1L << 40, 1);
            assertEquals(1, merged.getNumPartitions());
            assertEquals(out, merged.collect());
            // The writers' form on Spark's internal rows: the same rows in the same order, and without the text and
            // metadata when asked.
            org.apache.spark.api.java.JavaPairRDD<Long, String[]> routed = ordered.route(decisions);
            assertEquals(out, ordered.appliedForWriting(routed, true, 1L << 40, 1).collectAsList());
            assertEquals(out.stream().map(OrderedRowsTest::withoutText).toList(),
                    ordered.appliedForWriting(routed, false, 64, 2).collectAsList());
            assertEquals(120, out.size());
            long prev = Long.MIN_VALUE;
            int rejected = 0;
            for (Row r : out) {
                assertTrue(r.getLong(0) > prev, "rows in doc_key order");
                prev = r.getLong(0);
                if (r.getLong(0) == rejectedKey || r.getLong(0) == otherKey) {
                    rejected++;
                    assertNull(r.get(3), "a rejected row loses its text");
                    assertEquals(r.getLong(0) == rejectedKey ? "exact_dup" : "near_dup", r.getString(6));
                    assertEquals(r.getLong(0) % 7 == 0, r.getBoolean(8), "read flags are kept");
                } else {
                    assertEquals("text " + r.getLong(0), r.getString(3));
                    assertNull(r.get(6));
                }
            }
            assertEquals(2, rejected);
            ordered.release();
        }
    }

    @Test
    void manyDecisionsInAnyOrderMeetTheirOwnRowsAndAStrayOneFails() {
        SparkSession spark = TestSpark.session();
        // Keys whose Long hash codes collide (file ordinal xor record index), decided in a shuffled order.
        List<Row> rows = new ArrayList<>();
        for (int file = 0; file < 4; file++) {
            for (int i = 0; i < 64; i++) {
                rows.add(doc(DocRows.docKey(file, i)));
            }
        }
        OrderedRows ordered = OrderedRows.of(spark.createDataFrame(
                spark.createDataFrame(rows, DocRows.SCHEMA).javaRDD().repartition(1), DocRows.SCHEMA)
                .repartitionByRange(4, org.apache.spark.sql.functions.col("doc_key")));
        List<Long> decided = new ArrayList<>();
        for (Row r : rows) {
            if ((r.getLong(0) >>> 32 ^ r.getLong(0)) % 3 == 0) {
                decided.add(r.getLong(0));
            }
        }
        java.util.Collections.shuffle(decided, new java.util.Random(11));
        org.apache.spark.sql.types.StructType shape = new org.apache.spark.sql.types.StructType()
                .add("doc_key", "long").add("stage", "string").add("reason", "string").add("detail", "string");
        List<Row> decisions = new ArrayList<>();
        for (long k : decided) {
            decisions.add(RowFactory.create(k, DocRows.STAGE_EXACT, "exact_dup", "duplicate of " + (k + 1)));
        }
        List<Row> out = ordered.apply(spark.createDataFrame(decisions, shape)).collect();
        assertEquals(rows.size(), out.size());
        for (Row r : out) {
            boolean rejected = decided.contains(r.getLong(0));
            assertEquals(rejected ? "duplicate of " + (r.getLong(0) + 1) : null, r.getString(7), "key " + r.getLong(0));
        }
        // A decision for a key no partition holds (inside a partition's range) is a routing bug, never dropped quietly.
        decisions.add(RowFactory.create(DocRows.docKey(1, 1000), DocRows.STAGE_NEAR, "near_dup", "stray"));
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> ordered.apply(spark.createDataFrame(decisions, shape)).collect());
        assertTrue(String.valueOf(e.getMessage()).contains("met no row"), e.getMessage());
        ordered.release();
    }

    private static Row withoutText(Row r) {
        return RowFactory.create(r.get(0), r.get(1), r.get(2), null, null, r.get(5), r.get(6), r.get(7), r.get(8), r.get(9));
    }
}
