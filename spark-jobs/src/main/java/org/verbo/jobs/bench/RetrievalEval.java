package org.verbo.jobs.bench;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.verbo.embeddings.eval.Bm25Baseline;
import org.verbo.embeddings.eval.RetrievalMetrics;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.embeddings.model.EmbeddingConfig;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.model.InstructionTemplate;
import org.verbo.embeddings.model.PoolingKind;
import org.verbo.embeddings.train.ContrastiveExample;
import org.verbo.embeddings.train.EmbeddingTrainConfig;
import org.verbo.embeddings.train.EmbeddingTrainer;
import org.verbo.jobs.embed.TextPair;
import org.verbo.jobs.embed.TrainingPairs;
import org.verbo.models.LlamaModel;
import org.verbo.models.io.Checkpoints;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Retrieval on held-out (query, positive) pairs mined from a clean corpus (the Parquet of {@code verbo prepare}):
 * a query is the first sentence of a paragraph, its positive the rest of that paragraph. Pairs are split (seeded)
 * into train and held-out; an embedder is trained on the train pairs from a decoder checkpoint for each pooling
 * (latent attention, mean, last token) with {@link EmbeddingTrainer}, then every held-out query ranks all held-out
 * positives (exact cosine). Lucene BM25 ({@link Bm25Baseline}) ranks the same documents for the same query texts.
 * Prints a Markdown table (recall@10, nDCG@10). A benchmark main, not a job: Spark only reads the Parquet.
 * <pre>
 * RetrievalEval --corpus=DIR --decoder=CKPT --tokenizer=FILE --out=DIR [--steps=200] [--batch=32] [--lr=1e-3]
 *               [--temperature=0.05] [--max-length=128] [--held-out=0.2] [--max-held-out=500] [--seed=42]
 * </pre>
 */
public final class RetrievalEval {
    private static final Pattern PARAGRAPHS = Pattern.compile("\\n\\s*\\n|\\n");
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+(?=\\p{Lu})");
    private static final String TASK = "Given a sentence, retrieve the paragraph that continues it";

    private RetrievalEval() {
    }

    record Pair(String query, String positive) {
    }

