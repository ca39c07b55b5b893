package org.verbo.embeddings.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Brute-force top-k over a stream of rows: the ground truth HNSW is measured against ({@code verbo search --exact}).
 *
 * <p>Scores are Lucene's own ({@link StoreConfig.Similarity#luceneScore} of the raw similarity), so an exact hit and an
 * HNSW hit for the same id carry the same numbers. Several queries share one pass over the rows, which is how
 * {@link RecallCheck} scores a sample against a store that does not fit in memory: memory is O(queries × k).
 * Ties are broken by id so the result does not depend on row order.
 */
public final class ExactSearch {

    private ExactSearch() {
    }

    /** Orders candidates worst first, the head of a bounded min-heap: lower score, then larger id, is worse. */
    private static final Comparator<Candidate> WORST_FIRST =
            Comparator.comparingDouble(Candidate::score).thenComparing(Candidate::id, Comparator.reverseOrder());

    private record Candidate(String id, float score, float similarity, String text) {
    }

    /** Top k rows for one query. */
    public static List<SearchHit> search(Iterator<VectorRow> rows, float[] query, int k, StoreConfig.Similarity similarity) {
        return search(rows, new float[][] {query}, k, similarity).get(0);
    }

    /**
     * Top k rows for each query, in one pass over rows.
     *
     * @param queries [Q][D]; each is checked as the store checks vectors
     * @return Q lists of at most k hits, best first
     */
    public static List<List<SearchHit>> search(Iterator<VectorRow> rows, float[][] queries, int k,
                                               StoreConfig.Similarity similarity) {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        if (queries.length == 0) throw new IllegalArgumentException("no queries");
        int dim = queries[0].length;
        for (int q = 0; q < queries.length; q++) {
            if (queries[q].length != dim)
                throw new IllegalArgumentException("query " + q + " has " + queries[q].length + " dimensions, query 0 has " + dim);
            similarity.check("query " + q, queries[q]);
        }
        List<PriorityQueue<Candidate>> heaps = new ArrayList<>();
        for (int q = 0; q < queries.length; q++) heaps.add(new PriorityQueue<>(k + 1, WORST_FIRST));
        while (rows.hasNext()) {
            VectorRow row = rows.next();
            if (row.vector().length != dim)
                throw new IllegalArgumentException("row '" + row.id() + "' has " + row.vector().length
                        + " dimensions, the query has " + dim);
            // The store rejects these at write time; rows from Parquet get the same check so no NaN score can rank.
            similarity.check("row '" + row.id() + "'", row.vector());
            for (int q = 0; q < queries.length; q++) {
                float raw = similarity.raw(queries[q], row.vector());
                Candidate c = new Candidate(row.id(), StoreConfig.Similarity.luceneScore(raw), raw, row.text());
                PriorityQueue<Candidate> heap = heaps.get(q);
                if (heap.size() < k) heap.add(c);
                else if (WORST_FIRST.compare(c, heap.peek()) > 0) {
                    heap.poll();
                    heap.add(c);
                }
            }
        }
        List<List<SearchHit>> out = new ArrayList<>(queries.length);
        for (PriorityQueue<Candidate> heap : heaps) {
            List<Candidate> best = new ArrayList<>(heap);
            best.sort(WORST_FIRST.reversed());
            List<SearchHit> hits = new ArrayList<>(best.size());
            for (int i = 0; i < best.size(); i++) {
                Candidate c = best.get(i);
                hits.add(new SearchHit(i + 1, c.id(), c.score(), c.similarity(), SearchHit.snippetOf(c.text())));
            }
            out.add(hits);
        }
        return out;
    }
}
