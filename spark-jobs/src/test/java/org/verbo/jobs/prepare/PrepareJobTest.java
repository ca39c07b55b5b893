package org.verbo.jobs.prepare;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.jobs.TestSpark;
import org.verbo.jobs.config.VerboConfig;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrepareJobTest {

    private static final String GOOD = "Uma frase em português com acentuação: ação, coração e pão. ";

    @TempDir
    Path tmp;

    private PrepareReport prepare(Path in, Path out, String... overrides) {
        VerboConfig config = TestSpark.config(overrides);
        PrepareSettings s = PrepareSettings.from(config, List.of(in.toString()), out.toString());
        return PrepareJob.run(TestSpark.session(), s, line -> { });
    }

    @Test
    void theCacheSettingIsTheRunsOwnAndTheUsersWins() throws IOException {
        // prepare turns the columnar cache's compression off for its run only; a value the user set stays as set.
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.writeString(in.resolve("a.txt"), GOOD + "um");
        SparkSession spark = TestSpark.session();
        spark.conf().unset(PrepareJob.CACHE_COMPRESSED);
        assertEquals(1, prepare(in, tmp.resolve("out1"), TestSpark.qualityOff()).kept());
        assertFalse(spark.conf().contains(PrepareJob.CACHE_COMPRESSED), "the session is left as it was");
        spark.conf().set(PrepareJob.CACHE_COMPRESSED, "true");
        try {
            assertEquals(1, prepare(in, tmp.resolve("out2"), TestSpark.qualityOff()).kept());
            assertEquals("true", spark.conf().get(PrepareJob.CACHE_COMPRESSED));
        } finally {
            spark.conf().unset(PrepareJob.CACHE_COMPRESSED);
        }
    }

    @Test
    void everyKindOfBadInputIsCountedAndNoneKillsTheJob() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in"));
        // JSONL: 3 good lines, 2 malformed, 1 without the text field, 1 huge line (over the 64 KiB limit).
        String huge = "{\"text\": \"" + "a".repeat(200_000) + "\"}";
        Files.writeString(in.resolve("docs.jsonl"), String.join("\n",
                "{\"text\": \"" + GOOD + "um\", \"lang\": \"pt\"}",
                "{not json",
                "{\"text\": \"" + GOOD + "dois\", \"lang\": \"pt\"}",
                "{\"body\": \"no text field\"}",
                "[1, 2",
                huge,
                "{\"text\": \"" + GOOD + "três\", \"lang\": \"pt\"}") + "\n");
        Files.writeString(in.resolve("empty.txt"), "");
        byte[] binary = new byte[4096];
        new SplittableRandom(7).nextBytes(binary);
        binary[10] = 0;
        Files.write(in.resolve("blob.bin"), binary);
        Files.write(in.resolve("latin1.txt"), (GOOD + "quatro").getBytes(StandardCharsets.ISO_8859_1));
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(in.resolve("zipped.txt.gz")))) {
            o.write((GOOD + "cinco").getBytes(StandardCharsets.UTF_8));
        }
        Files.writeString(in.resolve("page.html"), "<html><head><title>T</title><script>var x = 1;</script></head>"
                + "<body><nav>Menu Home</nav><p>" + GOOD + "seis</p></body></html>");
        Files.write(in.resolve("broken.parquet"), "this is not parquet at all".getBytes(StandardCharsets.UTF_8));
        SparkSession spark = TestSpark.session();
        StructType schema = new StructType().add("body", DataTypes.StringType);
        spark.createDataFrame(List.of(RowFactory.create("x"), RowFactory.create("y")), schema)
                .coalesce(1).write().parquet(tmp.resolve("pq-nocol").toString());
        copyParquetPart(tmp.resolve("pq-nocol"), in.resolve("nocol.parquet"));
        StructType good = new StructType().add("text", DataTypes.StringType).add("year", DataTypes.IntegerType);
        spark.createDataFrame(List.of(RowFactory.create(GOOD + "sete", 2024), RowFactory.create(null, 2023)), good)
                .coalesce(1).write().parquet(tmp.resolve("pq-good").toString());
        copyParquetPart(tmp.resolve("pq-good"), in.resolve("good.parquet"));

        Path out = tmp.resolve("out");
        PrepareReport r = prepare(in, out, TestSpark.concat(TestSpark.qualityOff(),
                "prepare.reader.max_document_bytes", "65536", "prepare.dedup.near", "false"));

        // Kept: jsonl ×3, latin1, gzip, html, parquet row 1 = 7.
        assertEquals(7, r.kept(), r.toTable());
        assertEquals(2, r.count("malformed_json"), r.toTable());
        assertEquals(1, r.count("missing_field"), r.toTable());
        assertEquals(1, r.count("too_long"), r.toTable());
        assertEquals(1, r.count("decode"), r.toTable());
        assertEquals(2, r.count("missing_column"), r.toTable());
        assertEquals(1, r.count("read_error"), r.toTable());
        assertEquals(2, r.count("empty"), r.toTable()); // empty.txt + the null parquet value
        assertEquals(1, r.decodedWithFallback(), r.toTable());
        assertEquals(r.records(), r.kept() + r.rejectedTotal(), "every record is kept or rejected");

        Dataset<Row> corpus = spark.read().parquet(out.resolve("corpus").toString());
        Map<String, String> byId = new HashMap<>();
        for (Row row : corpus.collectAsList()) {
            byId.put(row.getString(row.fieldIndex("id")), row.getString(row.fieldIndex("text")));
        }
        assertTrue(byId.get("latin1.txt#0").contains("ação, coração e pão"), "ISO-8859-1 re-decoded: " + byId);
        assertTrue(byId.get("page.html#0").endsWith("seis"), byId.get("page.html#0"));
        assertTrue(!byId.get("page.html#0").contains("var x") && !byId.get("page.html#0").contains("Menu Home"));
        Row jsonRow = corpus.where("id = 'docs.jsonl#0'").first();
        assertEquals("pt", jsonRow.<String, String>getJavaMap(jsonRow.fieldIndex("metadata")).get("lang"));
        Row pqRow = corpus.where("id = 'good.parquet#0'").first();
        assertEquals("2024", pqRow.<String, String>getJavaMap(pqRow.fieldIndex("metadata")).get("year"));

        Dataset<Row> rejected = spark.read().parquet(out.resolve("rejected").toString());
        assertEquals(r.rejectedTotal(), rejected.count());
        Row tooLong = rejected.where("reason = 'too_long'").first();
        assertEquals("docs.jsonl#5", tooLong.getString(tooLong.fieldIndex("id")));
        assertTrue(Files.exists(out.resolve("report.json")));
        assertTrue(Files.readString(out.resolve("report.json")).contains("\"malformed_json\" : 2"));
    }

    @Test
    void exactDuplicatesKeepTheFirstOccurrence() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.writeString(in.resolve("a.txt"), GOOD + "igual");
        Files.writeString(in.resolve("b.txt"), "  " + GOOD.replace(" ", "   ") + "igual\n\n"); // same after normalisation
        Files.writeString(in.resolve("c.txt"), GOOD + "diferente");
        Path out = tmp.resolve("out");
        PrepareReport r = prepare(in, out, TestSpark.concat(TestSpark.qualityOff(), "prepare.dedup.near", "false"));
        assertEquals(2, r.kept());
        assertEquals(1, r.count("exact_dup"));
        Row dup = TestSpark.session().read().parquet(out.resolve("rejected").toString()).first();
        assertEquals("b.txt#0", dup.getString(dup.fieldIndex("id")));
        assertEquals("duplicate of a.txt#0", dup.getString(dup.fieldIndex("detail")));
    }

    @Test
    void refusesToMixWithExistingOutputAndNamesMissingInputs() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.writeString(in.resolve("a.txt"), GOOD);
        Path out = tmp.resolve("out");
        String[] opts = TestSpark.concat(TestSpark.qualityOff(), "prepare.dedup.near", "false");
        prepare(in, out, opts);
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> prepare(in, out, opts));
        assertTrue(again.getMessage().contains("already exists"), again.getMessage());
        PrepareReport replaced = prepare(in, out, TestSpark.concat(opts, "prepare.overwrite", "true"));
        assertEquals(1, replaced.kept());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> prepare(tmp.resolve("nope"), tmp.resolve("out2"), opts));
        assertTrue(missing.getMessage().startsWith("input not found: "), missing.getMessage());
    }

    @Test
    void idsAreRelativeToTheInputWhetherItIsGivenRelativeOrAbsolute() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in/sub"));
        Files.writeString(in.resolve("a.txt"), GOOD);
        Path cwd = Path.of("").toAbsolutePath();
        String[] opts = TestSpark.concat(TestSpark.qualityOff(), "prepare.dedup.near", "false");
        for (String input : List.of(tmp.resolve("in").toString(), cwd.relativize(tmp.resolve("in")).toString())) {
            Path out = tmp.resolve("out-" + Math.abs(input.hashCode()));
            prepare(Path.of(input), out, opts);
            Row r = TestSpark.session().read().parquet(out.resolve("corpus").toString()).first();
            assertEquals("sub/a.txt#0", r.getString(r.fieldIndex("id")), input);
        }
    }

    static void copyParquetPart(Path sparkDir, Path target) throws IOException {
        List<Path> parts = new ArrayList<>();
        try (var s = Files.list(sparkDir)) {
            s.filter(p -> p.getFileName().toString().startsWith("part-") && p.toString().endsWith(".parquet")).forEach(parts::add);
        }
        assertEquals(1, parts.size());
        Files.copy(parts.get(0), target);
    }
}
