package org.verbo.jobs.prepare;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.util.ArrayList;
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
 */
public final class ConnectedComponents {

    private ConnectedComponents() {
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
