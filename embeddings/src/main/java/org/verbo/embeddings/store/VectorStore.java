package org.verbo.embeddings.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * A read-only vector store: HNSW search, the stored rows, and what the index holds (count, dimension, similarity,
 * encoding). Opens any index written by {@link VectorIndexWriter} or {@link VectorStores#merge} with plain Lucene.
 */
public final class VectorStore implements Closeable {

    private final Directory directory;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    private final int dimension;
    private final StoreConfig.Similarity similarity;
    private final StoreConfig.Encoding encoding;

    private VectorStore(Directory directory, DirectoryReader reader) {
        this.directory = directory;
        this.reader = reader;
        this.searcher = new IndexSearcher(reader);
        FieldInfo info = vectorField(reader);
        this.dimension = info.getVectorDimension();
        this.similarity = similarityOf(info.getVectorSimilarityFunction());
        this.encoding = encodingOf(reader);
    }

    /** Opens the index in dir. @throws IllegalArgumentException when dir holds no vector store */
    public static VectorStore open(Path dir) throws IOException {
        Directory directory = FSDirectory.open(dir);
        try {
            if (!DirectoryReader.indexExists(directory))
                throw new IllegalArgumentException("no Lucene index in " + dir);
            return new VectorStore(directory, DirectoryReader.open(directory));
        } catch (IOException | RuntimeException e) {
            directory.close();
            throw e;
        }
    }

    static FieldInfo vectorField(DirectoryReader reader) {
        for (LeafReaderContext leaf : reader.leaves()) {
            FieldInfo info = leaf.reader().getFieldInfos().fieldInfo(VectorIndexWriter.VECTOR);
            if (info != null && info.getVectorDimension() > 0) return info;
        }
        throw new IllegalArgumentException("the index has no '" + VectorIndexWriter.VECTOR
                + "' vector field (empty, or not written by VectorIndexWriter)");
    }

    private static StoreConfig.Similarity similarityOf(VectorSimilarityFunction f) {
        for (StoreConfig.Similarity s : StoreConfig.Similarity.values()) if (s.luceneFunction() == f) return s;
        throw new IllegalArgumentException("the vector field uses " + f + ", a store supports cosine and dot_product");
    }

    /** The encoding every segment's vector field was written with (recorded per field by PerFieldKnnVectorsFormat). */
    static StoreConfig.Encoding encodingOf(DirectoryReader reader) {
        StoreConfig.Encoding found = null;
        for (LeafReaderContext leaf : reader.leaves()) {
            FieldInfo info = leaf.reader().getFieldInfos().fieldInfo(VectorIndexWriter.VECTOR);
            if (info == null) continue;
            String format = info.getAttribute(PerFieldKnnVectorsFormat.PER_FIELD_FORMAT_KEY);
            StoreConfig.Encoding e = null;
            for (StoreConfig.Encoding x : StoreConfig.Encoding.values())
                if (VectorStoreCodec.formatName(x).equals(format)) e = x;
            if (e == null) throw new IllegalArgumentException("vector format " + format + " is not one a store writes");
            if (found != null && found != e)
                throw new IllegalArgumentException("segments mix " + found.label() + " and " + e.label() + " vectors");
            found = e;
        }
        if (found == null) throw new IllegalArgumentException("the index has no vectors");
        return found;
    }

    public int dimension() {
        return dimension;
    }

    /** Stored rows (live documents; a store never deletes). */
    public int count() {
        return reader.numDocs();
    }

    public StoreConfig.Similarity similarity() {
        return similarity;
    }

    public StoreConfig.Encoding encoding() {
        return encoding;
    }

    /** The index files, for sizes. */
    Directory directory() {
        return directory;
    }

    /**
     * The k approximate nearest neighbours by HNSW.
     *
     * <p>Scores are recomputed from the stored float32 vectors, the ones {@link ExactSearch} reads: for float32 this
     * only repeats Lucene's arithmetic, for int8 it replaces the score of the quantized codes with the true one (and
     * reorders the k hits by it), so an HNSW hit and an exact hit of the same id always show the same score.
     *
     * @param query [D]
     */
    public List<SearchHit> search(float[] query, int k) throws IOException {
        return search(query, k, k);
    }

    /**
     * HNSW search for {@code candidates} neighbours, rescored with the float32 vectors, best k kept.
     *
     * <p>Why more candidates: in Lucene 9.12 the query's k is also the search beam (efSearch), and an int8 graph ranks
     * by approximate scores; asking for more candidates and keeping the k best exact scores buys recall for a little
     * time (Elasticsearch calls it num_candidates).
     *
     * @param candidates HNSW neighbours to fetch, >= k
     */
    public List<SearchHit> search(float[] query, int k, int candidates) throws IOException {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        if (candidates < k) throw new IllegalArgumentException("candidates must be >= k = " + k + ", got " + candidates);
        if (query.length != dimension)
            throw new IllegalArgumentException("query has " + query.length + " dimensions, the store has " + dimension);
        similarity.check("query", query);
        TopDocs top = searcher.search(new KnnFloatVectorQuery(VectorIndexWriter.VECTOR, query, candidates), candidates);
        record Scored(int doc, float score, float raw) {
        }
        List<Scored> scored = new ArrayList<>();
        for (ScoreDoc sd : top.scoreDocs) {
            float raw = similarity.raw(query, vectorOf(sd.doc));
            scored.add(new Scored(sd.doc, StoreConfig.Similarity.luceneScore(raw), raw));
        }
        scored.sort(Comparator.comparingDouble(Scored::score).reversed());
        StoredFields stored = reader.storedFields();
        List<SearchHit> hits = new ArrayList<>(scored.size());
        for (Scored s : scored.subList(0, Math.min(k, scored.size()))) {
            Document d = stored.document(s.doc(), Set.of(VectorIndexWriter.ID, VectorIndexWriter.TEXT));
            hits.add(new SearchHit(hits.size() + 1, d.get(VectorIndexWriter.ID), s.score(), s.raw(),
                    SearchHit.snippetOf(d.get(VectorIndexWriter.TEXT))));
        }
        return hits;
    }

    /** The stored float32 vector of a top-level doc id. */
    private float[] vectorOf(int doc) throws IOException {
        List<LeafReaderContext> leaves = reader.leaves();
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        FloatVectorValues values = leaf.reader().getFloatVectorValues(VectorIndexWriter.VECTOR);
        int target = doc - leaf.docBase;
        if (values == null || values.advance(target) != target)
            throw new IllegalStateException("doc " + doc + " has no vector");
        return values.vectorValue().clone();
    }

    /** Exact top k over this store's own vectors, one pass (the ground truth for {@link #search}). */
    public List<SearchHit> exactSearch(float[] query, int k) {
        return ExactSearch.search(rows(), query, k, similarity);
    }

    /**
     * Every stored row (id, float32 vector, text or null), in index order. Lazily reads one leaf at a time; the
     * iterator throws {@link UncheckedIOException} if the index cannot be read.
     */
    public Iterator<VectorRow> rows() {
        return new Iterator<>() {
            private int leafIndex = -1;
            private FloatVectorValues values;
            private StoredFields stored;
            private int doc = DocIdSetIterator.NO_MORE_DOCS;

            private void advance() {
                try {
                    while (true) {
                        if (values != null) {
                            doc = values.nextDoc();
                            if (doc != DocIdSetIterator.NO_MORE_DOCS) return;
                        }
                        if (++leafIndex >= reader.leaves().size()) {
                            doc = DocIdSetIterator.NO_MORE_DOCS;
                            values = null;
                            return;
                        }
                        LeafReader leaf = reader.leaves().get(leafIndex).reader();
                        values = leaf.getFloatVectorValues(VectorIndexWriter.VECTOR);
                        stored = leaf.storedFields();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            {
                advance();
            }

            @Override
            public boolean hasNext() {
                return doc != DocIdSetIterator.NO_MORE_DOCS;
            }

            @Override
            public VectorRow next() {
                if (!hasNext()) throw new NoSuchElementException();
                try {
                    // vectorValue() reuses its array between calls: copy it.
                    float[] v = values.vectorValue().clone();
                    Document d = stored.document(doc, Set.of(VectorIndexWriter.ID, VectorIndexWriter.TEXT));
                    VectorRow row = new VectorRow(d.get(VectorIndexWriter.ID), v, d.get(VectorIndexWriter.TEXT));
                    advance();
                    return row;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    @Override
    public void close() throws IOException {
        try (directory; reader) {
            // closes reader, then directory
        }
    }
}
