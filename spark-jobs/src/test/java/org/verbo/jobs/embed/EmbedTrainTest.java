package org.verbo.jobs.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.jobs.TestSpark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** verbo embed-train: mined pairs, a pairs table with bad rows, resume. */
class EmbedTrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path decoder;

    @BeforeAll
    static void setUp() throws Exception {
        decoder = EmbedFixtures.decoderCheckpoint(tmp.resolve("decoder"), EmbedFixtures.tokenizer(tmp.resolve("tok")));
    }

    @Test
    void minerPairsHeadingsAndFirstSentences() {
        PairMiner m = new PairMiner(5, 10);
        List<TextPair> p = m.mine("d", "Instalar pacotes\n\nO comando apt instala pacotes. Ele resolve as dependencias.\n\n"
                + "Uma frase so.");
        assertEquals(2, p.size());
        assertEquals("Instalar pacotes", p.get(0).query());
        assertEquals("O comando apt instala pacotes. Ele resolve as dependencias.", p.get(0).positive());
        assertEquals("O comando apt instala pacotes.", p.get(1).query());
        assertEquals("Ele resolve as dependencias.", p.get(1).positive());
    }

    @Test
    void repeatedTextsAreNeitherKeptTwiceNorTheirOwnNegatives() {
        // one manual as an HTML page and as plain text: the same paragraph with other spacing, quotes and case
        List<TextPair> mined = List.of(
                new TextPair("Instalar pacotes", "O comando `apt` instala pacotes.", List.of(), "html#p1.h"),
                new TextPair("Remover pacotes", "O comando apt remove pacotes e configura.", List.of(), "html#p3.h"),
                new TextPair("INSTALAR  PACOTES", "O comando \"apt\"  instala pacotes", List.of(), "txt#p1.h"),
                new TextPair("Outro titulo", "o comando apt instala pacotes", List.of(), "txt#p2.h"),
                new TextPair("Remover pacotes", "Texto novo sobre remocao de pacotes antigos.", List.of(), "txt#p3.h"),
                new TextPair("Atualizar", "O comando apt atualiza pacotes instalados.", List.of(), "txt#p4.h"));
        Map<String, Long> rejected = new java.util.TreeMap<>();
        List<TextPair> kept = TrainingPairs.withoutRepeats(mined, rejected);
        assertEquals(List.of("html#p1.h", "html#p3.h", "txt#p4.h"), kept.stream().map(TextPair::source).toList());
        assertEquals(Map.of("repeated_positive", 2L, "repeated_query", 1L), rejected);

        // BM25 ranks the copy of a positive first; it is skipped as a negative, the next text is taken
        List<TextPair> withCopy = List.of(mined.get(0), mined.get(3), mined.get(1), mined.get(5));
        List<TextPair> negs = TrainingPairs.withBm25Negatives(withCopy, 1);
        String neg = negs.get(0).negatives().get(0);
        assertTrue(!TrainingPairs.normalize(neg).equals(TrainingPairs.normalize(mined.get(0).positive())), neg);
    }

    @Test
    void minedPairsLowerTheLossAndGiveALoadableEmbedder() throws Exception {
        Random r = new Random(1);
        List<Row> docs = new ArrayList<>();
        for (int d = 0; d < 12; d++) {
            StringBuilder text = new StringBuilder();
            for (int p = 0; p < 6; p++) {
                text.append(EmbedFixtures.sentence(r, 5)).append(' ').append(EmbedFixtures.sentence(r, 10)).append(' ')
                        .append(EmbedFixtures.sentence(r, 8)).append("\n\n");
            }
            docs.add(RowFactory.create("d" + d, text.toString()));
        }
        Path corpus = tmp.resolve("corpus");
        TestSpark.session().createDataFrame(docs, new StructType().add("id", DataTypes.StringType)
                .add("text", DataTypes.StringType)).write().parquet(corpus.toString());
        Path out = tmp.resolve("mined");
        EmbedFixtures.Run run = EmbedFixtures.run("embed-train", "--checkpoint=" + decoder, "--corpus=" + corpus,
                "--out=" + out, "--steps=16", "--embed_train.lr=2e-3", "--embed_train.warmup=2",
                "--embed_train.log_interval=1", "--embed_train.batch_size=8", "--embed_train.max_length=32",
                "--embed_train.mine.min_positive_chars=20", "--embed_train.task=buscar texto");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("eta"), run.out());
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(16, metrics.size());
        double first = 0, last = 0;
        for (int i = 0; i < 4; i++) {
            first += JSON.readTree(metrics.get(i)).path("loss").asDouble();
            last += JSON.readTree(metrics.get(metrics.size() - 1 - i)).path("loss").asDouble();
        }
        assertTrue(last < 0.8 * first, "loss over the first 4 steps " + first / 4 + ", last 4 " + last / 4);
        assertTrue(Files.size(out.resolve("loss.png")) > 0);
        JsonNode pairs = JSON.readTree(out.resolve("pairs.json").toFile());
        assertEquals(72, pairs.path("pairs").asInt());   // one first-sentence pair per paragraph
        assertEquals(pairs.path("heldout").asInt(), Files.readAllLines(out.resolve("heldout.jsonl")).size());
        assertTrue(pairs.path("heldout").asInt() > 0);
        assertTrue(Files.exists(out.resolve("eval.json")));
        EmbeddingModel m = EmbeddingCheckpoint.load(out.resolve("checkpoints/step-16"));
        assertEquals(32, m.dimension());
        assertTrue(Files.exists(out.resolve("checkpoints/step-16/tokenizer.json")));
        // embed accepts the run directory: its latest checkpoint
        assertEquals(out.resolve("checkpoints/step-16").toUri().getPath().replaceAll("/$", ""),
                new org.apache.hadoop.fs.Path(EmbedderCheckpoint.resolve(out.toString(),
                        new org.apache.hadoop.conf.Configuration()).path()).toUri().getPath());

        EmbedFixtures.Run again = EmbedFixtures.run("embed-train", "--checkpoint=" + decoder, "--corpus=" + corpus,
                "--out=" + out);
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already holds an embed-train run"), again.err());
    }

    @Test
    void aResumedRunEqualsTheUninterruptedOneThroughBothStages() throws Exception {
        Random r = new Random(2);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            jsonl.append(String.format("{\"query\": \"%s\", \"positive\": \"%s\", \"negatives\": [\"%s\"]}%n",
                    EmbedFixtures.sentence(r, 4), EmbedFixtures.sentence(r, 9), EmbedFixtures.sentence(r, 9)));
        }
        jsonl.append("{\"query\": \"\", \"positive\": \"x y z\"}\n");
        jsonl.append("{\"query\": \"a query\"}\n");
        jsonl.append("{not json\n");
        Path pairs = tmp.resolve("pairs.jsonl");
        Files.writeString(pairs, jsonl.toString());
        String[] common = {"--checkpoint=" + decoder, "--pairs=" + pairs, "--steps=3", "--embed_train.stage2_steps=3",
                "--embed_train.checkpoint_interval=1", "--embed_train.batch_size=4", "--embed_train.max_length=48",
                "--embed_train.lr=1e-3", "--embed_train.warmup=1", "--embed_train.heldout_fraction=0",
                "--embed_train.task=buscar texto"};
        Path a = tmp.resolve("uninterrupted");
        EmbedFixtures.Run ra = EmbedFixtures.run(concat(common, "embed-train", "--out=" + a));
        assertEquals(0, ra.code(), ra.err());
        JsonNode report = JSON.readTree(a.resolve("pairs.json").toFile());
        assertEquals(27, report.path("input_rows").asInt());
        assertEquals(24, report.path("pairs").asInt());
        assertEquals(1, report.path("rejected").path("empty_query").asInt());
        assertEquals(1, report.path("rejected").path("null_positive").asInt());
        assertEquals(1, report.path("rejected").path("malformed_json").asInt());

        for (int from : new int[] {2, 4}) {   // resumed in stage 1, and in stage 2
            Path b = tmp.resolve("resumed-" + from);
            String[] args = concat(common, "embed-train", "--out=" + b);
            args[2] = "--checkpoint=" + a.resolve("checkpoints/step-" + from);
            EmbedFixtures.Run rb = EmbedFixtures.run(args);
            assertEquals(0, rb.code(), rb.err());
            assertTrue(rb.out().contains("resumed at step " + from), rb.out());
            assertEquals(hash(a.resolve("checkpoints/step-6")), hash(b.resolve("checkpoints/step-6")), "resumed from " + from);
        }
    }

    private static String hash(Path ckpt) throws Exception {
        return JSON.readTree(ckpt.resolve("embedding_config.json").toFile()).path("model_hash").asText();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(b, 0, out, 0, b.length);
        System.arraycopy(a, 0, out, b.length, a.length);
        return out;
    }
}
