package org.verbo.jobs.tokenize;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.prep.bpe.BpeModel;
import org.verbo.prep.bpe.BpeTrainer;
import org.verbo.prep.bpe.BpeTrainerConfig;
import org.verbo.prep.bpe.ByteLevel;
import org.verbo.prep.bpe.PreTokenizer;
import scala.Tuple2;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code verbo tokenizer}: byte-level BPE trained on the clean corpus. Pre-token counting is distributed
 * (each partition counts its own pre-tokens, then one reduceByKey); the merges run on the driver with
 * data-prep's incremental {@link BpeTrainer}. Writes a Hugging Face {@code tokenizer.json}.
 */
public final class TokenizerJob {

    private TokenizerJob() {
    }

    public record Result(long documents, long distinctWords, long keptWords, long droppedWordOccurrences, int vocabSize,
                         int merges, String sha256, double seconds) {
    }

    public static Result run(SparkSession spark, String corpus, String out, BpeTrainerConfig config, int maxWords,
                             boolean overwrite, Consumer<String> progress) {
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        HadoopFiles.requireExists("corpus", corpus, conf);
        HadoopFiles.refuseExisting(List.of(out), overwrite, conf);
        if (maxWords < 1) {
            throw new IllegalArgumentException("tokenizer.max_words must be >= 1");
        }

        JavaRDD<String> texts = spark.read().parquet(corpus).select("text").javaRDD().map(r -> r.getString(0));
        final String pattern = config.pattern();
        JavaPairRDD<String, Long> counts = texts
                .mapPartitionsToPair(it -> countPreTokens(it, pattern))
                .reduceByKey(Long::sum)
                .persist(StorageLevel.MEMORY_AND_DISK());
        long distinct = counts.count();
        long documents = texts.count();

        Map<String, Long> words = new HashMap<>();
        long dropped = 0;
        if (distinct > maxWords) {
            // Keep the most frequent pre-tokens: the rarest ones cannot produce merges anyway unless repeated.
            for (Tuple2<String, Long> t : counts.top(maxWords, new ByCount())) {
                words.put(t._1(), t._2());
            }
            long all = counts.values().reduce(Long::sum);
            dropped = all - words.values().stream().mapToLong(Long::longValue).sum();
        } else {
            for (Tuple2<String, Long> t : counts.collect()) {
                words.put(t._1(), t._2());
            }
        }
        counts.unpersist(false);
        progress.accept(String.format("tokenizer: %,d documents, %,d distinct pre-tokens (%,d kept) counted in %.1f s; merging on the driver",
                documents, distinct, words.size(), (System.nanoTime() - t0) / 1e9));

        BpeModel model = BpeTrainer.train(words, config, progress);
        HadoopFiles.writeStringAtomically(out, model.toHuggingFaceJson(), conf);
        return new Result(documents, distinct, words.size(), dropped, model.vocabSize(), model.merges().size(), model.sha256(),
                (System.nanoTime() - t0) / 1e9);
    }

    static Iterator<Tuple2<String, Long>> countPreTokens(Iterator<String> texts, String pattern) {
        PreTokenizer pre = new PreTokenizer(pattern);
        Map<String, Long> local = new HashMap<>();
        while (texts.hasNext()) {
            String t = texts.next();
            if (t == null) {
                continue;
            }
            for (String w : pre.split(t)) {
                local.merge(ByteLevel.encode(w.getBytes(StandardCharsets.UTF_8)), 1L, Long::sum);
            }
        }
        List<Tuple2<String, Long>> out = new ArrayList<>(local.size());
        local.forEach((k, v) -> out.add(new Tuple2<>(k, v)));
        return out.iterator();
    }

    /** Count order with the word as tie-break, so the kept set is deterministic. */
    static final class ByCount implements Comparator<Tuple2<String, Long>>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int compare(Tuple2<String, Long> a, Tuple2<String, Long> b) {
            int c = Long.compare(a._2(), b._2());
            return c != 0 ? c : b._1().compareTo(a._1());
        }
    }

}