    public static void main(String[] args) throws IOException {
        java.util.Map<String, String> o = org.verbo.embeddings.bench.BenchArgs.parse(java.util.Arrays.asList(args),
                List.of("corpus", "decoder", "tokenizer", "out")).orElse(null);
        if (o == null) {
            usage();
            return;
        }
        int steps = Integer.parseInt(o.getOrDefault("steps", "200"));
        int batch = Integer.parseInt(o.getOrDefault("batch", "32"));
        double lr = Double.parseDouble(o.getOrDefault("lr", "1e-3"));
        double temperature = Double.parseDouble(o.getOrDefault("temperature", "0.05"));
        int maxLength = Integer.parseInt(o.getOrDefault("max-length", "128"));
        double heldOut = Double.parseDouble(o.getOrDefault("held-out", "0.2"));
        int maxHeldOut = Integer.parseInt(o.getOrDefault("max-held-out", "500"));
        long seed = Long.parseLong(o.getOrDefault("seed", "42"));
        Path out = Path.of(o.get("out"));
        Files.createDirectories(out);

        List<String> docs = readTexts(o.get("corpus"));
        List<Pair> pairs = mine(docs);
        Collections.shuffle(pairs, new Random(seed));
        int nHeld = Math.min(maxHeldOut, (int) Math.round(pairs.size() * heldOut));
        List<Pair> test = pairs.subList(0, nHeld);
        List<Pair> train = pairs.subList(nHeld, pairs.size());
        System.err.printf("%d documents -> %d pairs: %d train, %d held-out%n", docs.size(), pairs.size(), train.size(),
                test.size());

        BpeEncoder tok = new BpeEncoder(BpeModel.fromHuggingFaceJson(Files.readString(Path.of(o.get("tokenizer")))));
        LlamaModel base = Checkpoints.loadModel(Path.of(o.get("decoder")), org.nd4j.linalg.api.buffer.DataType.FLOAT);
        int maxLen = Math.min(maxLength, base.config().contextLength());
        EmbeddingConfig cfg0 = EmbeddingConfig.nvEmbed(base.config());
        EmbeddingConfig cfg = new EmbeddingConfig(cfg0.pooling(), cfg0.numLatents(), cfg0.numHeads(), cfg0.headDim(),
                cfg0.ffnMult(), cfg0.attention(), maxLen, cfg0.template(), cfg0.similarity());
        InstructionTemplate tpl = cfg.template();
        List<InstructionTemplate.Tokenized> trainQ = new ArrayList<>();
        List<int[]> trainD = new ArrayList<>();
        for (Pair p : train) {
            trainQ.add(tpl.query(TASK, p.query(), tok::encode));
            trainD.add(cut(tok.encode(p.positive()), maxLen));
        }
        List<int[]> testQ = new ArrayList<>();
        List<Integer> testQi = new ArrayList<>();
        List<int[]> testD = new ArrayList<>();
        for (Pair p : test) {
            InstructionTemplate.Tokenized q = tpl.query(TASK, p.query(), tok::encode);
            testQ.add(cut(q.ids(), maxLen));
            testQi.add(q.instructionLength());
            testD.add(cut(tok.encode(p.positive()), maxLen));
        }
        EmbeddingTrainConfig tc = new EmbeddingTrainConfig(lr, 0.0, 0.9, 0.999, 1e-8, temperature, 1, false, 1.0);

        List<String> rows = new ArrayList<>();
        rows.add(String.format(Locale.ROOT, "| Lucene BM25 (k1 1.2, b 0.75) | - | %s |", bm25(test)));
        for (PoolingKind kind : List.of(PoolingKind.LATENT_ATTENTION, PoolingKind.MEAN, PoolingKind.LAST_TOKEN)) {
            EmbeddingModel untrained = EmbeddingModel.create(Checkpoints.loadModel(Path.of(o.get("decoder")),
                    org.nd4j.linalg.api.buffer.DataType.FLOAT), cfg.withPooling(kind), seed);
            if (kind == PoolingKind.MEAN) {
                rows.add(String.format(Locale.ROOT, "| mean pooling, decoder as pretrained (no contrastive steps) | 0 | %s |",
                        dense(untrained, testQ, testQi, testD)));
            }
            EmbeddingTrainer trainer = new EmbeddingTrainer(untrained, tc);
            Random rng = new Random(seed + kind.ordinal());
            long t0 = System.nanoTime();
            double loss = 0;
            for (int s = 0; s < steps; s++) {
                List<ContrastiveExample> b = new ArrayList<>(batch);
                for (int i = 0; i < batch; i++) {
                    int k = rng.nextInt(train.size());
                    InstructionTemplate.Tokenized q = trainQ.get(k);
                    int[] ids = cut(q.ids(), maxLen);
                    b.add(new ContrastiveExample(ids, Math.min(q.instructionLength(), ids.length - 1), trainD.get(k),
                            List.of()));
                }
                loss = trainer.step(b);
                if ((s + 1) % 50 == 0) {
                    System.err.printf(Locale.ROOT, "%s step %d loss %.4f (%.1f s)%n", kind.id(), s + 1, loss,
                            (System.nanoTime() - t0) / 1e9);
                }
            }
            EmbeddingCheckpoint.save(untrained, out.resolve("embedder-" + kind.id()), java.util.Map.of(
                    "decoder", o.get("decoder"), "steps", steps, "batch", batch, "lr", lr, "temperature", temperature,
                    "seed", seed, "train_pairs", train.size()), List.of());
            rows.add(String.format(Locale.ROOT, "| %s pooling, trained | %d (final loss %.3f) | %s |", kind.id(), steps,
                    loss, dense(untrained, testQ, testQi, testD)));
        }
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "### Retrieval on held-out pairs: %d queries against their %d positives "
                        + "(one relevant document each)%n%n", test.size(), test.size()))
                .append(String.format(Locale.ROOT, "Corpus: %d documents -> %d (first sentence, rest of paragraph) "
                        + "pairs, seeded split (seed %d): %d train, %d held-out. Decoder: %s (%,d parameters, width %d, %d layers). "
                        + "Training per pooling: %d steps x batch %d, AdamW lr %s, InfoNCE tau %s with in-batch "
                        + "negatives, whole model trained, texts cut to %d tokens. CPU: %s, %d cores.%n%n",
                        docs.size(), pairs.size(), seed, train.size(), test.size(), o.get("decoder"),
                        base.config().parameterCount(), base.config().hiddenSize(), base.config().numLayers(), steps,
                        batch, lr, temperature, maxLen, cpu, Runtime.getRuntime().availableProcessors()))
                .append("| retriever | contrastive steps | recall@10 | nDCG@10 |\n|---|---:|---:|---:|\n");
        rows.forEach(r -> md.append(r).append('\n'));
        Files.writeString(out.resolve("summary.md"), md.toString());
        System.out.print(md);
    }

    private static void usage() {
        System.err.println("usage: RetrievalEval --corpus=DIR --decoder=CKPT --tokenizer=FILE --out=DIR [--steps=200] "
                + "[--batch=32] [--lr=1e-3] [--temperature=0.05] [--max-length=128] [--held-out=0.2] "
                + "[--max-held-out=500] [--seed=42]");
        System.exit(2);
    }

    static List<String> readTexts(String corpus) throws IOException {
        try (SparkSession spark = SparkSession.builder().master("local[1]").appName("retrieval-eval")
                .config("spark.ui.enabled", "false").getOrCreate()) {
            List<String> out = new ArrayList<>();
            for (Row r : spark.read().parquet(corpus).orderBy("id").select("text").collectAsList()) {
                out.add(r.getString(0));
            }
            return out;
        }
    }

    /**
     * Paragraphs with at least two sentences: (first sentence, the rest); 4+ words in the query, 12+ in the rest. A
     * pair whose query or rest repeats an earlier one's (letters and digits compared, as embed-train's miner does) is
     * skipped: the sample holds one manual as HTML and as text, and a twin among the held-out positives would count a
     * retrieval of the same paragraph as a miss.
     */
    static List<Pair> mine(List<String> docs) {
        List<TextPair> candidates = new ArrayList<>();
        for (String d : docs) {
            for (String para : PARAGRAPHS.split(d)) {
                String p = para.strip().replaceAll("\\s+", " ");
                String[] s = SENTENCE_END.split(p, 2);
                if (s.length == 2 && words(s[0]) >= 4 && words(s[1]) >= 12) {
                    candidates.add(new TextPair(s[0], s[1], List.of(), ""));
                }
            }
        }
        List<Pair> out = new ArrayList<>();
        for (TextPair t : TrainingPairs.withoutRepeats(candidates, new java.util.TreeMap<>())) {
            out.add(new Pair(t.query(), t.positive()));
        }
        return out;
    }

    private static int words(String s) {
        return s.isBlank() ? 0 : s.trim().split("\\s+").length;
    }

    private static int[] cut(int[] ids, int max) {
        return ids.length > max ? java.util.Arrays.copyOf(ids, max) : ids;
    }

    private static String bm25(List<Pair> test) throws IOException {
        try (Bm25Baseline bm = new Bm25Baseline()) {
            for (int i = 0; i < test.size(); i++) {
                bm.add("d" + i, test.get(i).positive());
            }
            double r = 0;
            double n = 0;
            for (int i = 0; i < test.size(); i++) {
                List<String> ranked = bm.search(test.get(i).query(), 10);
                r += RetrievalMetrics.recallAtK(ranked, Set.of("d" + i), 10);
                n += RetrievalMetrics.ndcgAtK(ranked, Set.of("d" + i), 10);
            }
            return String.format(Locale.ROOT, "%.3f | %.3f", r / test.size(), n / test.size());
        }
    }

    private static String dense(EmbeddingModel model, List<int[]> q, List<Integer> qi, List<int[]> d) {
        float[][] qe = model.encode(q, qi);
        float[][] de = model.encode(d, Collections.nCopies(d.size(), 0));
        double r = 0;
        double n = 0;
        for (int i = 0; i < qe.length; i++) {
            Integer[] order = new Integer[de.length];
            double[] score = new double[de.length];
            for (int j = 0; j < de.length; j++) {
                order[j] = j;
                double s = 0;
                for (int c = 0; c < qe[i].length; c++) {
                    s += qe[i][c] * de[j][c];
                }
                score[j] = s;
            }
            java.util.Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
            List<String> ranked = new ArrayList<>();
            for (int k = 0; k < Math.min(10, order.length); k++) {
                ranked.add("d" + order[k]);
            }
            r += RetrievalMetrics.recallAtK(ranked, Set.of("d" + i), 10);
            n += RetrievalMetrics.ndcgAtK(ranked, Set.of("d" + i), 10);
        }
        return String.format(Locale.ROOT, "%.3f | %.3f", r / qe.length, n / qe.length);
    }
}
