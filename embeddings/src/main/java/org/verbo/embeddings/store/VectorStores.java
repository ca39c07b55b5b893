package org.verbo.embeddings.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.IOUtils;
import org.apache.lucene.util.Version;

/** Assembling a store: partial indexes (one per Spark partition) merged into one, and its manifest. */
public final class VectorStores {

    private VectorStores() {
    }

    /**
     * Merges partial indexes into one single-segment index in target, built with config.
     *
     * <p>Each partial must have the config's similarity and encoding, and all the same dimension: addIndexes copies
     * segments as they are, so a mismatch would otherwise survive into the store (or be rejected deep inside Lucene).
     * forceMerge(1) then rebuilds one HNSW graph over all vectors with the config's M and beamWidth.
     *
     * @param partials local directories written by {@link VectorIndexWriter}; empty partials (no rows) are skipped
     * @param target   a local directory without an index
     * @return the number of vectors in the store
     * @throws IllegalArgumentException when partials disagree with each other or with config, or none has rows
     * @throws IllegalStateException    when target already holds an index
     */
    public static long merge(List<Path> partials, Path target, StoreConfig config) throws IOException {
        if (partials.isEmpty()) throw new IllegalArgumentException("no partial indexes to merge");
        List<Directory> sources = new ArrayList<>();
        try {
            int dimension = -1;
            for (Path p : partials) {
                Directory d = FSDirectory.open(p);
                sources.add(d);
                if (!DirectoryReader.indexExists(d)) throw new IllegalArgumentException("no Lucene index in " + p);
                try (DirectoryReader r = DirectoryReader.open(d)) {
                    if (r.numDocs() == 0) {
                        sources.remove(sources.size() - 1);
                        d.close();
                        continue;
                    }
                    int dim = checkPartial(p, r, config);
                    if (dimension != -1 && dim != dimension)
                        throw new IllegalArgumentException("partial " + p + " has dimension " + dim + ", the first has " + dimension);
                    dimension = dim;
                }
            }
            if (sources.isEmpty()) throw new IllegalArgumentException("all " + partials.size() + " partial indexes are empty");
            try (Directory out = FSDirectory.open(target)) {
                if (DirectoryReader.indexExists(out))
                    throw new IllegalStateException("an index already exists in " + target + "; refusing to merge into it");
                try (IndexWriter w = new IndexWriter(out, VectorIndexWriter.writerConfig(config, dimension))) {
                    w.addIndexes(sources.toArray(Directory[]::new));
                    w.forceMerge(1);
                    w.commit();
                    return w.getDocStats().numDocs;
                }
            }
        } finally {
            IOUtils.close(sources);
        }
    }

    /** Checks one partial against config and returns its dimension. */
    private static int checkPartial(Path p, DirectoryReader r, StoreConfig config) {
        FieldInfo info = VectorStore.vectorField(r);
        if (info.getVectorSimilarityFunction() != config.similarity().luceneFunction())
            throw new IllegalArgumentException("partial " + p + " uses " + info.getVectorSimilarityFunction()
                    + ", the config says " + config.similarity().label());
        if (info.getVectorDimension() > config.maxDimensions())
            throw new IllegalArgumentException("partial " + p + " has dimension " + info.getVectorDimension()
                    + ", above maxDimensions " + config.maxDimensions());
        for (LeafReaderContext leaf : r.leaves()) {
            FieldInfo fi = leaf.reader().getFieldInfos().fieldInfo(VectorIndexWriter.VECTOR);
            if (fi == null) continue;
            String format = fi.getAttribute(PerFieldKnnVectorsFormat.PER_FIELD_FORMAT_KEY);
            if (!VectorStoreCodec.formatName(config.encoding()).equals(format))
                throw new IllegalArgumentException("partial " + p + " was written as " + format + ", the config says "
                        + config.encoding().label() + " (" + VectorStoreCodec.formatName(config.encoding()) + ")");
        }
        return info.getVectorDimension();
    }

    /**
     * Describes a finished store: counts and parameters read from the index itself, HNSW recall@10 measured on a
     * seeded sample of its own vectors ({@link RecallCheck}), and the index size per vector.
     *
     * @param modelHash  the embedding checkpoint's hash, recorded as given
     * @param recallSample how many stored vectors serve as recall queries (capped at the count)
     */
    public static StoreManifest describe(Path index, StoreConfig config, String modelHash, int recallSample, long seed)
            throws IOException {
        return describe(index, config, modelHash, recallSample, seed, 10);
    }

    /**
     * As {@link #describe(Path, StoreConfig, String, int, long)}, the recall measured with HNSW fetching
     * {@code searchCandidates} (>= 10) neighbours per query before keeping the best 10, as a search of the store does.
     */
    public static StoreManifest describe(Path index, StoreConfig config, String modelHash, int recallSample, long seed,
                                         int searchCandidates) throws IOException {
        if (searchCandidates < 10) {
            throw new IllegalArgumentException("search candidates must be >= 10 (the recall's k), got " + searchCandidates);
        }
        try (VectorStore store = VectorStore.open(index)) {
            if (store.similarity() != config.similarity() || store.encoding() != config.encoding())
                throw new IllegalArgumentException("the index is " + store.similarity().label() + "/" + store.encoding().label()
                        + ", the config says " + config.similarity().label() + "/" + config.encoding().label());
            RecallCheck.Result recall = RecallCheck.run(store, Math.min(recallSample, store.count()), 10,
                    searchCandidates, seed);
            IndexSize size = IndexSize.of(store);
            return new StoreManifest(modelHash, store.dimension(), store.count(), config.similarity().label(),
                    config.encoding().label(), config.maxConn(), config.beamWidth(), config.storeText(),
                    recall.recall(), recall.queries(), seed,
                    (double) size.totalBytes() / store.count(), (double) size.searchBytes() / store.count(),
                    Version.LATEST.toString(), java.time.Instant.now().toString(), searchCandidates);
        }
    }
}
