package org.verbo.jobs.embed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.verbo.embeddings.store.StoreConfig;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.train.ExecutorSetup;
import org.verbo.models.nn.Kernels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What one task of {@code verbo embed} does with partition K (rows sorted by id): tokenise every row, reject the
 * ones that cannot be embedded (null id, null or empty text) with a reason, cut or chunk the rest to the maximum
 * length, embed them in batches of similar length, and write
 * <ul>
 *   <li>{@code vectors/part-K.parquet} and {@code rejected/part-K.parquet} (written under a task-attempt name, then
 *       renamed),</li>
 *   <li>{@code _texts/part-K.parquet} (when the store keeps texts): the index id and the text kept for snippets, row
 *       for row with the vectors, from which (with the vectors) the driver builds the store's index,</li>
 *   <li>{@code _parts/part-K.json} last: the partition's counts. Its presence marks the partition complete, so a
 *       task that dies earlier leaves nothing a rerun would keep.</li>
 * </ul>
 * A retried attempt overwrites what an earlier attempt renamed into place with the same bytes.
 */
final class PartitionEmbedder {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The work directory's folder of the texts the store keeps. */
    static final String TEXTS = "_texts";

    private PartitionEmbedder() {
    }

    /** Everything a task needs besides its rows. */
    record Spec(EmbedSettings settings, EmbedderCheckpoint checkpoint, int maxLength, List<String> passthroughTypes,
                String workDir) implements java.io.Serializable {
    }

    static String partName(int k) {
        return String.format("part-%05d", k);
    }

    /** A row ready to embed: one window of one input row. */
    private record Piece(int row, int chunk, int[] ids) {
    }

    static Iterator<String> run(int k, Iterator<Row> rows, Spec spec) {
        TaskContext ctx = TaskContext.get();
        int cpus = ctx == null ? 1 : Math.max(1, ctx.cpus());
        ExecutorSetup.ensure(false, cpus);
        Kernels.setThreadBudget(cpus);
        String gpu = ExecutorSetup.bindGpu(ctx);
        long t0 = System.nanoTime();
        long startedMs = System.currentTimeMillis();
        EmbedSettings s = spec.settings();
        Configuration conf = HadoopFiles.confFrom(s.hadoop());
        Embedders.Loaded loaded = Embedders.borrow(spec.checkpoint(), conf);
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        try {
            return List.of(embed(k, rows, spec, loaded, conf, t0, startedMs, loadSeconds, gpu, ctx)).iterator();
        } catch (IOException e) {
            throw new UncheckedIOException("partition " + k + ": " + e.getMessage(), e);
        } finally {
            Embedders.giveBack(spec.checkpoint(), loaded);
        }
    }

