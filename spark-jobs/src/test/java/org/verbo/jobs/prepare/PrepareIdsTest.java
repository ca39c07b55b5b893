package org.verbo.jobs.prepare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ids from the user's JSONL field or Parquet column (--id-col): missing ids rejected or generated, duplicate ids
 * rejected after their first occurrence, counts in report.json. Real JSONL and Parquet files, a real local Spark.
 * Expected ids and counts are read off the fixtures by hand.
 */
class PrepareIdsTest {

    private static final String TEXT = "Uma frase em português com acentuação: ação, coração e pão, número ";

    @TempDir
    Path tmp;

    private PrepareReport prepare(Path in, Path out, String... overrides) {
        VerboConfig config = TestSpark.config(TestSpark.concat(TestSpark.concat(TestSpark.qualityOff(),
                "prepare.dedup.near", "false"), overrides));
        PrepareSettings s = PrepareSettings.from(config, List.of(in.toString()), out.toString());
        PrepareJob.preflight(s, TestSpark.session().sparkContext().hadoopConfiguration());
        return PrepareJob.run(TestSpark.session(), s, line -> { });
    }

    /** a.jsonl (lines 0..6) then b.jsonl: every case of a JSONL id, each text distinct. */
    private Path jsonlInput() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("jsonl"));
        Files.writeString(in.resolve("a.jsonl"), String.join("\n",
                "{\"doc\": \"x1\", \"text\": \"" + TEXT + "0\", \"lang\": \"pt\"}",
                "{\"doc\": \"x2\", \"text\": \"" + TEXT + "1\"}",
                "{\"doc\": null, \"text\": \"" + TEXT + "2\"}",
                "{\"text\": \"" + TEXT + "3\"}",
                "{\"doc\": \"  \", \"text\": \"" + TEXT + "4\"}",
                "{\"doc\": 7, \"text\": \"" + TEXT + "5\"}",
                "{\"doc\": \"x1\", \"text\": \"" + TEXT + "6\"}") + "\n");
        Files.writeString(in.resolve("b.jsonl"), "{\"doc\": \"x2\", \"text\": \"" + TEXT + "7\"}\n"
                + "{\"doc\": \"x3\", \"text\": \"" + TEXT + "8\"}\n");
        return in;
    }

    @Test
    void jsonlIdsRejectMissingAndLaterDuplicates() throws IOException {
        Path out = tmp.resolve("out");
        PrepareReport r = prepare(jsonlInput(), out, "prepare.id_col", "doc");

        Map<String, Row> corpus = byId(out.resolve("corpus"));
        assertEquals(Map.of("x1", TEXT + "0", "x2", TEXT + "1", "7", TEXT + "5", "x3", TEXT + "8"), texts(corpus));
        Row x1 = corpus.get("x1");
        assertEquals(Map.of("lang", "pt"), x1.getJavaMap(x1.fieldIndex("metadata")), "the id field is not metadata");

        Map<String, Row> rejected = byId(out.resolve("rejected"));
        assertEquals(Map.of("a.jsonl#2", "missing_id", "a.jsonl#3", "missing_id", "a.jsonl#4", "missing_id",
                "x1", "duplicate_id", "x2", "duplicate_id"), reasons(rejected));
        assertTrue(detail(rejected.get("a.jsonl#2")).startsWith("field 'doc' is null"), detail(rejected.get("a.jsonl#2")));
        assertTrue(detail(rejected.get("a.jsonl#3")).startsWith("no field 'doc'"), detail(rejected.get("a.jsonl#3")));
        assertTrue(detail(rejected.get("a.jsonl#4")).startsWith("field 'doc' is blank"), detail(rejected.get("a.jsonl#4")));
        // x1's later line of the same file, x2's line of the next file: each names where the id was first seen
        assertTrue(detail(rejected.get("x2")).endsWith("a.jsonl"), detail(rejected.get("x2")));
        assertTrue(rejected.get("x2").getString(rejected.get("x2").fieldIndex("source")).endsWith("b.jsonl"));

        assertEquals(9, r.records());
        assertEquals(4, r.kept());
        assertEquals(3, r.count("missing_id"));
        assertEquals(2, r.count("duplicate_id"));
        JsonNode ids = new ObjectMapper().readTree(out.resolve("report.json").toFile()).get("ids");
        assertEquals("doc", ids.get("id_col").asText());
        assertEquals("reject", ids.get("missing_id").asText());
        assertEquals(3, ids.get("missing_rejected").asLong());
        assertEquals(0, ids.get("generated").asLong());
        assertEquals(2, ids.get("duplicates_rejected").asLong());
    }

    @Test
    void jsonlMissingIdsCanBeGeneratedFromThePosition() throws IOException {
        Path out = tmp.resolve("out");
        PrepareReport r = prepare(jsonlInput(), out, "prepare.id_col", "doc", "prepare.missing_id", "generate");
        Map<String, String> corpus = texts(byId(out.resolve("corpus")));
        assertEquals(new TreeMap<>(Map.of("x1", TEXT + "0", "x2", TEXT + "1", "a.jsonl#2", TEXT + "2",
                "a.jsonl#3", TEXT + "3", "a.jsonl#4", TEXT + "4", "7", TEXT + "5", "x3", TEXT + "8")), new TreeMap<>(corpus));
        assertEquals(2, r.count("duplicate_id"));
        assertEquals(0, r.count("missing_id"));
        JsonNode ids = new ObjectMapper().readTree(out.resolve("report.json").toFile()).get("ids");
        assertEquals(3, ids.get("generated").asLong());
        assertEquals("generate", ids.get("missing_id").asText());

        // Same inputs, same outputs: a second run gives the same rows.
        Path again = tmp.resolve("again");
        prepare(jsonlInput(), again, "prepare.id_col", "doc", "prepare.missing_id", "generate");
        assertEquals(corpus, texts(byId(again.resolve("corpus"))));
        assertEquals(reasons(byId(out.resolve("rejected"))), reasons(byId(again.resolve("rejected"))));
    }

    @Test
    void parquetIdsAndADuplicateAcrossFormats() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("mixed"));
        SparkSession spark = TestSpark.session();
        StructType withId = new StructType().add("key", DataTypes.StringType).add("text", DataTypes.StringType)
                .add("year", DataTypes.IntegerType);
        spark.createDataFrame(List.of(
                        RowFactory.create("p1", TEXT + "p0", 2020),
                        RowFactory.create(null, TEXT + "p1", 2021),
                        RowFactory.create("p1", TEXT + "p2", 2022),
                        RowFactory.create("j1", TEXT + "p3", 2023)), withId)
                .coalesce(1).write().parquet(tmp.resolve("pq-id").toString());
        PrepareJobTest.copyParquetPart(tmp.resolve("pq-id"), in.resolve("b-with-id.parquet"));
        StructType noId = new StructType().add("text", DataTypes.StringType);
        spark.createDataFrame(List.of(RowFactory.create(TEXT + "q0")), noId)
                .coalesce(1).write().parquet(tmp.resolve("pq-noid").toString());
        PrepareJobTest.copyParquetPart(tmp.resolve("pq-noid"), in.resolve("c-no-id.parquet"));
        // a.jsonl sorts first, so its j1 is the first occurrence and the Parquet row with j1 the duplicate
        Files.writeString(in.resolve("a.jsonl"), "{\"key\": \"j1\", \"text\": \"" + TEXT + "j0\"}\n");

        Path out = tmp.resolve("out");
        PrepareReport r = prepare(in, out, "prepare.id_col", "key");
        Map<String, Row> corpus = byId(out.resolve("corpus"));
        assertEquals(Map.of("j1", TEXT + "j0", "p1", TEXT + "p0"), texts(corpus));
        Row p1 = corpus.get("p1");
        assertEquals(Map.of("year", "2020"), p1.getJavaMap(p1.fieldIndex("metadata")), "the id column is not metadata");
        Map<String, Row> rejected = byId(out.resolve("rejected"));
        assertEquals(Map.of("b-with-id.parquet#1", "missing_id", "c-no-id.parquet#0", "missing_id",
                "p1", "duplicate_id", "j1", "duplicate_id"), reasons(rejected));
        assertTrue(detail(rejected.get("c-no-id.parquet#0")).startsWith("no column 'key'"),
                detail(rejected.get("c-no-id.parquet#0")));
        assertTrue(detail(rejected.get("b-with-id.parquet#1")).startsWith("null in column 'key'"),
                detail(rejected.get("b-with-id.parquet#1")));
        assertTrue(detail(rejected.get("j1")).endsWith("a.jsonl"), detail(rejected.get("j1")));
        assertEquals(r.records(), r.kept() + r.rejectedTotal());

        Path gen = tmp.resolve("gen");
        prepare(in, gen, "prepare.id_col", "key", "prepare.missing_id", "generate");
        assertEquals(Map.of("j1", TEXT + "j0", "p1", TEXT + "p0", "b-with-id.parquet#1", TEXT + "p1",
                "c-no-id.parquet#0", TEXT + "q0"), texts(byId(gen.resolve("corpus"))));
    }

    @Test
    void withoutIdColIdsArePositionalAndNoReportSection() throws IOException {
        Path out = tmp.resolve("out");
        PrepareReport r = prepare(jsonlInput(), out);
        assertEquals(9, r.kept());
        assertTrue(byId(out.resolve("corpus")).containsKey("a.jsonl#0"));
        assertFalse(new ObjectMapper().readTree(out.resolve("report.json").toFile()).has("ids"));
    }

    @Test
    void optionsThatDoNotApplyToTheInputsFailAtStart() throws IOException {
        Path text = Files.createDirectories(tmp.resolve("text"));
        Files.writeString(text.resolve("a.txt"), TEXT);
        Files.writeString(text.resolve("b.html"), "<p>" + TEXT + "</p>");
        Path out = tmp.resolve("out");
        IllegalArgumentException idCol = assertThrows(IllegalArgumentException.class,
                () -> prepare(text, out, "prepare.id_col", "id"));
        assertTrue(idCol.getMessage().startsWith("--id-col applies to JSONL and Parquet inputs, but 2 of the 2 input files"),
                idCol.getMessage());
        IllegalArgumentException textCol = assertThrows(IllegalArgumentException.class,
                () -> prepare(jsonlInput(), out, "prepare.text_col", "body"));
        assertEquals("--text-col applies to parquet inputs, but the inputs are jsonl only", textCol.getMessage());
        IllegalArgumentException split = assertThrows(IllegalArgumentException.class,
                () -> prepare(jsonlInput(), out, "prepare.reader.text_split", "line"));
        assertTrue(split.getMessage().startsWith("--prepare.reader.text_split applies to text inputs"), split.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> prepare(jsonlInput(), out, "prepare.missing_id", "generate"));
        assertTrue(missing.getMessage().startsWith("--prepare.missing_id applies only with --id-col"), missing.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> prepare(jsonlInput(), out, "prepare.id_col", "doc", "prepare.missing_id", "skip"));
        assertEquals("prepare.missing_id must be reject or generate, got 'skip'", bad.getMessage());
        IllegalArgumentException old = assertThrows(IllegalArgumentException.class,
                () -> prepare(jsonlInput(), out, "prepare.id_field", "doc"));
        assertTrue(old.getMessage().contains("--prepare.id_col"), old.getMessage());
        assertFalse(Files.exists(out), "nothing written");

        // From a --conf file: id_col is still checked (it changes the ids written), text_col is not (one file
        // serves runs over different formats).
        Path conf = tmp.resolve("shared.conf");
        Files.writeString(conf, "verbo.prepare { id_col = id, text_col = body }\n");
        PrepareSettings fromFile = PrepareSettings.from(VerboConfig.load(conf.toFile(), Map.of()),
                List.of(text.toString()), out.toString());
        IllegalArgumentException idFromFile = assertThrows(IllegalArgumentException.class,
                () -> PrepareJob.preflight(fromFile, TestSpark.session().sparkContext().hadoopConfiguration()));
        assertTrue(idFromFile.getMessage().startsWith("--id-col applies to JSONL and Parquet inputs"), idFromFile.getMessage());
        Files.writeString(conf, "verbo.prepare { text_col = body }\n");
        PrepareSettings textColFromFile = PrepareSettings.from(VerboConfig.load(conf.toFile(), Map.of()),
                List.of(text.toString()), out.toString());
        assertEquals(2, PrepareJob.preflight(textColFromFile, TestSpark.session().sparkContext().hadoopConfiguration()).size());
    }

    private static Map<String, Row> byId(Path table) {
        Map<String, Row> m = new TreeMap<>();
        for (Row row : TestSpark.session().read().parquet(table.toString()).collectAsList()) {
            Row before = m.put(row.getString(row.fieldIndex("id")), row);
            assertTrue(before == null, "id twice in " + table.getFileName() + ": " + row);
        }
        return m;
    }

    private static Map<String, String> texts(Map<String, Row> rows) {
        Map<String, String> m = new TreeMap<>();
        rows.forEach((id, r) -> m.put(id, r.getString(r.fieldIndex("text"))));
        return m;
    }

    private static Map<String, String> reasons(Map<String, Row> rows) {
        Map<String, String> m = new TreeMap<>();
        rows.forEach((id, r) -> m.put(id, r.getString(r.fieldIndex("reason"))));
        return m;
    }

    private static String detail(Row r) {
        return r.getString(r.fieldIndex("detail"));
    }
}
