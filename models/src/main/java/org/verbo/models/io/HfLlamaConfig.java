package org.verbo.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.verbo.models.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** {@code config.json} with Hugging Face {@code LlamaConfig} keys, so {@code AutoModelForCausalLM} loads it. */
public final class HfLlamaConfig {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfLlamaConfig() {
    }

    public static ObjectNode toJson(ModelConfig c, String torchDtype, Map<String, ?> extras) {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("LlamaForCausalLM");
        n.put("model_type", "llama");
        n.put("vocab_size", c.vocabSize());
        n.put("hidden_size", c.hiddenSize());
        n.put("intermediate_size", c.ffnSize());
        n.put("num_hidden_layers", c.numLayers());
        n.put("num_attention_heads", c.numHeads());
        n.put("num_key_value_heads", c.numKvHeads());
        n.put("head_dim", c.headDim());
        n.put("max_position_embeddings", c.contextLength());
        n.put("rope_theta", c.ropeTheta());
        n.putNull("rope_scaling");
        n.put("rms_norm_eps", c.normEps());
        n.put("tie_word_embeddings", c.tiedEmbeddings());
        n.put("hidden_act", "silu");
        n.put("attention_bias", false);
        n.put("attention_dropout", 0.0);
        n.put("mlp_bias", false);
        n.put("initializer_range", 0.02);
        n.put("pretraining_tp", 1);
        n.put("use_cache", true);
        n.put("torch_dtype", torchDtype);
        if (extras != null) {
            extras.forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
        }
        return n;
    }

    public static void write(Path file, ModelConfig c, String torchDtype, Map<String, ?> extras) throws IOException {
        Files.write(file, JSON.writeValueAsBytes(toJson(c, torchDtype, extras)));
    }

    /** Reads config.json; rejects Llama variants this implementation does not compute exactly. */
    public static ModelConfig read(Path file) {
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String type = n.path("model_type").asText("");
        if (!type.equals("llama")) {
            throw new CheckpointException(file + ": model_type is '" + type + "', only 'llama' (LlamaForCausalLM) is supported");
        }
        if (n.hasNonNull("rope_scaling")) {
            throw new CheckpointException(file + ": rope_scaling " + n.get("rope_scaling") + " is not supported");
        }
        if (n.path("attention_bias").asBoolean(false) || n.path("mlp_bias").asBoolean(false)) {
            throw new CheckpointException(file + ": attention_bias/mlp_bias are not supported");
        }
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new CheckpointException(file + ": hidden_act '" + act + "' is not supported (silu only)");
        }
        int hidden = required(file, n, "hidden_size");
        int heads = required(file, n, "num_attention_heads");
        if (n.hasNonNull("head_dim") && n.get("head_dim").asInt() != hidden / heads) {
            throw new CheckpointException(file + ": head_dim " + n.get("head_dim").asInt() + " differs from hidden_size / "
                    + "num_attention_heads = " + hidden / heads + "; not supported");
        }
        try {
            return new ModelConfig(required(file, n, "vocab_size"), hidden, required(file, n, "num_hidden_layers"), heads,
                    n.path("num_key_value_heads").asInt(heads), required(file, n, "intermediate_size"),
                    required(file, n, "max_position_embeddings"), n.path("rope_theta").asDouble(10000.0),
                    n.path("rms_norm_eps").asDouble(1e-6), n.path("tie_word_embeddings").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
    }

    private static int required(Path file, JsonNode n, String key) {
        if (!n.hasNonNull(key)) {
            throw new CheckpointException(file + " has no '" + key + "'");
        }
        return n.get(key).asInt();
    }
}
