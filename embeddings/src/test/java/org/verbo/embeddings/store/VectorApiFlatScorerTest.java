package org.verbo.embeddings.store;

import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;
import org.apache.lucene.util.hnsw.RandomVectorScorer;
import org.apache.lucene.util.hnsw.RandomVectorScorerSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.verbo.models.nn.Kernels;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The graph-building scorer against Lucene's own similarity functions ({@link VectorSimilarityFunction#compare}, the
 * independent reference), with the Vector API kernels and with their scalar fallback, on lengths around the vector
 * width; and its supplier's node-against-node scores.
 */
class VectorApiFlatScorerTest {
    private static final VectorSimilarityFunction[] HANDLED = {VectorSimilarityFunction.COSINE,
            VectorSimilarityFunction.DOT_PRODUCT};

    private boolean saved;

    @BeforeEach
    void save() {
        saved = Kernels.enabled();
    }

    @AfterEach
    void restore() {
        Kernels.setEnabled(saved);
    }

    private static float[] unit(Random rng, int d) {
        float[] v = new float[d];
        double sq = 0;
        for (int i = 0; i < d; i++) {
            v[i] = (float) rng.nextGaussian();
            sq += v[i] * v[i];
        }
        for (int i = 0; i < d; i++) {
            v[i] /= (float) Math.sqrt(sq);
        }
        return v;
    }

    @Test
    void scoresAreLucenesUpToRounding() {
        assertTrue(Kernels.enabled(), "the tests run with the Vector API module");
        Random rng = new Random(5);
        for (boolean kernels : new boolean[]{true, false}) {
            Kernels.setEnabled(kernels);
            for (int d : new int[]{1, 7, 15, 16, 17, 31, 33, 64, 256, 1000}) {
                for (int rep = 0; rep < 20; rep++) {
                    float[] a = unit(rng, d);
                    float[] b = rep % 5 == 0 ? a.clone() : unit(rng, d);
                    for (VectorSimilarityFunction f : HANDLED) {
                        float want = f.compare(a, b);
                        float got = VectorApiFlatScorer.score(f, a, b);
                        assertEquals(want, got, 2e-6f, f + " d=" + d + " kernels " + kernels);
                    }
                }
            }
        }
    }

    @Test
    void supplierScoresNodeAgainstNodeAndFallsBackForOtherFunctions() throws IOException {
        Random rng = new Random(6);
        List<float[]> vs = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            vs.add(unit(rng, 40));
        }
        RandomAccessVectorValues values = RandomAccessVectorValues.fromFloats(vs, 40);
        for (VectorSimilarityFunction f : HANDLED) {
            RandomVectorScorerSupplier supplier = VectorApiFlatScorer.INSTANCE.getRandomVectorScorerSupplier(f, values);
            RandomVectorScorer s3 = supplier.scorer(3);
            RandomVectorScorer s5 = supplier.scorer(5);   // made while s3 is in use: s3 keeps scoring against node 3
            for (int j = 0; j < vs.size(); j++) {
                assertEquals(f.compare(vs.get(3), vs.get(j)), s3.score(j), 2e-6f, f + " 3-" + j);
                assertEquals(f.compare(vs.get(5), vs.get(j)), s5.score(j), 2e-6f, f + " 5-" + j);
            }
            RandomVectorScorer q = VectorApiFlatScorer.INSTANCE.getRandomVectorScorer(f, values, vs.get(7));
            assertEquals(f.compare(vs.get(7), vs.get(2)), q.score(2), 2e-6f);
            assertNotSame(supplier, supplier.copy());
        }
        RandomVectorScorer euclid = VectorApiFlatScorer.INSTANCE.getRandomVectorScorer(VectorSimilarityFunction.EUCLIDEAN,
                values, vs.get(1));
        assertEquals(VectorSimilarityFunction.EUCLIDEAN.compare(vs.get(1), vs.get(4)), euclid.score(4), 0f);
    }
}
