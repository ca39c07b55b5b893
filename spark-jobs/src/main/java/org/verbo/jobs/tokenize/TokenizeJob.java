package org.verbo.jobs.tokenize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.Provenance;
import org.verbo.jobs.io.HadoopConf;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.prep.bpe.BpeModel;
import org.verbo.prep.pack.SequencePacker;
import org.verbo.prep.pack.ShardWriter;
import org.verbo.prep.pack.SplitAssigner;

import java.io.IOException;

import static org.apache.spark.sql.functions.col;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code verbo tokenize}: encodes the clean corpus with a trained {@code tokenizer.json} inside Spark tasks,
 * splits documents into train/validation deterministically by a hash of their id, packs each split's
 * stream ({@code </s>} after every document) into blocks of {@code context_length + 1} and writes one shard
 * per task and split, then {@code manifest.json}. Output goes to a temp directory and is renamed to
 * {@code <out>/shards} at the end.
 */
public final class TokenizeJob {

    private TokenizeJob() {
    }

    public record Settings(String corpus, String tokenizer, String out, int contextLength, double valFraction, long seed,
                           String encoder, String eosToken, int numShards, boolean overwrite) implements Serializable {
        public Settings {
            if (numShards < 1) {
                throw new IllegalArgumentException("tokenize.num_shards must be >= 1");
            }
            if (contextLength < 1) {
                throw new IllegalArgumentException("tokenize.context_length must be >= 1");
            }
            if (!(valFraction >= 0 && valFraction < 1)) {
                throw new IllegalArgumentException("tokenize.val_fraction must be in [0, 1)");
            }
            if (!encoder.equals("verbo") && !encoder.equals("hf")) {
                throw new IllegalArgumentException("tokenize.encoder must be verbo or hf, got " + encoder);
            }
        }

        public int blockLength() {
            return contextLength + 1;
        }
    }

    /** What one task wrote for one split. */
    public record ShardStats(String split, String file, long documents, long tokens, long blocks, long droppedTail)
            implements Serializable {
    }

    public record Result(long trainBlocks, long valBlocks, long trainTokens, long valTokens, long documents,
                         double seconds, String manifest) {
    }

    public static Result run(SparkSession spark, Settings s, Consumer<String> progress) {
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        HadoopFiles.requireExists("corpus", s.corpus(), conf);
        HadoopFiles.requireExists("tokenizer", s.tokenizer(), conf);
        String shardsOut = HadoopFiles.child(s.out(), "shards");
        HadoopFiles.refuseExisting(List.of(shardsOut), s.overwrite(), conf);

        final String tokenizerJson = HadoopFiles.readString(s.tokenizer(), conf);
        BpeModel model = BpeModel.fromHuggingFaceJson(tokenizerJson);
        final int eosId = model.idOf(s.eosToken());
        final int vocabSize = model.vocabSize();
        Path tmp = HadoopFiles.tempDirBeside(s.out(), "tokenize");
        final String tmpDir = tmp.toString();
        final HadoopConf hc = new HadoopConf(conf);
        final Settings settings = s;
        final Broadcast<String> broadcastJson = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tokenizerJson);

