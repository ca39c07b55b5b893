package org.verbo.jobs.tokenize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
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
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * {@code verbo tokenize}: encodes the clean corpus with a trained {@code tokenizer.json} inside Spark tasks,
 * splits documents into train/validation deterministically by a hash of their id, packs each split's
 * stream ({@code </s>} after every document) into blocks of {@code context_length + 1} and writes one shard
 * per task and split, then {@code manifest.json}. Output goes to a temp directory and is renamed to
 * {@code <out>/shards} at the end. Each task writes its shards under its attempt's own temp names and the driver
 * renames those of the attempt it collected, so a retried or speculative task never leaves a torn or doubled shard.
 */
public final class TokenizeJob {

    private TokenizeJob() {
    }

    public record Settings(String corpus, String tokenizer, String out, int contextLength, double valFraction, long seed,
                           String encoder, String eosToken, int numShards, boolean overwrite, int failShard,
                           int hangShard) implements Serializable {
        /** Without the test-only faults. */
        public Settings(String corpus, String tokenizer, String out, int contextLength, double valFraction, long seed,
                        String encoder, String eosToken, int numShards, boolean overwrite) {
            this(corpus, tokenizer, out, contextLength, valFraction, seed, encoder, eosToken, numShards, overwrite, -1, -1);
        }

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

    /**
     * What one task wrote for one split: {@code file} is the shard's final name ({@code train/part-00003.bin}, null when
     * the split got no full block), {@code attemptFile} the task attempt's temp file the driver renames to it.
     */
    public record ShardStats(String split, String file, String attemptFile, long documents, long tokens, long blocks,
                             long droppedTail) implements Serializable {
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
        Path tmp = HadoopFiles.tempDirBeside(s.out(), "tokenize", conf);
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
            commitShards(tmp, stats, conf);

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

    /**
     * One task: encodes its documents and writes each split's blocks to a temp file named after the task attempt
     * ({@code train/.part-00003.bin.<attempt>}); the driver renames the files of the attempt whose result it collected
     * ({@link #commitShards}). A failed attempt closes and deletes its files; what a lost executor or a killed
     * speculative attempt leaves is deleted by the driver, so a shard is never torn and never doubled.
     */
    static Iterator<ShardStats> encodePartition(int part, Iterator<Row> rows, TokenEncoder encoder, int eosId, int vocabSize,
                                                Settings s, String tmpDir, Configuration conf) {
        String name = shardName(part);
        TaskContext ctx = TaskContext.get();
        // Unique across runs too: task attempt ids restart with every SparkContext.
        String attempt = (ctx == null ? "" : ctx.stageAttemptNumber() + "-" + ctx.attemptNumber() + "-"
                + ctx.taskAttemptId() + "-") + UUID.randomUUID().toString().substring(0, 8);
        SplitWriter train = new SplitWriter("train", new Path(tmpDir), name, attempt, s.blockLength(), eosId, vocabSize, conf);
        SplitWriter val = new SplitWriter("val", new Path(tmpDir), name, attempt, s.blockLength(), eosId, vocabSize, conf);
        boolean finished = false;
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
            if (part == s.hangShard()) {
                hang(part);
            }
            if (part == s.failShard() && ctx != null && ctx.attemptNumber() == 0) {
                throw new IllegalStateException("injected failure (verbo.tokenize.test.fail_shard) in shard " + part
                        + " after its blocks were written, before they were committed");
            }
            List<ShardStats> out = List.of(train.finish(), val.finish());
            finished = true;
            return out.iterator();
        } finally {
            if (!finished) {
                train.abort();
                val.abort();
            }
        }
    }

    /** Test only (verbo.tokenize.test.hang_shard): the task never ends, so a test can kill the run part-way. */
    private static void hang(int part) {
        System.err.println("tokenize: shard " + part + " hangs (verbo.tokenize.test.hang_shard)");
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("shard " + part + " was interrupted while hanging", e);
        }
    }

    static String shardName(int part) {
        return String.format("part-%05d.bin", part);
    }

    /**
     * On the driver, after the job: renames each collected attempt's temp file to its shard name, then deletes every
     * other file in {@code train/} and {@code val/} (temp files of failed, lost or speculative attempts).
     */
    static void commitShards(Path tmp, List<ShardStats> stats, Configuration conf) {
        try {
            FileSystem fs = tmp.getFileSystem(conf);
            Set<String> kept = new HashSet<>();
            for (ShardStats st : stats) {
                if (st.file() == null) {
                    continue;
                }
                Path from = new Path(tmp, st.attemptFile());
                Path to = new Path(tmp, st.file());
                if (!kept.add(st.file()) || fs.exists(to)) {
                    throw new IllegalStateException("shard " + st.file() + " reported twice");
                }
                if (!fs.rename(from, to)) {
                    throw new IOException("rename " + from + " -> " + to + " failed");
                }
            }
            for (String split : List.of("train", "val")) {
                Path dir = new Path(tmp, split);
                if (!fs.exists(dir)) {
                    continue;
                }
                for (FileStatus f : fs.listStatus(dir)) {
                    if (!kept.contains(split + "/" + f.getPath().getName())) {
                        fs.delete(f.getPath(), true);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit the shards in " + tmp + ": " + e.getMessage(), e);
        }
    }

    /** One split's packer and its attempt's temp file, opened at the first full block (no empty shard files). */
    private static final class SplitWriter {
        private final String split;
        private final String name;
        private final Path file;
        private final int blockLength;
        private final int vocabSize;
        private final Configuration conf;
        private final SequencePacker packer;
        private ShardWriter writer;
        private long documents;

        SplitWriter(String split, Path tmpDir, String name, String attempt, int blockLength, int eosId, int vocabSize,
                    Configuration conf) {
            this.split = split;
            this.name = name;
            this.file = new Path(new Path(tmpDir, split), "." + name + "." + attempt);
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
                    FSDataOutputStream out = file.getFileSystem(conf).create(file, true);
                    try {
                        writer = new ShardWriter(out, blockLength, vocabSize);
                    } catch (RuntimeException e) {
                        out.close();
                        throw e;
                    }
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
            return new ShardStats(split, writer == null ? null : split + "/" + name,
                    writer == null ? null : split + "/" + file.getName(), documents, packer.tokens(), packer.blocks(),
                    packer.droppedTailTokens());
        }

        /** After a failure: closes the stream and deletes the attempt's file (best effort; the driver sweeps too). */
        void abort() {
            if (writer == null) {
                return;
            }
            try {
                writer.close();
            } catch (IOException | RuntimeException ignored) {
                // the file is deleted next
            }
            try {
                file.getFileSystem(conf).delete(file, false);
            } catch (IOException ignored) {
                // commitShards deletes it
            }
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