    private static String embed(int k, Iterator<Row> rowIt, Spec spec, Embedders.Loaded loaded, Configuration conf,
                                long t0, long startedMs, double loadSeconds, String gpu, TaskContext ctx) throws IOException {
        EmbedSettings s = spec.settings();
        String part = partName(k);
        // Unique across runs too: task attempt ids restart with every SparkContext, and an attempt of an aborted run
        // that is still finishing (a killed task runs on until its next interruptible call) must never rename or
        // overwrite a temp file of the run that follows it.
        String attempt = (ctx == null ? "" : ctx.stageAttemptNumber() + "-" + ctx.attemptNumber() + "-" + ctx.taskAttemptId()
                + "-") + UUID.randomUUID().toString().substring(0, 8);
        Path work = new Path(spec.workDir());
        Path vectorsFile = new Path(new Path(work, "vectors"), part + ".parquet");
        Path rejectedFile = new Path(new Path(work, "rejected"), part + ".parquet");
        Path vectorsTmp = new Path(vectorsFile.getParent(), "." + part + ".parquet." + attempt);
        Path rejectedTmp = new Path(rejectedFile.getParent(), "." + part + ".parquet." + attempt);
        Path textsFile = new Path(new Path(work, TEXTS), part + ".parquet");
        Path textsTmp = new Path(textsFile.getParent(), "." + part + ".parquet." + attempt);
        int maxLen = spec.maxLength();
        int stride = s.chunk() ? Math.max(1, maxLen - s.chunkOverlap()) : maxLen;

        // 1. read and tokenise the partition; rejects go straight to their file
        List<Row> kept = new ArrayList<>();
        List<Piece> pieces = new ArrayList<>();
        Map<String, Long> rejected = new TreeMap<>();
        long input = 0;
        long truncated = 0;
        long tokens = 0;
        try (VectorFiles.Writer rej = new VectorFiles.Writer(rejectedTmp, VectorFiles.rejectedSchema(), conf)) {
            while (rowIt.hasNext()) {
                Row r = rowIt.next();
                input++;
                String id = r.isNullAt(0) ? null : r.getString(0);
                String text = r.isNullAt(1) ? null : r.getString(1);
                String reason = id == null ? "null_id" : text == null ? "null_text" : text.isBlank() ? "empty_text" : null;
                int[] ids = reason == null ? loaded.encoder().encode(text) : null;
                if (reason == null && ids.length == 0) {
                    reason = "no_tokens";
                }
                if (reason != null) {
                    rejected.merge(reason, 1L, Long::sum);
                    Group g = rej.newGroup();
                    if (id != null) {
                        g.append("id", id);
                    }
                    g.append("reason", reason);
                    if (text != null) {
                        g.append("detail", text.length() > 200 ? text.substring(0, 200) : text);
                    }
                    rej.write(g);
                    continue;
                }
                tokens += ids.length;
                int row = kept.size();
                kept.add(r);
                if (ids.length > maxLen) {
                    truncated++;
                }
                if (!s.chunk() || ids.length <= maxLen) {
                    pieces.add(new Piece(row, 0, ids.length > maxLen ? Arrays.copyOf(ids, maxLen) : ids));
                } else {
                    int c = 0;
                    for (int from = 0; ; from += stride) {
                        int to = Math.min(ids.length, from + maxLen);
                        pieces.add(new Piece(row, c++, Arrays.copyOfRange(ids, from, to)));
                        if (to == ids.length) {
                            break;
                        }
                    }
                }
            }
        }

        // 2. embed in batches of similar length (less padding), then back in input order
        long tEncode = System.nanoTime();
        float[][] vectors = loaded.model().encodeByLength(pieces.stream().map(Piece::ids).toList(), s.batchSize());

        double encodeSeconds = (System.nanoTime() - tEncode) / 1e9;
        double readSeconds = (tEncode - t0) / 1e9 - loadSeconds;

        // 3. vectors/ Parquet and the texts the store keeps. No HNSW graph here: the driver builds the store's one
        // index from these files, and a graph per partition would be thrown away there (Lucene's merge keeps only the
        // largest segment's graph and inserts every other vector again), after costing each task a cold Lucene.
        StoreConfig store = storeConfig(s);
        boolean keepTexts = store.storeText();
        try (VectorFiles.Writer vw = new VectorFiles.Writer(vectorsTmp,
                VectorFiles.vectorSchema(s.chunk(), s.passthrough(), spec.passthroughTypes()), conf);
             VectorFiles.Writer tw = keepTexts ? new VectorFiles.Writer(textsTmp, VectorFiles.textSchema(), conf) : null) {
            for (int i = 0; i < pieces.size(); i++) {
                Piece p = pieces.get(i);
                Row r = kept.get(p.row());
                String id = r.getString(0);
                String indexId = indexId(id, p.chunk(), s.chunk());
                // checked here, before the partition commits, not only when the driver indexes it: a vector the
                // similarity cannot rank (non-finite, zero, not unit for dot_product) fails this task
                store.similarity().check("vector of id '" + indexId + "'", vectors[i]);
                Group g = vw.newGroup();
                g.append("id", id);
                if (s.chunk()) {
                    g.append("chunk", p.chunk());
                }
                VectorFiles.putEmbedding(g, vectors[i]);
                for (int c = 0; c < s.passthrough().size(); c++) {
                    VectorFiles.put(g, s.passthrough().get(c), spec.passthroughTypes().get(c), r.get(2 + c));
                }
                vw.write(g);
                if (tw != null) {
                    String text = s.chunk() ? loaded.encoder().decode(p.ids()) : r.getString(1);
                    Group t = tw.newGroup();
                    t.append("id", indexId);
                    t.append("text", text.length() > s.storedTextChars() ? text.substring(0, s.storedTextChars()) : text);
                    tw.write(t);
                }
            }
        }
        if (k == s.failPartition()) {
            throw new IllegalStateException("injected failure (verbo.embed.test.fail_partition) in partition " + k
                    + " after its vectors were written, before it was committed");
        }
        FileSystem fs = vectorsFile.getFileSystem(conf);
        renameOver(fs, vectorsTmp, vectorsFile);
        renameOver(fs, rejectedTmp, rejectedFile);
        if (keepTexts) {
            renameOver(fs, textsTmp, textsFile);
        }

        // 4. the partition's record, last: it commits the partition
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode st = JSON.createObjectNode();
        st.put("partition", k);
        st.put("input", input);
        st.put("embedded", kept.size());
        st.put("vectors", pieces.size());
        ObjectNode rj = st.putObject("rejected");
        rejected.forEach(rj::put);
        st.put("truncated", truncated);
        st.put("tokens", tokens);
        st.put("seconds", seconds);
        st.put("started_ms", startedMs);
        // where the task's time went (scripts/bench.sh embed compares encode with the in-process encoder)
        st.put("load_seconds", loadSeconds);
        st.put("read_tokenize_seconds", readSeconds);
        st.put("encode_seconds", encodeSeconds);
        st.put("write_seconds", seconds - loadSeconds - readSeconds - encodeSeconds);
        st.put("gpu", gpu);
        st.put("executor", org.apache.spark.SparkEnv.get() == null ? "?" : org.apache.spark.SparkEnv.get().executorId());
        String json = JSON.writeValueAsString(st);
        HadoopFiles.writeStringAtomically(new Path(new Path(work, "_parts"), part + ".json").toString(), json, conf);
        return json;
    }

    static String indexId(String id, int chunk, boolean chunked) {
        return chunked ? id + "#" + chunk : id;
    }

    static StoreConfig storeConfig(EmbedSettings s) {
        return StoreConfig.defaults(StoreConfig.Similarity.parse(s.similarity()))
                .withEncoding(StoreConfig.Encoding.parse(s.encoding()))
                .withHnsw(s.maxConn(), s.beamWidth())
                .withStoreText(s.storedTextChars() > 0);
    }

    private static void renameOver(FileSystem fs, Path tmp, Path target) throws IOException {
        if (fs.exists(target)) {
            fs.delete(target, false);
        }
        if (!fs.rename(tmp, target)) {
            throw new IOException("rename " + tmp + " -> " + target + " failed");
        }
    }
}
