package org.verbo.embeddings.store;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.verbo.models.nn.Kernels;

/**
 * The codec a vector store is written with: Lucene 9.12's default codec, except that every vector field uses the HNSW
 * format of the {@link StoreConfig} (float32 or int8 scalar-quantized, with its M and beamWidth) under a raised
 * dimension limit ({@link RaisedDimensionsVectorsFormat}).
 *
 * <p>Why a subclass of Lucene912Codec and no SPI entry of our own: the codec name in the segment stays "Lucene912" and
 * the per-field vector format names stay Lucene's, so the written files are a standard Lucene 9.12 index. Any reader
 * (DirectoryReader, Luke, another service) opens it through Lucene's own SPI registrations; the raised limit matters
 * only while documents are added, which goes through this class. A custom codec name would instead make every reader
 * depend on this jar.
 */
public final class VectorStoreCodec extends Lucene912Codec {

    private final KnnVectorsFormat vectors;

    public VectorStoreCodec(StoreConfig config) {
        KnnVectorsFormat hnsw = switch (config.encoding()) {
            case FLOAT32 -> new Lucene99HnswVectorsFormat(config.maxConn(), config.beamWidth());
            // Two-argument constructor: Lucene's defaults for bits (7), compression (off) and confidence interval.
            case INT8 -> new Lucene99HnswScalarQuantizedVectorsFormat(config.maxConn(), config.beamWidth());
        };
        // float32 graphs are built with the Vector API scorer when the kernels are on (same files; see
        // VectorApiFlatScorer); int8 keeps Lucene's quantized scoring
        boolean vectorApi = config.encoding() == StoreConfig.Encoding.FLOAT32 && Kernels.enabled();
        this.vectors = new RaisedDimensionsVectorsFormat(hnsw, config.maxDimensions(),
                vectorApi ? VectorApiFlatScorer.INSTANCE : null, config.maxConn(), config.beamWidth());
    }

    @Override
    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return vectors;
    }

    /** The Lucene format name the configured encoding writes (recorded per field in the segment). */
    static String formatName(StoreConfig.Encoding encoding) {
        return switch (encoding) {
            case FLOAT32 -> "Lucene99HnswVectorsFormat";
            case INT8 -> Lucene99HnswScalarQuantizedVectorsFormat.NAME;
        };
    }
}
