package org.verbo.embeddings.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Recall@k of a store's HNSW search against exact search, on a seeded sample of the store's own vectors as queries.
 *
 * <p>recall@k = mean over queries of |HNSW top k ∩ exact top k| / k. Why the query's own row is left out of both
 * lists: a stored vector is its own nearest neighbour and HNSW finds it almost always, which would lift the figure
 * by up to 1/k for free; the lists compared are the k nearest other rows (k + 1 are fetched, the query's row dropped).
 */
public final class RecallCheck {

    private RecallCheck() {
    }

    /**
     * @param recall  mean recall@k in [0, 1]
     * @param queries the number of sampled queries
     * @param k       the cut-off
     */
    public record Result(double recall, int queries, int k) {
        public Result {
            if (recall < 0 || recall > 1) throw new IllegalArgumentException("recall must be in [0, 1], got " + recall);
        }
    }

    /**
     * @param sampleSize queries, 1..store.count()
     * @param seed       picks which stored rows are queries
     */
    public static Result run(VectorStore store, int sampleSize, int k, long seed) throws IOException {
        return run(store, sampleSize, k, k, seed);
    }

    /** As {@link #run(VectorStore, int, int, long)} with HNSW fetching {@code candidates} (>= k) before rescoring. */
    public static Result run(VectorStore store, int sampleSize, int k, int candidates, long seed) throws IOException {
        int n = store.count();
        if (sampleSize < 1 || sampleSize > n)
            throw new IllegalArgumentException("sampleSize must be in 1.." + n + ", got " + sampleSize);
        if (k < 1 || k >= n) throw new IllegalArgumentException("k must be in 1.." + (n - 1) + ", got " + k);
        Set<Integer> picked = sample(n, sampleSize, seed);

        // One pass to collect the sampled rows (index order = row ordinal).
        List<VectorRow> queries = new ArrayList<>(sampleSize);
        Iterator<VectorRow> rows = store.rows();
        for (int ord = 0; rows.hasNext(); ord++) {
            VectorRow row = rows.next();
            if (picked.contains(ord)) queries.add(row);
        }
        float[][] q = new float[queries.size()][];
        for (int i = 0; i < q.length; i++) q[i] = queries.get(i).vector();
        // Second pass: exact top k + 1 of every query at once.
        List<List<SearchHit>> exact = ExactSearch.search(store.rows(), q, k + 1, store.similarity());

        double sum = 0;
        for (int i = 0; i < q.length; i++) {
            String self = queries.get(i).id();
            Set<String> truth = topOthers(exact.get(i), self, k);
            Set<String> approx = topOthers(store.search(q[i], k + 1, candidates + 1), self, k);
            int found = 0;
            for (String id : approx) if (truth.contains(id)) found++;
            sum += (double) found / k;
        }
        return new Result(sum / q.length, q.length, k);
    }

    private static Set<String> topOthers(List<SearchHit> hits, String self, int k) {
        Set<String> out = new HashSet<>();
        for (SearchHit h : hits) {
            if (out.size() == k) break;
            if (!h.id().equals(self)) out.add(h.id());
        }
        return out;
    }

    /** sampleSize distinct ordinals in [0, n), seeded (Floyd's algorithm: no O(n) array). */
    static Set<Integer> sample(int n, int sampleSize, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Set<Integer> chosen = new HashSet<>();
        for (int j = n - sampleSize; j < n; j++) {
            int t = random.nextInt(j + 1);
            if (!chosen.add(t)) chosen.add(j);
        }
        return chosen;
    }
}
