package org.verbo.embeddings.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Writes one Lucene vector index, a partial store (one Spark partition) or a whole one: one document per row with the
 * id (indexed, stored), the vector ({@link KnnFloatVectorField}, HNSW) and optionally the text (stored only).
 *
 * <p>Every row is checked: its dimension must be the writer's ({@code "vector of id 'x' has 768 dimensions, the store
 * has 1024"}) and it must suit the similarity ({@link StoreConfig.Similarity#check}). Ids are not deduplicated here.
 */
public final class VectorIndexWriter implements Closeable {

    static final String ID = "id";
    static final String VECTOR = "vector";
    static final String TEXT = "text";

    /** Vectors buffered before a flush, as bytes; fixed so flush points, hence segments, depend only on the input. */
    private static final long FLUSH_BYTES = 64L << 20;

    private final Directory directory;
    private final IndexWriter writer;
    private final StoreConfig config;
    private final int dimension;
    private final FieldType vectorType;
    private long count;

    private VectorIndexWriter(Directory directory, IndexWriter writer, StoreConfig config, int dimension) {
        this.directory = directory;
        this.writer = writer;
        this.config = config;
        this.dimension = dimension;
        this.vectorType = KnnFloatVectorField.createFieldType(dimension, config.similarity().luceneFunction());
    }

    /**
     * Creates an index in an empty (or absent) local directory.
     *
     * @throws IllegalArgumentException when dimension is not in 1..config.maxDimensions()
     * @throws IllegalStateException    when dir already holds an index (a rerun never mixes with old output)
     */
    public static VectorIndexWriter create(Path dir, StoreConfig config, int dimension) throws IOException {
        if (dimension < 1 || dimension > config.maxDimensions())
            throw new IllegalArgumentException("dimension must be in 1.." + config.maxDimensions()
                    + " (StoreConfig.maxDimensions), got " + dimension);
        Directory directory = FSDirectory.open(dir);
        try {
            if (DirectoryReader.indexExists(directory))
                throw new IllegalStateException("an index already exists in " + dir + "; refusing to add to it");
            return new VectorIndexWriter(directory, new IndexWriter(directory, writerConfig(config, dimension)), config, dimension);
        } catch (IOException | RuntimeException e) {
            directory.close();
            throw e;
        }
    }

    /**
     * The writer settings every store uses: our codec, no compound files (so index sizes per file type are visible),
     * and serial merges with doc-count flushes so the segments, hence the HNSW graphs, are the same on every run.
     */
    static IndexWriterConfig writerConfig(StoreConfig config, int dimension) {
        TieredMergePolicy merges = new TieredMergePolicy();
        merges.setNoCFSRatio(0.0);
        IndexWriterConfig iwc = new IndexWriterConfig()
                .setCodec(new VectorStoreCodec(config))
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                .setUseCompoundFile(false)
                .setMergePolicy(merges)
                .setMergeScheduler(new SerialMergeScheduler());
        // Doc count first: Lucene refuses to have both flush triggers disabled even for a moment.
        iwc.setMaxBufferedDocs((int) Math.max(1_000, FLUSH_BYTES / (4L * dimension)));
        iwc.setRAMBufferSizeMB(IndexWriterConfig.DISABLE_AUTO_FLUSH);
        return iwc;
    }

    /**
     * Adds one row.
     *
     * @param vector [D], D = this writer's dimension
     * @param text   stored when {@link StoreConfig#storeText()}, ignored otherwise; may be null
     */
    public void add(String id, float[] vector, String text) throws IOException {
        if (id == null) throw new IllegalArgumentException("id must not be null");
        if (vector == null) throw new IllegalArgumentException("vector of id '" + id + "' is null");
        if (vector.length != dimension)
            throw new IllegalArgumentException("vector of id '" + id + "' has " + vector.length
                    + " dimensions, the store has " + dimension);
        config.similarity().check("vector of id '" + id + "'", vector);
        Document doc = new Document();
        doc.add(new StringField(ID, id, Field.Store.YES));
        doc.add(new KnnFloatVectorField(VECTOR, vector, vectorType));
        if (config.storeText() && text != null) doc.add(new StoredField(TEXT, text));
        writer.addDocument(doc);
        count++;
    }

    public int dimension() {
        return dimension;
    }

    /** Rows added so far. */
    public long count() {
        return count;
    }

    /**
     * Merges into one segment (one HNSW graph for a query to walk; a no-op below the flush size), commits and closes;
     * the directory then holds a complete index.
     */
    @Override
    public void close() throws IOException {
        try (directory; writer) {
            writer.forceMerge(1);
            writer.commit();
        }
    }
}