        // Shard k holds the documents whose id hashes to k, in id order: the shards are the same bytes whatever the
        // cluster's size or the corpus files' split sizes (Spark's Murmur3 hash of the id, not the JVM's).
        JavaRDD<Row> docs = spark.read().parquet(s.corpus()).select("id", "text")
                .repartition(s.numShards(), col("id"))
                .sortWithinPartitions("id")
                .javaRDD();
        List<ShardStats> stats;
        try {
            stats = docs.mapPartitionsWithIndex((part, rows) -> encodePartition(part, rows,
                    TokenEncoder.create(settings.encoder(), broadcastJson.value()), eosId, vocabSize, settings, tmpDir, hc.get()),
                    false).collect();

            long[] blocks = new long[2];
            long[] tokens = new long[2];
            long documents = 0;
            for (ShardStats st : stats) {
                int i = st.split().equals("train") ? 0 : 1;
                blocks[i] += st.blocks();
                tokens[i] += st.blocks() * s.blockLength();
                documents += st.documents();
            }
            requireBlocksInEverySplit(s, stats);
            String manifest = manifest(s, model, stats);
            HadoopFiles.writeStringAtomically(new Path(tmp, "manifest.json").toString(), manifest, conf);
            HadoopFiles.publish(tmp, new Path(shardsOut), s.overwrite(), conf);
            double seconds = (System.nanoTime() - t0) / 1e9;
            progress.accept(String.format("tokenize: %,d documents → %,d train + %,d val blocks of %d tokens in %.1f s",
                    documents, blocks[0], blocks[1], s.blockLength(), seconds));
            return new Result(blocks[0], blocks[1], tokens[0], tokens[1], documents, seconds, manifest);
        } finally {
            HadoopFiles.deleteQuietly(tmp, conf);
            broadcastJson.destroy();
        }
    }

    /**
     * A split without one block (a small corpus: 12 documents at val_fraction 0.01 put none in validation) would
     * surface only later, as evaluate's "no tokens to evaluate"; it is said here, before anything is published. The
     * validation split is checked when val_fraction > 0 (0 asks for none).
     */
    static void requireBlocksInEverySplit(Settings s, List<ShardStats> stats) {
        long all = stats.stream().mapToLong(ShardStats::documents).sum();
        for (String split : s.valFraction() > 0 ? List.of("train", "val") : List.of("train")) {
            long docs = 0;
            long tokens = 0;
            long blocks = 0;
            for (ShardStats st : stats) {
                if (st.split().equals(split)) {
                    docs += st.documents();
                    tokens += st.tokens();
                    blocks += st.blocks();
                }
            }
            if (blocks == 0) {
                String remedy = split.equals("val")
                        ? "raise --tokenize.val_fraction, lower --tokenize.context_length, or set --tokenize.val_fraction=0 for no validation split"
                        : "lower --tokenize.context_length or --tokenize.val_fraction, or tokenize a larger corpus";
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "tokenize: the %s split got %d of the %d documents (%d tokens), not one block of %d tokens "
                                + "(context_length=%d, val_fraction=%s); %s",
                        split.equals("val") ? "validation" : "train", docs, all, tokens, s.blockLength(), s.contextLength(),
                        s.valFraction(), remedy));
            }
        }
    }

    static Iterator<ShardStats> encodePartition(int part, Iterator<Row> rows, TokenEncoder encoder, int eosId, int vocabSize,
                                                Settings s, String tmpDir, Configuration conf) {
        String name = String.format("part-%05d.bin", part);
        SplitWriter train = new SplitWriter("train", new Path(new Path(tmpDir, "train"), name), s.blockLength(), eosId, vocabSize, conf);
        SplitWriter val = new SplitWriter("val", new Path(new Path(tmpDir, "val"), name), s.blockLength(), eosId, vocabSize, conf);
        try (encoder) {
            while (rows.hasNext()) {
                Row r = rows.next();
                String text = r.getString(1);
                if (text == null || text.isEmpty()) {
                    continue;
                }
                int[] ids = encoder.encode(text);
                (SplitAssigner.isValidation(r.getString(0), s.valFraction(), s.seed()) ? val : train).add(ids);
            }
        }
        List<ShardStats> out = new ArrayList<>(2);
        out.add(train.finish());
        out.add(val.finish());
        return out.iterator();
    }

    /** One split's packer and its shard file, opened at the first full block (no empty shard files). */
    private static final class SplitWriter {
        private final String split;
        private final Path file;
        private final int blockLength;
        private final int vocabSize;
        private final Configuration conf;
        private final SequencePacker packer;
        private ShardWriter writer;
        private long documents;

        SplitWriter(String split, Path file, int blockLength, int eosId, int vocabSize, Configuration conf) {
            this.split = split;
            this.file = file;
            this.blockLength = blockLength;
            this.vocabSize = vocabSize;
            this.conf = conf;
            this.packer = new SequencePacker(blockLength, eosId, this::write);
        }

        void add(int[] ids) {
            documents++;
            packer.addDocument(ids);
        }

        private void write(int[] block) {
            try {
                if (writer == null) {
                    FileSystem fs = file.getFileSystem(conf);
                    FSDataOutputStream out = fs.create(file, true);
                    writer = new ShardWriter(out, blockLength, vocabSize);
                }
                writer.writeBlock(block);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write shard " + file + ": " + e.getMessage(), e);
            }
        }

        ShardStats finish() {
            try {
                if (writer != null) {
                    writer.close();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close shard " + file + ": " + e.getMessage(), e);
            }
            return new ShardStats(split, writer == null ? null : split + "/" + file.getName(), documents, packer.tokens(),
                    packer.blocks(), packer.droppedTailTokens());
        }
    }

    private static String manifest(Settings s, BpeModel model, List<ShardStats> stats) {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("format", "verbo-shards");
        root.put("version", 1);
        root.put("dtype", model.vocabSize() <= 65536 ? "uint16" : "int32");
        root.put("context_length", s.contextLength());
        root.put("block_length", s.blockLength());
        root.put("vocab_size", model.vocabSize());
        root.put("eos_token", s.eosToken());
        root.put("eos_id", model.idOf(s.eosToken()));
        root.put("tokenizer", s.tokenizer());
        root.put("tokenizer_sha256", model.sha256());
        root.put("encoder", s.encoder());
        root.put("corpus", s.corpus());
        root.put("val_fraction", s.valFraction());
        root.put("seed", s.seed());
        root.put("num_shards", s.numShards());
        ObjectNode splits = root.putObject("splits");
        for (String split : List.of("train", "val")) {
            ObjectNode sp = splits.putObject(split);
            long docs = 0;
            long blocks = 0;
            long tokens = 0;
            long dropped = 0;
            ArrayNode files = om.createArrayNode();
            for (ShardStats st : stats) {
                if (!st.split().equals(split)) {
                    continue;
                }
                docs += st.documents();
                blocks += st.blocks();
                tokens += st.tokens();
                dropped += st.droppedTail();
                if (st.file() != null) {
                    files.addObject().put("file", st.file()).put("blocks", st.blocks());
                }
            }
            sp.put("documents", docs);
            sp.put("blocks", blocks);
            sp.put("tokens", blocks * s.blockLength());
            sp.put("tokens_encoded", tokens);
            sp.put("dropped_tail_tokens", dropped);
            sp.set("shards", files);
        }
        root.set("provenance", Provenance.json(om));
        try {
            return om.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
