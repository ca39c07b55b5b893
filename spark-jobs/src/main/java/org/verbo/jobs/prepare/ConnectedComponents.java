package org.verbo.jobs.prepare;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Connected components of an undirected graph given as an edge list, with the Large-Star / Small-Star
 * algorithm of Kiveris, Lattanzi, Mirrokni, Rastogi and Vassilvitskii, "Connected Components in MapReduce
 * and Beyond" (SoCC 2014). Each round is two shuffles; the number of rounds is O(log² n). At convergence
 * every edge is {@code (v, m)} with {@code m} the smallest node of v's component: a star per component.
 *
 * <p>Written here rather than taken from a library because GraphFrames does not resolve for Spark 4 /
 * Scala 2.13 and GraphX's connectedComponents is label propagation (O(diameter) rounds).
 *
 * <p>A graph of at most {@code localEdges} edges is solved on the driver instead ({@link #unionFind}): every round above
 * is four shuffles and a convergence count, about twenty small Spark stages for two rounds, 3 s of a 100 MB prepare
 * run that found 371 edges. The result is the same set of pairs either way; the driver holds about 40 bytes an edge
 * while it runs (the edges, a sorted copy of their nodes, a parent index per node), bounded by the cap, not the corpus.
 */
public final class ConnectedComponents {

    private ConnectedComponents() {
    }

    /**
     * {@link #run} in Spark, or {@link #unionFind} on the driver when the graph has at most {@code localEdges} edges.
     *
     * @param edgeCount the number of rows of {@code edges} (known to the caller, which counted them)
     */
    public static JavaPairRDD<Long, Long> components(JavaPairRDD<Long, Long> edges, long edgeCount, long localEdges,
                                                     int maxRounds, Consumer<String> progress) {
        if (edgeCount > localEdges) {
            return run(edges, maxRounds, progress);
        }
        // One packed array of (a, b) per partition: 16 bytes an edge on the driver, not a Tuple2 of two boxed Longs.
        List<long[]> packed = edges.mapPartitions(it -> {
            long[] buf = new long[64];
            int n = 0;
            while (it.hasNext()) {
                Tuple2<Long, Long> t = it.next();
                if (n + 2 > buf.length) {
                    buf = Arrays.copyOf(buf, buf.length * 2);
                }
                buf[n++] = t._1();
                buf[n++] = t._2();
            }
            return List.of(Arrays.copyOf(buf, n)).iterator();
        }).collect();
        int total = packed.stream().mapToInt(p -> p.length).sum();
        long[] pairs = new long[total];
        int at = 0;
        for (long[] p : packed) {
            System.arraycopy(p, 0, pairs, at, p.length);
            at += p.length;
        }
        long[] result = unionFind(pairs);
        progress.accept(String.format("connected components on the driver: %,d nodes joined to another (%,d edges)",
                result.length / 2, total / 2));
        // Handed back to Spark in slices of at most 65,536 pairs (a task each), in node order.
        List<long[]> slices = new ArrayList<>();
        for (int i = 0; i < result.length; i += 2 * 65_536) {
            slices.add(Arrays.copyOfRange(result, i, Math.min(result.length, i + 2 * 65_536)));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(edges.context());
        return jsc.parallelize(slices, Math.max(1, slices.size())).flatMapToPair(s -> {
            List<Tuple2<Long, Long>> out = new ArrayList<>(s.length / 2);
            for (int i = 0; i < s.length; i += 2) {
                out.add(new Tuple2<>(s[i], s[i + 1]));
            }
            return out.iterator();
        });
    }

    /**
     * Connected components on one machine: union-find over the sorted distinct nodes, each set's root its smallest node
     * (union links the larger root under the smaller), with path halving.
     *
     * @param pairs undirected edges as {@code a0, b0, a1, b1, ...} (self loops and duplicates allowed)
     * @return {@code node, componentMin} pairs, flattened, for every node that is not its component's minimum, in node
     *     order
     */
    static long[] unionFind(long[] pairs) {
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("edge pairs need an even length, got " + pairs.length);
        }
        long[] nodes = pairs.clone();
        Arrays.sort(nodes);
        int n = 0;
        for (int i = 0; i < nodes.length; i++) {
            if (i == 0 || nodes[i] != nodes[i - 1]) {
                nodes[n++] = nodes[i];
            }
        }
        nodes = Arrays.copyOf(nodes, n);
        int[] parent = new int[n]; // indices follow node order, so the smaller index is the smaller node
        for (int i = 0; i < n; i++) {
            parent[i] = i;
        }
        for (int e = 0; e < pairs.length; e += 2) {
            int a = root(parent, Arrays.binarySearch(nodes, pairs[e]));
            int b = root(parent, Arrays.binarySearch(nodes, pairs[e + 1]));
            if (a != b) {
                parent[Math.max(a, b)] = Math.min(a, b);
            }
        }
        long[] out = new long[2 * n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            int r = root(parent, i);
            if (r != i) {
                out[m++] = nodes[i];
                out[m++] = nodes[r];
            }
        }
        return Arrays.copyOf(out, m);
    }

    private static int root(int[] parent, int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]]; // path halving
            x = parent[x];
        }
        return x;
    }

    /**
     * @param edges undirected edges (self loops and duplicates allowed)
     * @return {@code (node, componentMin)} for every node of an edge that is not its component's minimum
     */
    public static JavaPairRDD<Long, Long> run(JavaPairRDD<Long, Long> edges, int maxRounds, Consumer<String> progress) {
        JavaPairRDD<Long, Long> e = edges.filter(t -> !t._1().equals(t._2()))
                .mapToPair(t -> t._1() < t._2() ? new Tuple2<>(t._2(), t._1()) : t)
                .distinct()
                .persist(StorageLevel.MEMORY_AND_DISK());
        for (int round = 1; round <= maxRounds; round++) {
            JavaPairRDD<Long, Long> next = smallStar(largeStar(e)).persist(StorageLevel.MEMORY_AND_DISK());
            if (round % 5 == 0) {
                next.rdd().localCheckpoint(); // cut the lineage: each round adds four shuffles
            }
            // One job over all partitions: isEmpty() would run take(1) and rescan with more partitions each time.
            boolean changed = next.subtract(e).union(e.subtract(next)).count() > 0;
            e.unpersist(false);
            e = next;
            if (!changed) {
                progress.accept(String.format("connected components converged after %d rounds (%,d edges)", round, e.count()));
                return e;
            }
        }
        throw new IllegalStateException("connected components did not converge in " + maxRounds
                + " rounds; raise --prepare.dedup.cc_max_rounds");
    }

    /** Large-star: each node u links every larger neighbour to m(u) = min(N(u) ∪ {u}). */
    static JavaPairRDD<Long, Long> largeStar(JavaPairRDD<Long, Long> e) {
        return e.flatMapToPair(t -> List.of(t, new Tuple2<>(t._2(), t._1())).iterator())
                .groupByKey()
                .flatMapToPair(g -> {
                    long u = g._1();
                    long m = minOf(u, g._2());
                    List<Tuple2<Long, Long>> out = new ArrayList<>();
                    for (long v : g._2()) {
                        if (v > u) {
                            out.add(new Tuple2<>(v, m));
                        }
                    }
                    return out.iterator();
                })
                .distinct();
    }

    /** Small-star: each node u links itself and every smaller neighbour to m = min(smaller N(u) ∪ {u}). */
    static JavaPairRDD<Long, Long> smallStar(JavaPairRDD<Long, Long> e) {
        return e.mapToPair(t -> t._1() < t._2() ? new Tuple2<>(t._2(), t._1()) : t)
                .groupByKey()
                .flatMapToPair(g -> {
                    long u = g._1();
                    long m = minOf(u, g._2());
                    List<Tuple2<Long, Long>> out = new ArrayList<>();
                    if (u != m) {
                        out.add(new Tuple2<>(u, m));
                    }
                    for (long v : g._2()) {
                        if (v != m) {
                            out.add(new Tuple2<>(v, m));
                        }
                    }
                    return out.iterator();
                })
                .distinct();
    }

    /** min(neighbours ∪ {u}). */
    private static long minOf(long u, Iterable<Long> neighbours) {
        long m = u;
        for (long v : neighbours) {
            m = Math.min(m, v);
        }
        return m;
    }
}
