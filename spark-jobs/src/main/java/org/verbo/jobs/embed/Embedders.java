package org.verbo.jobs.embed;

import org.apache.hadoop.conf.Configuration;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.prep.bpe.BpeEncoder;
import org.verbo.prep.bpe.BpeModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executor JVM's embedders, keyed by checkpoint path and model hash. The checkpoint is fetched from its Hadoop
 * path once per JVM, and models are loaded only when no idle one is left: an {@link EmbeddingModel} is not
 * thread-safe (its forward keeps activations), so concurrent tasks of one executor each borrow their own and give it
 * back at the end of the task. An executor therefore loads the model at most once per concurrent task slot
 * ({@code spark.executor.cores / spark.task.cpus}), never once per task.
 */
final class Embedders {
    /** A model with its own tokenizer (the encoder's cache is not thread-safe either). */
    record Loaded(EmbeddingModel model, BpeEncoder encoder) {
    }

    private static final Map<String, Path> LOCAL = new ConcurrentHashMap<>();
    private static final Map<String, ConcurrentLinkedDeque<Loaded>> IDLE = new ConcurrentHashMap<>();
    /** Models loaded by this JVM (tests check that tasks reuse them). */
    static final AtomicInteger LOADS = new AtomicInteger();

    private Embedders() {
    }

    static String key(EmbedderCheckpoint ckpt) {
        return ckpt.path() + "@" + ckpt.modelHash();
    }

    static Loaded borrow(EmbedderCheckpoint ckpt, Configuration conf) {
        String key = key(ckpt);
        Loaded idle = IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).pollFirst();
        if (idle != null) {
            return idle;
        }
        Path dir = LOCAL.computeIfAbsent(key, k -> HadoopFiles.localDir(ckpt.path(), conf));
        EmbeddingModel model = EmbeddingCheckpoint.load(dir);   // checks the files against model_hash
        try {
            String cfg = Files.readString(dir.resolve(EmbeddingCheckpoint.CONFIG_FILE));
            if (!cfg.contains("\"" + ckpt.modelHash() + "\"")) {
                throw new IllegalStateException("checkpoint " + ckpt.path() + " changed since the job started (model_hash "
                        + "is no longer " + ckpt.modelHash() + ")");
            }
            BpeEncoder encoder = new BpeEncoder(BpeModel.fromHuggingFaceJson(Files.readString(dir.resolve("tokenizer.json"))));
            LOADS.incrementAndGet();
            return new Loaded(model, encoder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    static void giveBack(EmbedderCheckpoint ckpt, Loaded loaded) {
        IDLE.computeIfAbsent(key(ckpt), k -> new ConcurrentLinkedDeque<>()).addFirst(loaded);
    }
}
