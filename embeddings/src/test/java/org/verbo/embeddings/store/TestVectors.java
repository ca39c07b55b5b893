package org.verbo.embeddings.store;

import java.util.Random;

/** Seeded random unit vectors: Gaussian entries scaled to norm 1, so they are uniform on the sphere. */
final class TestVectors {

    private TestVectors() {
    }

    static float[][] unit(int n, int dim, long seed) {
        Random r = new Random(seed);
        float[][] out = new float[n][dim];
        for (float[] v : out) {
            double sq = 0;
            for (int i = 0; i < dim; i++) {
                v[i] = (float) r.nextGaussian();
                sq += (double) v[i] * v[i];
            }
            float inv = (float) (1 / Math.sqrt(sq));
            for (int i = 0; i < dim; i++) v[i] *= inv;
        }
        return out;
    }

    static String id(int i) {
        return String.format("doc-%05d", i);
    }
}
