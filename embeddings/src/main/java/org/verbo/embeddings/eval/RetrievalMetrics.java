package org.verbo.embeddings.eval;

import java.util.List;
import java.util.Set;

/**
 * Rank metrics for one query with binary relevance: a retrieved id is relevant or not. Average them over queries.
 *
 * <ul>
 *   <li>recall@k = |relevant ∩ top k| / |relevant|</li>
 *   <li>nDCG@k = DCG@k / IDCG@k with DCG@k = Σ_{i=1..k} rel_i / log2(i + 1) (Järvelin and Kekäläinen 2002, the
 *       log2 discount as in BEIR / trec_eval) and IDCG@k the DCG of min(|relevant|, k) relevant hits ranked first</li>
 * </ul>
 * A ranking may hold fewer than k ids; repeated ids count once (the first time), as trec_eval does.
 */
public final class RetrievalMetrics {

    private RetrievalMetrics() {
    }

    public static double recallAtK(List<String> ranked, Set<String> relevant, int k) {
        check(relevant, k);
        int found = 0;
        Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            String id = ranked.get(i);
            if (seen.add(id) && relevant.contains(id)) found++;
        }
        return (double) found / relevant.size();
    }

    public static double ndcgAtK(List<String> ranked, Set<String> relevant, int k) {
        check(relevant, k);
        double dcg = 0;
        Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            String id = ranked.get(i);
            if (seen.add(id) && relevant.contains(id)) dcg += discount(i + 1);
        }
        double ideal = 0;
        for (int rank = 1; rank <= Math.min(relevant.size(), k); rank++) ideal += discount(rank);
        return dcg / ideal;
    }

    /** 1 / log2(rank + 1), rank 1-based. */
    private static double discount(int rank) {
        return Math.log(2) / Math.log(rank + 1);
    }

    private static void check(Set<String> relevant, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        if (relevant.isEmpty()) throw new IllegalArgumentException("a query needs at least one relevant id");
    }
}
