package org.verbo.embeddings.store;

import java.io.IOException;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.hnsw.FlatVectorsFormat;
import org.apache.lucene.codecs.hnsw.FlatVectorsScorer;
import org.apache.lucene.codecs.lucene99.Lucene99FlatVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsWriter;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

/**
 * A Lucene vectors format that writes and reads exactly as its delegate does but accepts more dimensions.
 *
 * <p>Why a wrapper: since Lucene 9.8 the dimension limit belongs to the codec ({@code KnnVectorsFormat.getMaxDimensions},
 * 1024 by default) and is checked only when a document is indexed (IndexingChain); the HNSW formats themselves work at
 * any dimension but are final or fix the limit. Why the delegate's name: PerFieldKnnVectorsFormat records the format's
 * name per field and a reader looks it up through SPI, so under the delegate's name the files are a plain
 * Lucene99Hnsw(ScalarQuantized)VectorsFormat that any Lucene 9.12 opens without this class on the classpath.
 */
final class RaisedDimensionsVectorsFormat extends KnnVectorsFormat {

    private final KnnVectorsFormat delegate;
    private final int maxDimensions;
    private final FlatVectorsFormat buildVectors;   // float32 HNSW: the flat format scoring the graph build, or null
    private final int maxConn;
    private final int beamWidth;

    RaisedDimensionsVectorsFormat(KnnVectorsFormat delegate, int maxDimensions) {
        this(delegate, maxDimensions, null, 0, 0);
    }

    /**
     * @param buildScorer when not null (float32 HNSW only), the graph is built with this scorer: the writer is
     *                    Lucene99HnswVectorsWriter over a Lucene99FlatVectorsFormat with it, which writes the same
     *                    files as the delegate (the scorer is not recorded in them)
     */
    RaisedDimensionsVectorsFormat(KnnVectorsFormat delegate, int maxDimensions, FlatVectorsScorer buildScorer,
                                  int maxConn, int beamWidth) {
        super(delegate.getName());
        if (maxDimensions < 1) throw new IllegalArgumentException("maxDimensions must be >= 1, got " + maxDimensions);
        this.delegate = delegate;
        this.maxDimensions = maxDimensions;
        this.buildVectors = buildScorer == null ? null : new Lucene99FlatVectorsFormat(buildScorer);
        this.maxConn = maxConn;
        this.beamWidth = beamWidth;
    }

    @Override
    public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
        if (buildVectors == null) {
            return delegate.fieldsWriter(state);
        }
        // Lucene99HnswVectorsFormat's own writer, one merge worker (a concurrent merge would build a graph that
        // depends on thread timing)
        return new Lucene99HnswVectorsWriter(state, maxConn, beamWidth, buildVectors.fieldsWriter(state), 1, null);
    }

    @Override
    public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
        return delegate.fieldsReader(state);
    }

    @Override
    public int getMaxDimensions(String fieldName) {
        return maxDimensions;
    }

    @Override
    public String toString() {
        return "RaisedDimensionsVectorsFormat(maxDimensions=" + maxDimensions + ", " + delegate + ")";
    }
}
