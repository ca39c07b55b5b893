package org.verbo.jobs.prepare;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.verbo.jobs.TestSpark;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectedComponentsTest {

    private static Map<Long, Long> run(List<Tuple2<Long, Long>> edges) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
        JavaPairRDD<Long, Long> rdd = jsc.parallelizePairs(edges, 3);
        return new TreeMap<>(ConnectedComponents.run(rdd, 40, s -> { }).collectAsMap());
    }

    @Test
    void handWorkedGraph() {
        // Components: {1,2,3,7} via 7-3, 3-2, 2-1 (a path given in "wrong" order), {4,5} and the cycle {8,9,10}.
        List<Tuple2<Long, Long>> edges = List.of(t(7, 3), t(3, 2), t(2, 1), t(5, 4), t(8, 9), t(9, 10), t(10, 8), t(6, 6));
        Map<Long, Long> expected = new TreeMap<>(Map.of(2L, 1L, 3L, 1L, 7L, 1L, 5L, 4L, 9L, 8L, 10L, 8L));
        assertEquals(expected, run(edges));
    }

    @Test
    void longPathAndRandomGraphMatchUnionFind() {
        List<Tuple2<Long, Long>> edges = new ArrayList<>();
        for (long i = 200; i > 100; i--) {
            edges.add(t(i, i - 1)); // a path of 100 edges: label propagation would need 100 rounds
        }
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 300; i++) {
            edges.add(t(1000 + r.nextInt(400), 1000 + r.nextInt(400)));
        }
        assertEquals(unionFind(edges), run(edges));
    }

    @Test
    void onTheDriverTheSameComponentsAsInSpark() {
        List<Tuple2<Long, Long>> edges = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 2_000; i++) {
            // Sparse over a wide key range (many components, some long chains), with self loops and repeats.
            long a = r.nextLong(1L << 40, (1L << 40) + 3_000);
            edges.add(t(a, r.nextInt(4) == 0 ? a : a + r.nextInt(-40, 41)));
        }
        edges.addAll(edges.subList(0, 100));
        Map<Long, Long> expected = unionFind(edges);
        assertEquals(expected, run(edges));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
        JavaPairRDD<Long, Long> rdd = jsc.parallelizePairs(edges, 3);
        Map<Long, Long> local = new TreeMap<>(ConnectedComponents.components(rdd, edges.size(), edges.size(), 40, s -> { })
                .collectAsMap());
        assertEquals(expected, local);
        assertEquals(expected, new TreeMap<>(ConnectedComponents.components(rdd, edges.size(), edges.size() - 1, 40, s -> { })
                .collectAsMap()));
    }

    @Test
    void unionFindOnHandWorkedGraphInNodeOrder() {
        // {1,2,3,7}, {4,5}, {8,9,10}; 6 only has a self loop.
        long[] pairs = {7, 3, 3, 2, 2, 1, 5, 4, 8, 9, 9, 10, 10, 8, 6, 6};
        assertArrayEquals(new long[] {2, 1, 3, 1, 5, 4, 7, 1, 9, 8, 10, 8}, ConnectedComponents.unionFind(pairs));
        assertArrayEquals(new long[0], ConnectedComponents.unionFind(new long[0]));
        assertThrows(IllegalArgumentException.class, () -> ConnectedComponents.unionFind(new long[] {1, 2, 3}));
    }

    @Test
    void theDriversEdgeCapIsCheckedAtStart() {
        assertEquals(0, settings("0").ccLocalEdges(), "0: always in Spark");
        assertEquals(2_000_000, settings(null).ccLocalEdges(), "the default");
        for (String bad : List.of("-1", "50000001")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(bad));
            assertTrue(e.getMessage().startsWith("prepare.dedup.cc_local_edges must be in [0, 50000000]"), e.getMessage());
        }
    }

    private static PrepareSettings settings(String ccLocalEdges) {
        String[] opts = ccLocalEdges == null ? new String[0] : new String[] {"prepare.dedup.cc_local_edges", ccLocalEdges};
        return PrepareSettings.from(TestSpark.config(opts), List.of("in"), "out");
    }

    /** Independent reference: a sequential union-find, reporting node → smallest node of its set. */
    private static Map<Long, Long> unionFind(List<Tuple2<Long, Long>> edges) {
        Map<Long, Long> parent = new TreeMap<>();
        for (Tuple2<Long, Long> e : edges) {
            long a = find(parent, e._1());
            long b = find(parent, e._2());
            if (a != b) {
                parent.put(Math.max(a, b), Math.min(a, b));
            }
        }
        Map<Long, Long> out = new TreeMap<>();
        for (Long n : new ArrayList<>(parent.keySet())) {
            long root = find(parent, n);
            if (root != n) {
                out.put(n, root);
            }
        }
        return out;
    }

    private static long find(Map<Long, Long> parent, long x) {
        parent.putIfAbsent(x, x);
        while (parent.get(x) != x) {
            x = parent.get(x);
        }
        return x;
    }

    private static Tuple2<Long, Long> t(long a, long b) {
        return new Tuple2<>(a, b);
    }
}
