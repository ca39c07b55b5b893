package org.verbo.jobs.embed;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.verbo.embeddings.eval.Bm25Baseline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The pairs {@code embed-train} learns from: read from a table ({@code query}, {@code positive}, optional
 * {@code negatives} array of strings; Parquet, or JSON lines) or mined from a clean corpus ({@link PairMiner}, in
 * Spark tasks), then collected to the driver, where training runs. Bad rows are counted by reason, never fatal.
 * A seeded fraction is held out for evaluation, and pairs with fewer hard negatives than asked get BM25 ones: the
 * highest-ranked other training positives for the query (Lucene BM25, {@link Bm25Baseline}), the true positive and
 * copies of it (equal after {@link #normalize}) skipped. Mined pairs that repeat an earlier one are dropped
 * ({@link #withoutRepeats}).
 */
public final class TrainingPairs {
    private TrainingPairs() {
    }

    /** Pairs with the counts of what was dropped and why. */
    public record Loaded(List<TextPair> pairs, long inputRows, Map<String, Long> rejected) {
    }

    public static Loaded fromTable(SparkSession spark, String path, String format) {
        Dataset<Row> df = format.equals("json") ? spark.read().json(path) : spark.read().parquet(path);
        StructType schema = df.schema();
        List<String> names = Arrays.asList(schema.fieldNames());
        for (String c : List.of("query", "positive")) {
            if (!names.contains(c)) {
                throw new IllegalArgumentException("pairs " + path + " have no column '" + c + "' (columns: "
                        + String.join(", ", names) + ")");
            }
        }
        boolean negatives = names.contains("negatives");
        if (negatives && !schema.apply("negatives").dataType().equals(new ArrayType(DataTypes.StringType, true))
                && !schema.apply("negatives").dataType().equals(new ArrayType(DataTypes.StringType, false))) {
            throw new IllegalArgumentException("pairs column 'negatives' must be an array of strings, got "
                    + schema.apply("negatives").dataType().simpleString());
        }
        boolean corrupt = names.contains("_corrupt_record");
        List<Row> rows = df.select(negatives ? "negatives" : "query", corrupt ? "_corrupt_record" : "query", "query", "positive")
                .collectAsList();
        List<TextPair> pairs = new ArrayList<>();
        Map<String, Long> rejected = new TreeMap<>();
        long i = 0;
        for (Row r : rows) {
            i++;
            String q = r.isNullAt(2) ? null : r.getString(2);
            String p = r.isNullAt(3) ? null : r.getString(3);
            String reason = corrupt && !r.isNullAt(1) ? "malformed_json"
                    : q == null ? "null_query" : q.isBlank() ? "empty_query"
                    : p == null ? "null_positive" : p.isBlank() ? "empty_positive" : null;
            if (reason != null) {
                rejected.merge(reason, 1L, Long::sum);
                continue;
            }
            List<String> negs = new ArrayList<>();
            if (negatives && !r.isNullAt(0)) {
                for (Object n : r.getList(0)) {
                    if (n == null || n.toString().isBlank()) {
                        rejected.merge("empty_negative (dropped, row kept)", 1L, Long::sum);
                    } else {
                        negs.add(n.toString());
                    }
                }
            }
            pairs.add(new TextPair(q, p, negs, path + "#" + i));
        }
        return new Loaded(pairs, rows.size(), rejected);
    }

    /** Mines pairs from a corpus (Parquet with id and text) in Spark; pairs come back in (document id, text) order. */
    public static Loaded mine(SparkSession spark, String corpus, int minQueryChars, int minPositiveChars) {
        Dataset<Row> df = spark.read().parquet(corpus);
        List<String> names = Arrays.asList(df.schema().fieldNames());
        for (String c : List.of("id", "text")) {
            if (!names.contains(c)) {
                throw new IllegalArgumentException("corpus " + corpus + " has no column '" + c + "'");
            }
        }
        long docs = df.count();
        final int minQ = minQueryChars;
        final int minP = minPositiveChars;
        JavaRDD<TextPair> mined = df.select("id", "text").javaRDD().mapPartitions(rows -> {
            PairMiner miner = new PairMiner(minQ, minP);
            List<TextPair> out = new ArrayList<>();
            while (rows.hasNext()) {
                Row r = rows.next();
                if (!r.isNullAt(0) && !r.isNullAt(1)) {
                    out.addAll(miner.mine(r.getString(0), r.getString(1)));
                }
            }
            return out.iterator();
        });
        List<TextPair> pairs = new ArrayList<>(mined.collect());
        pairs.sort(Comparator.comparing(TextPair::source));
        Map<String, Long> rejected = new TreeMap<>();
        return new Loaded(withoutRepeats(pairs, rejected), docs, rejected);
    }

    /**
     * Mined pairs whose query or positive repeats an earlier pair's (after {@link #normalize}) are dropped and counted.
     * A corpus often holds one text twice (the sample has the same manual as HTML pages and as plain text; near-dup
     * removal works on whole documents), and a repeated positive is a false negative for its twin: in the same batch
     * as an in-batch negative, or as a BM25 hard negative, it asks the model to tell a text from itself, and held out
     * it makes the twin's retrieval count as a miss. Pairs come sorted by source, so the first copy is kept.
     */
    public static List<TextPair> withoutRepeats(List<TextPair> pairs, Map<String, Long> rejected) {
        java.util.Set<String> queries = new java.util.HashSet<>();
        java.util.Set<String> positives = new java.util.HashSet<>();
        List<TextPair> out = new ArrayList<>(pairs.size());
        for (TextPair p : pairs) {
            String q = normalize(p.query());
            String d = normalize(p.positive());
            if (positives.contains(d)) {
                rejected.merge("repeated_positive", 1L, Long::sum);
            } else if (queries.contains(q)) {
                rejected.merge("repeated_query", 1L, Long::sum);
            } else {
                queries.add(q);
                positives.add(d);
                out.add(p);
            }
        }
        return out;
    }

    /** Letters and digits only, lower-cased: two renderings of one text (markup, spacing, quotes) compare equal. */
    public static String normalize(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().filter(Character::isLetterOrDigit).map(Character::toLowerCase).forEach(b::appendCodePoint);
        return b.toString();
    }

    /** A deterministic subsample of at most max pairs (by a seeded hash of query and positive), order kept. */
    public static List<TextPair> cap(List<TextPair> pairs, int max, long seed) {
        if (pairs.size() <= max) {
            return pairs;
        }
        Integer[] idx = new Integer[pairs.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, Comparator.comparingDouble((Integer i) -> uniform(pairs.get(i), seed)).thenComparingInt(i -> i));
        List<Integer> keep = new ArrayList<>(Arrays.asList(idx).subList(0, max));
        keep.sort(Integer::compare);
        return keep.stream().map(pairs::get).toList();
    }

    /** A pair's seeded uniform in [0, 1): from String.hashCode, which the JLS fixes, so the same on every JVM. */
    static double uniform(TextPair p, long seed) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + (p.query() + "\u0000" + p.positive()).hashCode()).nextDouble();
    }

    /** [train, held-out]: a pair is held out when its seeded uniform is below fraction. */
    public static List<List<TextPair>> split(List<TextPair> pairs, double fraction, long seed) {
        List<TextPair> train = new ArrayList<>();
        List<TextPair> held = new ArrayList<>();
        for (TextPair p : pairs) {
            (uniform(p, seed ^ 0x5DEECE66DL) < fraction ? held : train).add(p);
        }
        return List.of(train, held);
    }

    /** Fills each pair's negatives up to n with BM25's best other positives of the list. */
    public static List<TextPair> withBm25Negatives(List<TextPair> pairs, int n) {
        if (n == 0 || pairs.stream().allMatch(p -> p.negatives().size() >= n)) {
            return pairs;
        }
        try (Bm25Baseline bm25 = new Bm25Baseline()) {
            for (int i = 0; i < pairs.size(); i++) {
                bm25.add(String.valueOf(i), pairs.get(i).positive());
            }
            List<String> normalized = pairs.stream().map(p -> normalize(p.positive())).toList();
            List<TextPair> out = new ArrayList<>(pairs.size());
            for (int i = 0; i < pairs.size(); i++) {
                TextPair p = pairs.get(i);
                List<String> negs = new ArrayList<>(p.negatives());
                if (negs.size() < n) {
                    for (String id : bm25.search(p.query(), n + 8)) {
                        int j = Integer.parseInt(id);
                        String cand = pairs.get(j).positive();
                        // a copy of the positive (in another rendering) is no negative
                        if (j != i && !normalized.get(j).equals(normalized.get(i)) && !negs.contains(cand)) {
                            negs.add(cand);
                            if (negs.size() == n) {
                                break;
                            }
                        }
                    }
                }
                out.add(p.withNegatives(negs));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("BM25 negatives: " + e.getMessage(), e);
        }
    }
}
