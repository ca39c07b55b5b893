package org.verbo.jobs.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.model.InstructionTemplate;
import org.verbo.embeddings.store.ExactSearch;
import org.verbo.embeddings.store.SearchHit;
import org.verbo.embeddings.store.StoreConfig;
import org.verbo.embeddings.store.VectorRow;
import org.verbo.embeddings.store.VectorStore;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code verbo search}: a store written by {@code embed} (any Hadoop path) and its embedder. The embedder is the
 * checkpoint whose path {@code manifest.json} records under {@code embedder.checkpoint}; its model hash must equal the
 * manifest's, so a store is never searched with vectors of another model. The query gets the instruction template
 * with the task (NV-Embed's queries are instructed, documents are not).
 */
public final class StoreSearch implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String store;
    private final Configuration conf;
    private final JsonNode manifest;
    private final EmbeddingModel model;
    private final BpeEncoder encoder;
    private final VectorStore index;
    private final StoreConfig.Similarity similarity;

    private StoreSearch(String store, Configuration conf, JsonNode manifest, EmbeddingModel model, BpeEncoder encoder,
                        VectorStore index) {
        this.store = store;
        this.conf = conf;
        this.manifest = manifest;
        this.model = model;
        this.encoder = encoder;
        this.index = index;
        this.similarity = StoreConfig.Similarity.parse(manifest.path("similarity").asText());
    }

    /** @throws IllegalArgumentException with one line for a missing or incomplete store or a mismatched embedder */
    public static StoreSearch open(String store, String checkpointOverride, Configuration conf) throws IOException {
        String manifestPath = HadoopFiles.child(store, EmbedJob.MANIFEST);
        if (!HadoopFiles.exists(manifestPath, conf)) {
            throw new IllegalArgumentException("store not found or incomplete: " + store + " has no " + EmbedJob.MANIFEST);
        }
        JsonNode manifest = JSON.readTree(HadoopFiles.readString(manifestPath, conf));
        String ckptPath = checkpointOverride != null ? checkpointOverride : manifest.path("embedder").path("checkpoint").asText("");
        if (ckptPath.isEmpty()) {
            throw new IllegalArgumentException(manifestPath + " names no embedder checkpoint; pass --checkpoint");
        }
        EmbedderCheckpoint ckpt = EmbedderCheckpoint.resolve(ckptPath, conf);
        if (!ckpt.modelHash().equals(manifest.path("modelHash").asText())) {
            throw new IllegalArgumentException("embedder " + ckpt.path() + " (" + ckpt.modelHash() + ") is not the model "
                    + "that wrote " + store + " (" + manifest.path("modelHash").asText() + ")");
        }
        java.nio.file.Path dir = HadoopFiles.localDir(ckpt.path(), conf);
        EmbeddingModel model = EmbeddingCheckpoint.load(dir);
        BpeEncoder encoder = new BpeEncoder(BpeModel.fromHuggingFaceJson(Files.readString(dir.resolve("tokenizer.json"))));
        java.nio.file.Path indexDir = HadoopFiles.localDir(HadoopFiles.child(store, "index"), conf);
        return new StoreSearch(store, conf, manifest, model, encoder, VectorStore.open(indexDir));
    }

    /** The task the embedder was trained with, from the manifest ("" when none). */
    public String trainedTask() {
        return manifest.path("embedder").path("task").asText("");
    }

    /** The query's unit embedding, with the instruction prefix for task. */
    public float[] embedQuery(String task, String query) {
        if (query == null || query.isBlank()) {
            throw new IllegalArgumentException("--query is empty");
        }
        InstructionTemplate.Tokenized t = model.config().template().query(task, query, encoder::encode);
        return model.encode(List.of(t.ids()), List.of(t.instructionLength()), 1)[0];
    }

    /**
     * HNSW top k from the Lucene index, fetching {@code candidates} neighbours first (0: the store's
     * {@code searchCandidates}, recorded by {@code embed}; never fewer than k).
     */
    public List<SearchHit> search(float[] query, int k, int candidates) throws IOException {
        int fetch = candidates > 0 ? candidates : manifest.path("searchCandidates").asInt(0);
        return index.search(query, k, Math.max(k, fetch));
    }

    /** Brute force top k over {@code vectors/} Parquet; snippets come from the index's stored texts. */
    public List<SearchHit> exact(float[] query, int k) throws IOException {
        boolean chunked = manifest.path("chunked").asBoolean(false);
        List<SearchHit> hits;
        try (ParquetRows rows = new ParquetRows(HadoopFiles.child(store, manifest.path("vectors").asText("vectors")),
                chunked, conf)) {
            hits = ExactSearch.search(rows, query, k, similarity);
        }
        Set<String> ids = hits.stream().map(SearchHit::id).collect(Collectors.toSet());
        Map<String, String> texts = new HashMap<>();
        for (Iterator<VectorRow> it = index.rows(); it.hasNext() && texts.size() < ids.size(); ) {
            VectorRow r = it.next();
            if (ids.contains(r.id())) {
                texts.put(r.id(), r.text());
            }
        }
        List<SearchHit> out = new ArrayList<>();
        for (SearchHit h : hits) {
            out.add(new SearchHit(h.rank(), h.id(), h.score(), h.similarity(), SearchHit.snippetOf(texts.get(h.id()))));
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        index.close();
    }

    /** The rows of a vectors/ directory as the store sees them, one at a time. */
    static final class ParquetRows implements Iterator<VectorRow>, Closeable {
        private final VectorFiles.DirReader files;
        private final boolean chunked;
        private Group next;

        ParquetRows(String dir, boolean chunked, Configuration conf) throws IOException {
            this.files = new VectorFiles.DirReader(dir, conf);
            this.chunked = chunked;
            advance();
        }

        private void advance() {
            try {
                next = files.read();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + files.current() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public VectorRow next() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            Group g = next;
            advance();
            return VectorFiles.vectorRow(g, chunked);
        }

        @Override
        public void close() throws IOException {
            files.close();
        }
    }
}
