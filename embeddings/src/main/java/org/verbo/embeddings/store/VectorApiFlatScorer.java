package org.verbo.embeddings.store;

import org.apache.lucene.codecs.hnsw.DefaultFlatVectorScorer;
import org.apache.lucene.codecs.hnsw.FlatVectorsScorer;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;
import org.apache.lucene.util.hnsw.RandomVectorScorer;
import org.apache.lucene.util.hnsw.RandomVectorScorerSupplier;
import org.verbo.models.nn.Kernels;

import java.io.IOException;

/**
 * Scores float vectors for Lucene's HNSW graph building with the JDK Vector API ({@link Kernels#dot},
 * {@link Kernels#cosine}), for cosine and dot product; everything else goes to Lucene's default scorer.
 *
 * <p>Why: Lucene 9.12 vectorises its similarity functions only on Java 20-22; on Java 17 it runs scalar loops, and
 * the store's graph build (every insertion scores about a thousand candidates) was the driver's largest step after
 * the Spark stage. The scores are Lucene's ({@code max((1 + s) / 2, 0)}, s the dot product or cosine) up to float
 * rounding, so the graph may differ from a stock build in near ties, never in kind; the files are the plain
 * Lucene99HnswVectorsFormat (the scorer is not recorded), and searches score with Lucene's own functions.
 */
final class VectorApiFlatScorer implements FlatVectorsScorer {
    static final VectorApiFlatScorer INSTANCE = new VectorApiFlatScorer();

    private static final FlatVectorsScorer LUCENE = DefaultFlatVectorScorer.INSTANCE;

    private VectorApiFlatScorer() {
    }

    private static boolean handles(VectorSimilarityFunction f, RandomAccessVectorValues values) {
        return (f == VectorSimilarityFunction.COSINE || f == VectorSimilarityFunction.DOT_PRODUCT)
                && values instanceof RandomAccessVectorValues.Floats;
    }

    /** Lucene's score of similarity f between a and b (VectorSimilarityFunction.compare). */
    static float score(VectorSimilarityFunction f, float[] a, float[] b) {
        return StoreConfig.Similarity.luceneScore(f == VectorSimilarityFunction.COSINE ? Kernels.cosine(a, b)
                : Kernels.dot(a, b));
    }

    @Override
    public RandomVectorScorerSupplier getRandomVectorScorerSupplier(VectorSimilarityFunction f,
                                                                    RandomAccessVectorValues values) throws IOException {
        if (!handles(f, values)) {
            return LUCENE.getRandomVectorScorerSupplier(f, values);
        }
        return new Supplier((RandomAccessVectorValues.Floats) values, f);
    }

    @Override
    public RandomVectorScorer getRandomVectorScorer(VectorSimilarityFunction f, RandomAccessVectorValues values,
                                                    float[] target) throws IOException {
        if (!handles(f, values)) {
            return LUCENE.getRandomVectorScorer(f, values, target);
        }
        if (target.length != values.dimension()) {
            throw new IllegalArgumentException("vector query dimension: " + target.length
                    + " differs from field dimension: " + values.dimension());
        }
        return scorer((RandomAccessVectorValues.Floats) values, target, f);
    }

    @Override
    public RandomVectorScorer getRandomVectorScorer(VectorSimilarityFunction f, RandomAccessVectorValues values,
                                                    byte[] target) throws IOException {
        return LUCENE.getRandomVectorScorer(f, values, target);
    }

    private static RandomVectorScorer scorer(RandomAccessVectorValues.Floats values, float[] query,
                                             VectorSimilarityFunction f) {
        return new RandomVectorScorer.AbstractRandomVectorScorer(values) {
            @Override
            public float score(int node) throws IOException {
                return VectorApiFlatScorer.score(f, query, values.vectorValue(node));
            }
        };
    }

    /**
     * Node-against-node scorers, as Lucene's: one copy of the values gives the query vector (the values may reuse
     * the array they return), another the scored ones.
     */
    private static final class Supplier implements RandomVectorScorerSupplier {
        private final RandomAccessVectorValues.Floats values;
        private final RandomAccessVectorValues.Floats queries;
        private final RandomAccessVectorValues.Floats targets;
        private final VectorSimilarityFunction f;

        Supplier(RandomAccessVectorValues.Floats values, VectorSimilarityFunction f) throws IOException {
            this.values = values;
            this.queries = values.copy();
            this.targets = values.copy();
            this.f = f;
        }

        @Override
        public RandomVectorScorer scorer(int ord) throws IOException {
            // a copy: the values may hand out one reused array, and scorers of other nodes are made meanwhile
            return VectorApiFlatScorer.scorer(targets, queries.vectorValue(ord).clone(), f);
        }

        @Override
        public RandomVectorScorerSupplier copy() throws IOException {
            return new Supplier(values.copy(), f);
        }
    }

    @Override
    public String toString() {
        return "VectorApiFlatScorer()";
    }
}
