package org.verbo.jobs.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.jobs.io.HadoopFiles;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An embedding checkpoint on any Hadoop path, checked on the driver before any Spark work: it has
 * {@code embedding_config.json} and {@code tokenizer.json}, and its safetensors files hash to the config's
 * {@code model_hash}. {@code --checkpoint} may also name an {@code embed-train} output directory: its highest
 * {@code checkpoints/step-N} is taken.
 *
 * @param path       the checkpoint directory, fully qualified
 * @param modelHash  {@code sha256:…} from embedding_config.json, verified against the files
 * @param maxLength  the embedder's maximum length in tokens
 * @param dimension  embedding width
 * @param template   the query instruction template
 * @param task       the task the embedder was trained with (its provenance), or "" when none is recorded
 */
public record EmbedderCheckpoint(String path, String modelHash, int maxLength, int dimension, String template,
                                 String task) implements Serializable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @throws IllegalArgumentException with one line when the checkpoint is missing, incomplete or does not match its
     *                                  hash
     */
    public static EmbedderCheckpoint resolve(String checkpoint, Configuration conf) {
        HadoopFiles.requireExists("checkpoint", checkpoint, conf);
        String dir = checkpoint;
        if (!HadoopFiles.exists(HadoopFiles.child(dir, EmbeddingCheckpoint.CONFIG_FILE), conf)) {
            String latest = latestStep(HadoopFiles.child(dir, "checkpoints"), conf);
            if (latest == null) {
                throw new IllegalArgumentException("checkpoint " + checkpoint + " is not an embedding checkpoint: it has no "
                        + EmbeddingCheckpoint.CONFIG_FILE + " (train one with embed-train)");
            }
            dir = latest;
        }
        if (!HadoopFiles.exists(HadoopFiles.child(dir, "tokenizer.json"), conf)) {
            throw new IllegalArgumentException("checkpoint " + dir + " has no tokenizer.json");
        }
        JsonNode json;
        try {
            json = JSON.readTree(HadoopFiles.readString(HadoopFiles.child(dir, EmbeddingCheckpoint.CONFIG_FILE), conf));
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("checkpoint " + dir + ": cannot read " + EmbeddingCheckpoint.CONFIG_FILE
                    + ": " + e.getMessage(), e);
        }
        String want = json.path("model_hash").asText("");
        List<String> hashed = new ArrayList<>();
        json.path("hashed_files").forEach(f -> hashed.add(f.asText()));
        if (want.isEmpty() || hashed.isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + dir + ": " + EmbeddingCheckpoint.CONFIG_FILE
                    + " has no model_hash or hashed_files");
        }
        for (String f : hashed) {
            if (!HadoopFiles.exists(HadoopFiles.child(dir, f), conf)) {
                throw new IllegalArgumentException("checkpoint " + dir + " is missing " + f);
            }
        }
        java.nio.file.Path local = HadoopFiles.localDir(dir, conf);
        String got;
        try {
            got = "sha256:" + EmbeddingCheckpoint.hash(local, hashed);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("checkpoint " + dir + ": " + e.getMessage(), e);
        }
        if (!want.equals(got)) {
            throw new IllegalArgumentException("checkpoint " + dir + " does not match its model_hash (files hash to "
                    + got + ", " + EmbeddingCheckpoint.CONFIG_FILE + " says " + want + ")");
        }
        Path qualified = new Path(dir);
        try {
            qualified = qualified.getFileSystem(conf).makeQualified(qualified);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new EmbedderCheckpoint(qualified.toString(), want, json.path("max_length").asInt(),
                json.path("hidden_size").asInt(), json.path("instruction_template").asText(),
                json.path("provenance").path("task").asText(""));
    }

    /** The step-N directory with the highest N under dir, or null. */
    static String latestStep(String dir, Configuration conf) {
        try {
            Path p = new Path(dir);
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) {
                return null;
            }
            String best = null;
            long bestStep = -1;
            for (FileStatus st : fs.listStatus(p)) {
                String name = st.getPath().getName();
                if (st.isDirectory() && name.matches("step-\\d+")) {
                    long s = Long.parseLong(name.substring(5));
                    if (s > bestStep) {
                        bestStep = s;
                        best = st.getPath().toString();
                    }
                }
            }
            return best;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
