package org.verbo.jobs.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.store.SearchHit;
import org.verbo.embeddings.store.VectorRow;
import org.verbo.embeddings.store.VectorStore;
import org.verbo.jobs.TestSpark;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** verbo embed and verbo search end to end on a real local Spark, with a tiny embedder made here. */
class EmbedJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path tokenizer;
    static Path embedder;
    static Path table;

    @BeforeAll
    static void setUp() throws Exception {
        tokenizer = EmbedFixtures.tokenizer(tmp.resolve("tok"));
        embedder = EmbedFixtures.embedder(tmp.resolve("embedder"), tokenizer);
        List<Row> bad = List.of(RowFactory.create("bad-null", null, "x"), RowFactory.create("bad-empty", "", "x"),
                RowFactory.create("bad-blank", "  \n ", "x"), RowFactory.create(null, "text without id", "x"));
        table = EmbedFixtures.table(tmp.resolve("table"), 300, 3, bad);
    }

    private static Map<String, float[]> vectors(Path store) {
        Map<String, float[]> out = new TreeMap<>();
        for (Row r : TestSpark.session().read().parquet(store.resolve("vectors").toString()).collectAsList()) {
            List<Float> l = r.getList(r.fieldIndex("embedding"));
            float[] v = new float[l.size()];
            for (int i = 0; i < v.length; i++) v[i] = l.get(i);
            out.put(r.getString(r.fieldIndex("id")), v);
        }
        return out;
    }

    @Test
    void everyRowIsAccountedForAndVectorsEqualInProcessEncoding() throws Exception {
        Path out = tmp.resolve("store-a");
        int loadsBefore = Embedders.LOADS.get();
        EmbedFixtures.Run r = EmbedFixtures.run("embed", "--input=" + table, "--checkpoint=" + embedder, "--out=" + out,
                "--passthrough=source", "--embed.max_length=16", "--embed.partitions=3", "--master=local[2]");
        assertEquals(0, r.code(), r.err());
        // loaded once per concurrent task slot of the JVM (2 here), not once per task (3 partitions)
        assertTrue(Embedders.LOADS.get() - loadsBefore <= 2, "loads: " + (Embedders.LOADS.get() - loadsBefore));

        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        assertEquals(304, report.path("input_rows").asLong());
        assertEquals(300, report.path("embedded_rows").asLong());
        assertEquals(Map.of("null_text", 1L, "empty_text", 2L, "null_id", 1L), toMap(report.path("rejected")));
        assertTrue(report.path("truncated").asLong() > 50, report.toString());   // texts of 3..32 words, cut at 16 tokens
        // the time split of the tasks (scripts/bench.sh embed reads it): every part measured, none beyond the tasks' total
        JsonNode ts = report.path("task_seconds");
        double parts = 0;
        for (String f : List.of("load_seconds", "read_tokenize_seconds", "encode_seconds", "write_seconds")) {
            assertTrue(ts.path(f).asDouble(-1) >= 0, f + ": " + ts);
            parts += ts.path(f).asDouble();
        }
        assertTrue(ts.path("encode_seconds").asDouble() > 0, ts.toString());
        assertEquals(ts.path("seconds").asDouble(), parts, 1e-6, ts.toString());
        assertTrue(report.path("embed_stage_seconds").asDouble() > 0, report.toString());
        List<Row> rejected = TestSpark.session().read().parquet(out.resolve("rejected").toString()).collectAsList();
        assertEquals(4, rejected.size());

        Map<String, float[]> got = vectors(out);
        assertEquals(300, got.size());
        assertEquals(List.of("id", "embedding", "source"), Arrays.asList(TestSpark.session().read()
                .parquet(out.resolve("vectors").toString()).schema().fieldNames()));
        // the same texts encoded in this JVM, one batch, no Spark
        EmbeddingModel m = EmbeddingCheckpoint.load(embedder);
        BpeEncoder enc = new BpeEncoder(BpeModel.fromHuggingFaceJson(Files.readString(tokenizer)));
        Map<String, String> texts = new HashMap<>();
        for (Row row : TestSpark.session().read().parquet(table.toString()).collectAsList()) {
            if (row.getString(0) != null) texts.put(row.getString(0), row.getString(1));
        }
        List<String> ids = new ArrayList<>(got.keySet());
        List<int[]> toks = new ArrayList<>();
        for (String id : ids) {
            int[] t = enc.encode(texts.get(id));
            toks.add(t.length > 16 ? Arrays.copyOf(t, 16) : t);
        }
        float[][] want = m.encode(toks, java.util.Collections.nCopies(ids.size(), 0), 7);
        for (int i = 0; i < ids.size(); i++) {
            float[] v = got.get(ids.get(i));
            double norm = 0;
            for (int c = 0; c < v.length; c++) {
                assertEquals(want[i][c], v[c], 1e-6, ids.get(i) + "[" + c + "]");
                norm += v[c] * v[c];
            }
            assertEquals(1.0, Math.sqrt(norm), 1e-5);
        }

        JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
        assertEquals(32, manifest.path("dimension").asInt());
        assertEquals(300, manifest.path("count").asLong());
        assertEquals(JSON.readTree(embedder.resolve("embedding_config.json").toFile()).path("model_hash").asText(),
                manifest.path("modelHash").asText());
        assertTrue(manifest.path("recallAt10").asDouble() >= 0.95, manifest.toString());
        assertEquals(50, manifest.path("searchCandidates").asInt(), manifest.toString());   // embed.hnsw.candidates
        assertFalse(Files.exists(out.resolve("_work")));

        // HNSW against brute force over vectors/ Parquet (search --exact), queries of unseen text
        Random rnd = new Random(99);
        double recall = 0;
        int queries = 20;
        for (int q = 0; q < queries; q++) {
            String query = EmbedFixtures.sentence(rnd, 6);
            List<String> hnsw = hitIds(EmbedFixtures.run("search", "--store=" + out, "--query=" + query, "--k=10"));
            List<String> exact = hitIds(EmbedFixtures.run("search", "--store=" + out, "--query=" + query, "--k=10", "--exact"));
            assertEquals(10, exact.size());
            Set<String> truth = new HashSet<>(exact);
            recall += hnsw.stream().filter(truth::contains).count() / 10.0;
        }
        assertTrue(recall / queries >= 0.95, "HNSW recall@10 vs --exact: " + recall / queries);

        // the documented line format
        EmbedFixtures.Run s = EmbedFixtures.run("search", "--store=" + out, "--query=instalar o pacote", "--k=3");
        assertEquals(0, s.code(), s.err());
        List<String> lines = s.out().strip().lines().toList();
        assertEquals(3, lines.size(), s.out());
        for (int i = 0; i < 3; i++) {
            String[] f = lines.get(i).split("\t", -1);
            assertEquals(4, f.length, lines.get(i));
            assertEquals(String.valueOf(i + 1), f[0]);
            assertTrue(f[1].startsWith("doc-"), f[1]);
            assertTrue(f[2].matches("\\d\\.\\d{6}"), f[2]);
            assertEquals(SearchHit.snippetOf(texts.get(f[1])), f[3]);
        }

        // an existing store is refused without --overwrite
        EmbedFixtures.Run again = EmbedFixtures.run("embed", "--input=" + table, "--checkpoint=" + embedder, "--out=" + out);
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
    }

    @Test
    void badUsageFailsAtStartWithOneLine() throws Exception {
        Path out = tmp.resolve("store-bad");
        EmbedFixtures.Run noCol = EmbedFixtures.run("embed", "--input=" + table, "--checkpoint=" + embedder,
                "--out=" + out, "--text-col=body");
        assertEquals(2, noCol.code(), noCol.err());
        assertEquals(1, noCol.err().strip().lines().count(), noCol.err());
        assertTrue(noCol.err().contains("no column 'body'"), noCol.err());

        // a checkpoint whose weights do not match its model_hash
        Path tampered = tmp.resolve("tampered");
        Files.createDirectories(tampered);
        try (Stream<Path> files = Files.list(embedder)) {
            for (Path f : files.toList()) Files.copy(f, tampered.resolve(f.getFileName()));
        }
        byte[] pool = Files.readAllBytes(tampered.resolve("pooling.safetensors"));
        pool[pool.length - 1] ^= 1;
        Files.write(tampered.resolve("pooling.safetensors"), pool);
        EmbedFixtures.Run bad = EmbedFixtures.run("embed", "--input=" + table, "--checkpoint=" + tampered, "--out=" + out);
        assertEquals(2, bad.code(), bad.err());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("does not match its model_hash"), bad.err());

        // a decoder checkpoint is not an embedder
        Path dec = EmbedFixtures.decoderCheckpoint(tmp.resolve("decoder-only"), tokenizer);
        EmbedFixtures.Run notEmb = EmbedFixtures.run("embed", "--input=" + table, "--checkpoint=" + dec, "--out=" + out);
        assertEquals(2, notEmb.code(), notEmb.err());
        assertTrue(notEmb.err().contains("not an embedding checkpoint"), notEmb.err());

        EmbedFixtures.Run noStore = EmbedFixtures.run("search", "--store=" + tmp.resolve("nope"), "--query=x");
        assertEquals(2, noStore.code());
        assertEquals(1, noStore.err().strip().lines().count(), noStore.err());
        assertFalse(Files.exists(out.resolve("manifest.json")));
    }

    @Test
    void aRerunAfterAFailedRunResumesAndEqualsAFreshRun() throws Exception {
        Path small = EmbedFixtures.table(tmp.resolve("table-small"), 60, 4, List.of(RowFactory.create("e", "", "x")));
        String[] common = {"--input=" + small, "--checkpoint=" + embedder, "--embed.partitions=4",
                "--embed.chunk.enabled=true", "--embed.max_length=12", "--embed.chunk.overlap=4", "--master=local[2]"};
        Path fresh = tmp.resolve("fresh");
        assertEquals(0, EmbedFixtures.run(concat(common, "embed", "--out=" + fresh)).code());

        Path resumed = tmp.resolve("resumed");
        EmbedFixtures.Run failed = EmbedFixtures.run(concat(common, "embed", "--out=" + resumed, "--embed.test.fail_partition=3"));
        assertEquals(1, failed.code(), failed.err());
        assertFalse(Files.exists(resumed.resolve("manifest.json")));
        // what a crash leaves: committed partitions; lose one of their files too
        Path work = resumed.resolve("_work");
        // In local mode a task of the aborted job can still be finishing after the command returned (a killed task
        // runs on to its next interruptible call). Its tasks are threads of this JVM, named "Executor task launch
        // worker for task ..." while they run (idle pool threads lose the "for"): wait until none runs (at most 2
        // minutes), then until the committed set stops changing (3 s, at most 60 s). A quiet period alone was not
        // enough under a load of 15 on 2 cores.
        for (int waited = 0; waited < 240 && Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith("Executor task launch worker for")); waited++) {
            Thread.sleep(500);
        }
        List<String> committed = committedParts(work);
        for (int quiet = 0, waited = 0; quiet < 6 && waited < 120; waited++) {
            Thread.sleep(500);
            List<String> now = committedParts(work);
            quiet = now.equals(committed) ? quiet + 1 : 0;
            committed = now;
        }
        assertFalse(committed.isEmpty());
        assertFalse(committed.contains("part-00003.json"));
        String lost = committed.get(0).replace(".json", ".parquet");
        Files.delete(work.resolve("vectors").resolve(lost));

        EmbedFixtures.Run rerun = EmbedFixtures.run(concat(common, "embed", "--out=" + resumed));
        assertEquals(0, rerun.code(), rerun.err());
        JsonNode report = JSON.readTree(resumed.resolve("report.json").toFile());
        assertEquals(committed.size() - 1, report.path("partitions_skipped").asInt(), rerun.out());
        assertEquals(61, report.path("input_rows").asLong());
        assertEquals(1, report.path("rejected").path("empty_text").asLong());

        List<Row> a = sortedRows(fresh);
        List<Row> b = sortedRows(resumed);
        assertEquals(a.size(), b.size());
        assertTrue(a.size() > 60, "chunks: " + a.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).getString(0), b.get(i).getString(0));
            assertEquals(a.get(i).getInt(1), b.get(i).getInt(1));
            assertEquals(a.get(i).getList(2), b.get(i).getList(2), a.get(i).getString(0));
        }
        JsonNode ma = JSON.readTree(fresh.resolve("manifest.json").toFile());
        JsonNode mb = JSON.readTree(resumed.resolve("manifest.json").toFile());
        assertEquals(ma.path("count"), mb.path("count"));
        assertEquals(ma.path("recallAt10"), mb.path("recallAt10"));
        assertNotEquals(0, ma.path("count").asLong());
        // the driver builds the index from the partitions' files in partition order: the same documents in the same
        // order (ids, kept texts, vectors), hence the same graph and the same hits
        try (VectorStore ia = VectorStore.open(fresh.resolve("index")); VectorStore ib = VectorStore.open(resumed.resolve("index"))) {
            Iterator<VectorRow> ra = ia.rows();
            Iterator<VectorRow> rb = ib.rows();
            List<float[]> queries = new ArrayList<>();
            while (ra.hasNext()) {
                assertTrue(rb.hasNext());
                VectorRow x = ra.next();
                VectorRow y = rb.next();
                assertEquals(x.id(), y.id());
                assertEquals(x.text(), y.text(), x.id());
                assertArrayEquals(x.vector(), y.vector(), x.id());
                if (queries.size() < 5) {
                    queries.add(x.vector());
                }
            }
            assertFalse(rb.hasNext());
            for (float[] q : queries) {
                assertEquals(ia.search(q, 10), ib.search(q, 10));
            }
        }
    }

    private static List<String> committedParts(Path work) throws java.io.IOException {
        try (Stream<Path> parts = Files.list(work.resolve("_parts"))) {
            return parts.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        }
    }

    private static List<Row> sortedRows(Path store) {
        return TestSpark.session().read().parquet(store.resolve("vectors").toString())
                .select("id", "chunk", "embedding").orderBy("id", "chunk").collectAsList();
    }

    private static List<String> hitIds(EmbedFixtures.Run r) {
        assertEquals(0, r.code(), r.err());
        return r.out().strip().lines().map(l -> l.split("\t")[1]).toList();
    }

    private static Map<String, Long> toMap(JsonNode n) {
        Map<String, Long> m = new TreeMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
        return m;
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(b, 0, out, 0, b.length);
        System.arraycopy(a, 0, out, b.length, a.length);
        return out;
    }
}
