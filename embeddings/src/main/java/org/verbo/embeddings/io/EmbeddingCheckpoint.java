package org.verbo.embeddings.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.embeddings.model.EmbeddingConfig;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.model.InstructionTemplate;
import org.verbo.embeddings.model.LastTokenPooling;
import org.verbo.embeddings.model.LatentAttentionConfig;
import org.verbo.embeddings.model.LatentAttentionPooling;
import org.verbo.embeddings.model.MeanPooling;
import org.verbo.embeddings.model.ParameterGroup;
import org.verbo.embeddings.model.Pooling;
import org.verbo.embeddings.model.PoolingKind;
import org.verbo.models.LlamaModel;
import org.verbo.models.ParameterLayout;
import org.verbo.models.io.CheckpointException;
import org.verbo.models.io.Checkpoints;
import org.verbo.models.io.SafeTensors;
import org.verbo.models.nn.AttentionMode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An embedding checkpoint directory:
 * <ul>
 *   <li>{@code model.safetensors} + {@code config.json}: the decoder, Hugging Face Llama names and config
 *       ({@link Checkpoints#saveModel}), so the decoder part loads anywhere a Llama checkpoint does;</li>
 *   <li>{@code pooling.safetensors}: the latent attention tensors with the reference's names
 *       ({@code latent_attention_model.latents}, {@code ...cross_attend_blocks.0.fn.to_q.weight}, ...), absent for mean
 *       and last-token pooling;</li>
 *   <li>{@code embedding_config.json}: pooling kind and shape, attention mode, max length, instruction template,
 *       similarity, data type, {@code model_hash} (SHA-256 of the safetensors files in the order
 *       {@code hashed_files} lists) and the caller's provenance.</li>
 * </ul>
 * Written into a temp directory beside the target and renamed ({@link Checkpoints#publish}): a crash never leaves a
 * half checkpoint that looks whole. Local {@link Path}s only; the Spark side copies to and from Hadoop paths.
 */
public final class EmbeddingCheckpoint {
    public static final String POOLING_FILE = "pooling.safetensors";
    public static final String CONFIG_FILE = "embedding_config.json";
    public static final String FORMAT = "verbo-embedding";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EmbeddingCheckpoint() {
    }

    /**
     * Saves the model as {@code dir} (replaced if it exists).
     *
     * @param provenance written under "provenance" (base checkpoint, data, seed, steps, ...); may be empty
     * @param extraFiles copied into the checkpoint by file name (e.g. the tokenizer.json the texts were encoded with)
     */
    public static void save(EmbeddingModel model, Path dir, Map<String, ?> provenance, List<Path> extraFiles)
            throws IOException {
        Path target = dir.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + System.nanoTime());
        Files.createDirectory(tmp);
        try {
            boolean f64 = model.decoder().dataType() == DataType.DOUBLE;
            Checkpoints.saveModel(model.decoder(), tmp, Map.of());
            List<String> hashed = new ArrayList<>(List.of(Checkpoints.MODEL_FILE));
            ParameterGroup pooling = model.pooling().parameters();
            if (pooling != null) {
                Checkpoints.writeFlat(tmp.resolve(POOLING_FILE), pooling.layout(), pooling.parameters(), f64,
                        Map.of("format", "pt", "producer", "verbo", "pooling", model.config().pooling().id()));
                hashed.add(POOLING_FILE);
            }
            for (Path extra : extraFiles) {
                Files.copy(extra, tmp.resolve(extra.getFileName().toString()));
            }
            ObjectNode json = configJson(model, f64 ? "float64" : "float32");
            json.put("model_hash", "sha256:" + hash(tmp, hashed));
            var files = json.putArray("hashed_files");
            hashed.forEach(files::add);
            json.set("provenance", JSON.valueToTree(provenance));
            JSON.writeValue(tmp.resolve(CONFIG_FILE).toFile(), json);
            Checkpoints.publish(tmp, target);
        } catch (IOException | RuntimeException e) {
            Checkpoints.deleteTree(tmp);
            throw e;
        }
    }

    private static ObjectNode configJson(EmbeddingModel model, String dtype) {
        EmbeddingConfig c = model.config();
        ObjectNode json = JSON.createObjectNode();
        json.put("format", FORMAT);
        json.put("version", VERSION);
        json.put("pooling", c.pooling().id());
        json.put("hidden_size", model.dimension());
        json.put("num_latents", c.numLatents());
        json.put("num_heads", c.numHeads());
        json.put("head_dim", c.headDim());
        json.put("ffn_mult", c.ffnMult());
        if (model.pooling() instanceof LatentAttentionPooling la) {
            json.put("layer_norm_eps", la.config().normEps());
        }
        json.put("attention", c.attention().name().toLowerCase(Locale.ROOT));
        json.put("max_length", c.maxLength());
        json.put("instruction_template", c.template().template());
        json.put("similarity", c.similarity());
        json.put("normalize", true);
        json.put("dtype", dtype);
        return json;
    }

    /** Loads a float32 model. */
    public static EmbeddingModel load(Path dir) {
        return load(dir, DataType.FLOAT);
    }

    /** Loads the decoder, the pooling and the config, checking the model hash first. */
    public static EmbeddingModel load(Path dir, DataType dtype) {
        Path cfgFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(cfgFile)) {
            throw new CheckpointException(dir + " is not an embedding checkpoint: it has no " + CONFIG_FILE);
        }
        JsonNode json;
        try {
            json = JSON.readTree(cfgFile.toFile());
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + cfgFile + ": " + e.getMessage(), e);
        }
        if (!FORMAT.equals(text(json, "format", cfgFile)) || json.path("version").asInt() != VERSION) {
            throw new CheckpointException(cfgFile + " is not a " + FORMAT + " version " + VERSION + " config");
        }
        List<String> hashed = new ArrayList<>();
        json.path("hashed_files").forEach(f -> hashed.add(f.asText()));
        String want = text(json, "model_hash", cfgFile);
        String got = "sha256:" + hash(dir, hashed);
        if (!want.equals(got)) {
            throw new CheckpointException(dir + ": model files do not match embedding_config.json's model_hash ("
                    + got + " vs " + want + ")");
        }
        EmbeddingConfig config;
        try {
            config = new EmbeddingConfig(PoolingKind.parse(text(json, "pooling", cfgFile)),
                    json.path("num_latents").asInt(), json.path("num_heads").asInt(), json.path("head_dim").asInt(),
                    json.path("ffn_mult").asInt(),
                    AttentionMode.valueOf(text(json, "attention", cfgFile).toUpperCase(Locale.ROOT)),
                    json.path("max_length").asInt(), new InstructionTemplate(text(json, "instruction_template", cfgFile)),
                    text(json, "similarity", cfgFile));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(cfgFile + ": " + e.getMessage(), e);
        }
        LlamaModel decoder = Checkpoints.loadModel(dir, dtype);
        if (json.path("hidden_size").asInt() != decoder.config().hiddenSize()) {
            throw new CheckpointException(cfgFile + " says hidden_size " + json.path("hidden_size").asInt()
                    + ", config.json says " + decoder.config().hiddenSize());
        }
        Pooling pooling = switch (config.pooling()) {
            case MEAN -> new MeanPooling();
            case LAST_TOKEN -> new LastTokenPooling();
            case LATENT_ATTENTION -> {
                LatentAttentionConfig la = new LatentAttentionConfig(decoder.config().hiddenSize(), config.numLatents(),
                        config.numHeads(), config.headDim(), config.ffnMult(), json.path("layer_norm_eps").asDouble(1e-5));
                yield LatentAttentionPooling.over(la, readFlat(dir.resolve(POOLING_FILE),
                        LatentAttentionPooling.layout(la), dtype));
            }
        };
        return new EmbeddingModel(decoder, pooling, config);
    }

    /**
     * A new embedder over a decoder checkpoint (a {@code pretrain} step directory or any Hugging Face Llama
     * checkpoint), with a freshly initialised pooling.
     */
    public static EmbeddingModel fromDecoder(Path decoderCheckpoint, EmbeddingConfig config, long seed) {
        return EmbeddingModel.create(Checkpoints.loadModel(decoderCheckpoint), config, seed);
    }

    private static INDArray readFlat(Path file, ParameterLayout layout, DataType dtype) {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException("embedding checkpoint has latent attention pooling but no " + file);
        }
        INDArray flat = Nd4j.create(dtype, layout.size());
        try (SafeTensors.Reader r = new SafeTensors.Reader(file)) {
            for (ParameterLayout.Entry e : layout.entries()) {
                if (!r.contains(e.name())) {
                    throw new CheckpointException(file + " is missing tensor '" + e.name() + "'");
                }
                if (!Arrays.equals(r.info(e.name()).shape(), e.shape())) {
                    throw new CheckpointException(file + ": tensor '" + e.name() + "' has shape "
                            + Arrays.toString(r.info(e.name()).shape()) + ", the config implies " + Arrays.toString(e.shape()));
                }
                INDArray target = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(e.offset(),
                        e.offset() + e.size()));
                target.assign(dtype == DataType.DOUBLE ? Nd4j.createFromArray(r.readDoubles(e.name()))
                        : Nd4j.createFromArray(r.readFloats(e.name())).castTo(dtype));
            }
        }
        return flat;
    }

    private static String text(JsonNode json, String field, Path file) {
        JsonNode v = json.get(field);
        if (v == null || !v.isTextual()) {
            throw new CheckpointException(file + " has no text field '" + field + "'");
        }
        return v.asText();
    }

    /** SHA-256 of the files' bytes, one after the other, as hex. */
    public static String hash(Path dir, List<String> files) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (String f : files) {
                try (InputStream in = Files.newInputStream(dir.resolve(f))) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        md.update(buf, 0, n);
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        } catch (IOException e) {
            throw new CheckpointException("cannot hash " + dir + ": " + e.getMessage(), e);
        }
    }
}
