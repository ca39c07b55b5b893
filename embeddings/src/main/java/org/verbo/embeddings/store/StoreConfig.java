package org.verbo.embeddings.store;

import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.VectorUtil;

/**
 * How a vector store is built: the similarity its HNSW graph ranks by, how the vectors are encoded, the HNSW
 * parameters, whether the text travels with the vector, and the largest dimension the codec accepts.
 *
 * @param similarity    {@link Similarity#COSINE} or {@link Similarity#DOT_PRODUCT}; dot product requires unit vectors
 * @param encoding      {@link Encoding#FLOAT32} (Lucene99HnswVectorsFormat) or {@link Encoding#INT8}
 *                      (Lucene99HnswScalarQuantizedVectorsFormat, see {@link Encoding#INT8})
 * @param maxConn       HNSW M, the neighbours kept per node (Malkov and Yashunin 2018, section 4); Lucene allows 1..512
 * @param beamWidth     HNSW efConstruction, the candidate list while inserting; Lucene allows 1..3200
 * @param storeText     whether the document text is stored beside the vector (for snippets)
 * @param maxDimensions the largest vector dimension the store's codec accepts (Lucene's own default is 1024)
 */
public record StoreConfig(Similarity similarity, Encoding encoding, int maxConn, int beamWidth, boolean storeText,
                          int maxDimensions) {

    /** Lucene's defaults (Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN and DEFAULT_BEAM_WIDTH). */
    public static final int DEFAULT_MAX_CONN = 16;
    public static final int DEFAULT_BEAM_WIDTH = 100;
    /** 4096 covers NV-Embed-v2 (4096-dim) and the 1536/3072-dim embedding APIs; Lucene's own default stops at 1024. */
    public static final int DEFAULT_MAX_DIMENSIONS = 4096;

    public StoreConfig {
        if (similarity == null) throw new IllegalArgumentException("similarity must be cosine or dot_product, got null");
        if (encoding == null) throw new IllegalArgumentException("encoding must be float32 or int8, got null");
        if (maxConn < 1 || maxConn > Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN)
            throw new IllegalArgumentException("maxConn (HNSW M) must be in 1.." + Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN
                    + ", got " + maxConn);
        if (beamWidth < 1 || beamWidth > Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH)
            throw new IllegalArgumentException("beamWidth must be in 1.." + Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH
                    + ", got " + beamWidth);
        if (maxDimensions < 1) throw new IllegalArgumentException("maxDimensions must be >= 1, got " + maxDimensions);
    }

    /** float32 vectors, M=16, beamWidth=100, text stored, up to 4096 dimensions. */
    public static StoreConfig defaults(Similarity similarity) {
        return new StoreConfig(similarity, Encoding.FLOAT32, DEFAULT_MAX_CONN, DEFAULT_BEAM_WIDTH, true, DEFAULT_MAX_DIMENSIONS);
    }

    public StoreConfig withEncoding(Encoding e) {
        return new StoreConfig(similarity, e, maxConn, beamWidth, storeText, maxDimensions);
    }

    public StoreConfig withHnsw(int m, int beam) {
        return new StoreConfig(similarity, encoding, m, beam, storeText, maxDimensions);
    }

    public StoreConfig withStoreText(boolean store) {
        return new StoreConfig(similarity, encoding, maxConn, beamWidth, store, maxDimensions);
    }

    public StoreConfig withMaxDimensions(int max) {
        return new StoreConfig(similarity, encoding, maxConn, beamWidth, storeText, max);
    }

    /** The similarity a store ranks by, with Lucene's score for it. */
    public enum Similarity {
        /** cos(q, v); Lucene's score is (1 + cos) / 2 (VectorSimilarityFunction.COSINE). Zero vectors are rejected. */
        COSINE(VectorSimilarityFunction.COSINE),
        /**
         * q · v on unit vectors, which then equals the cosine but skips the norms; Lucene's score is (1 + dot) / 2
         * (VectorSimilarityFunction.DOT_PRODUCT). Lucene does not check unit length and ranks wrongly without it,
         * so {@link #check} rejects any vector whose squared norm is not within 1e-4 of 1 (VectorUtil.isUnitVector).
         */
        DOT_PRODUCT(VectorSimilarityFunction.DOT_PRODUCT);

        private final VectorSimilarityFunction lucene;

        Similarity(VectorSimilarityFunction lucene) {
            this.lucene = lucene;
        }

        public VectorSimilarityFunction luceneFunction() {
            return lucene;
        }

        /** The raw similarity: cos(q, v) or q · v, in [-1, 1] for the vectors this store accepts. */
        public float raw(float[] q, float[] v) {
            return this == COSINE ? VectorUtil.cosine(q, v) : VectorUtil.dotProduct(q, v);
        }

        /** Lucene's score for a raw similarity: (1 + s) / 2, clipped at 0 as Lucene 9.12 does. */
        public static float luceneScore(float raw) {
            return Math.max((1 + raw) / 2, 0f);
        }

        /** Inverse of {@link #luceneScore} (exact except where Lucene clipped at 0). */
        public static float rawFromLuceneScore(float score) {
            return 2 * score - 1;
        }

        /** Rejects a vector this similarity cannot rank: non-finite entries, a zero vector (cosine), a non-unit one (dot product). */
        public void check(String what, float[] v) {
            double sq = 0;
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) throw new IllegalArgumentException(what + " has a non-finite value at index " + i);
                sq += (double) v[i] * v[i];
            }
            if (this == COSINE && sq == 0) throw new IllegalArgumentException(what + " is the zero vector; cosine is undefined");
            if (this == DOT_PRODUCT && !VectorUtil.isUnitVector(v))
                throw new IllegalArgumentException(what + " is not unit length (norm " + (float) Math.sqrt(sq)
                        + "); dot_product needs unit vectors: normalize them or use cosine");
        }

        /** The lower-case name used on the command line and in the manifest. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Similarity parse(String s) {
            for (Similarity x : values()) if (x.label().equals(s)) return x;
            throw new IllegalArgumentException("similarity must be cosine or dot_product, got '" + s + "'");
        }
    }

    /** How the vectors the HNSW graph scores are held. */
    public enum Encoding {
        /** 4 bytes per dimension, Lucene99HnswVectorsFormat. */
        FLOAT32,
        /**
         * Lucene99HnswScalarQuantizedVectorsFormat with its defaults (7 bits, confidence interval derived from the
         * dimension): the graph is built and searched on 1-byte codes, while the float32 vectors are kept too (Lucene
         * needs them to requantize on merge), so the files grow while the bytes a search touches shrink.
         */
        INT8;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Encoding parse(String s) {
            for (Encoding x : values()) if (x.label().equals(s)) return x;
            throw new IllegalArgumentException("encoding must be float32 or int8, got '" + s + "'");
        }
    }
}
