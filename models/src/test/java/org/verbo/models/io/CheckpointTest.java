package org.verbo.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.ParameterLayout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {
    static final ModelConfig TINY = ModelConfig.preset("tiny");

    @Test
    void roundTripIsBitExactAndReadableFromTheSpec(@TempDir Path dir) throws IOException {
        LlamaModel model = LlamaModel.initialize(TINY, 21);
        Checkpoints.saveModel(model, dir, Map.of("eos_token_id", 2));
        LlamaModel back = LlamaModel.load(dir);
        assertEquals(TINY, back.config());
        float[] a = model.parameters().toFloatVector();
        float[] b = back.parameters().toFloatVector();
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "value " + i);
        }
        Map<String, SpecSafeTensorsReader.Tensor> spec = SpecSafeTensorsReader.read(dir.resolve("model.safetensors"));
        ParameterLayout layout = ParameterLayout.of(TINY);
        assertEquals(layout.tensorCount(), spec.size());
        assertTrue(spec.containsKey("model.embed_tokens.weight"));
        assertTrue(spec.containsKey("model.layers.1.self_attn.k_proj.weight"));
        assertTrue(spec.containsKey("lm_head.weight"));
        for (ParameterLayout.Entry e : layout.entries()) {
            SpecSafeTensorsReader.Tensor t = spec.get(e.name());
            assertArrayEquals(e.shape(), t.shape(), e.name());
            assertArrayEquals(model.parameter(e.name()).reshape(e.size()).toFloatVector(), t.values(), 0.0f, e.name());
        }
        // HF shapes: k_proj is [kv_heads * head_dim, hidden] under GQA
        assertArrayEquals(new long[]{TINY.numKvHeads() * TINY.headDim(), TINY.hiddenSize()},
                spec.get("model.layers.0.self_attn.k_proj.weight").shape());
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertEquals("llama", cfg.get("model_type").asText());
        assertEquals("LlamaForCausalLM", cfg.get("architectures").get(0).asText());
        assertEquals(TINY.ffnSize(), cfg.get("intermediate_size").asInt());
        assertEquals(TINY.numKvHeads(), cfg.get("num_key_value_heads").asInt());
        assertEquals(2, cfg.get("eos_token_id").asInt());
    }

    @Test
    void tiedModelWritesNoLmHeadAndLoadsBack(@TempDir Path dir) throws IOException {
        ModelConfig tied = new ModelConfig(50, 16, 1, 2, 1, 24, 8, 10000.0, 1e-6, true);
        LlamaModel model = LlamaModel.initialize(tied, 3);
        Checkpoints.saveModel(model, dir, null);
        assertFalse(SpecSafeTensorsReader.read(dir.resolve("model.safetensors")).containsKey("lm_head.weight"));
        assertEquals(0.0, LlamaModel.load(dir).parameters().sub(model.parameters()).amaxNumber().doubleValue(), 0.0);
    }

    @Test
    void importsHubStyleBf16ShardedCheckpoint(@TempDir Path dir) throws IOException {
        // Hand-built from the spec: BF16 tensors split over two shards with an index, as hub models ship.
        ModelConfig c = new ModelConfig(6, 4, 1, 2, 2, 4, 8, 10000.0, 1e-5, true);
        Checkpoints.saveModel(LlamaModel.initialize(c, 1), dir, null);   // for config.json
        Files.delete(dir.resolve("model.safetensors"));
        ParameterLayout layout = ParameterLayout.of(c);
        StringBuilder index = new StringBuilder("{\"weight_map\":{");
        int k = 0;
        for (int shard = 0; shard < 2; shard++) {
            StringBuilder h = new StringBuilder("{");
            long off = 0;
            java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
            for (int i = shard; i < layout.tensorCount(); i += 2) {
                ParameterLayout.Entry e = layout.entries().get(i);
                long bytes = 2 * e.size();
                h.append(h.length() > 1 ? "," : "").append('"').append(e.name()).append("\":{\"dtype\":\"BF16\",\"shape\":")
                        .append(java.util.Arrays.toString(e.shape()).replace(" ", "")).append(",\"data_offsets\":[")
                        .append(off).append(',').append(off + bytes).append("]}");
                off += bytes;
                for (long j = 0; j < e.size(); j++) {
                    // value = 0.5 + j/4 (exact in bf16); little-endian upper half of the float bits
                    int bits = Float.floatToIntBits(0.5f + j / 4f) >>> 16;
                    data.write(bits & 0xFF);
                    data.write(bits >>> 8);
                }
                index.append(k++ > 0 ? "," : "").append('"').append(e.name()).append("\":\"shard-").append(shard).append(".safetensors\"");
            }
            h.append('}');
            byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length);
            Path f = dir.resolve("shard-" + shard + ".safetensors");
            Files.write(f, len.array());
            Files.write(f, hb, StandardOpenOption.APPEND);
            Files.write(f, data.toByteArray(), StandardOpenOption.APPEND);
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());
        LlamaModel m = LlamaModel.load(dir);
        assertEquals(0.5f + 5 / 4f, m.parameter("model.layers.0.mlp.up_proj.weight").reshape(16).getFloat(5), 0.0f);
        assertEquals(0.5f, m.parameter("model.norm.weight").getFloat(0), 0.0f);
    }

    @Test
    void truncatedFileNamesTheProblem(@TempDir Path dir) throws IOException {
        Checkpoints.saveModel(LlamaModel.initialize(TINY, 1), dir, null);
        Path f = dir.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("model.safetensors")
                && e.getMessage().contains("lm_head.weight"), e.getMessage());
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(5);
        }
        e = assertThrows(CheckpointException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void wrongShapeNamesTensorAndBothShapes(@TempDir Path dir) throws IOException {
        Checkpoints.saveModel(LlamaModel.initialize(TINY, 1), dir, null);
        // same tensors, but config.json now claims a wider FFN
        String cfg = Files.readString(dir.resolve("config.json"))
                .replace("\"intermediate_size\" : " + TINY.ffnSize(), "\"intermediate_size\" : " + (TINY.ffnSize() + 8));
        Files.writeString(dir.resolve("config.json"), cfg);
        CheckpointException e = assertThrows(CheckpointException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.gate_proj.weight")
                && e.getMessage().contains("[" + TINY.ffnSize() + ", " + TINY.hiddenSize() + "]")
                && e.getMessage().contains("[" + (TINY.ffnSize() + 8) + ", " + TINY.hiddenSize() + "]"), e.getMessage());
    }

    @Test
    void missingTensorIsNamed(@TempDir Path dir) throws IOException {
        Checkpoints.saveModel(LlamaModel.initialize(TINY, 1), dir, null);
        // config.json claims a third layer the weights do not have
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"num_hidden_layers\" : 2", "\"num_hidden_layers\" : 3");
        Files.writeString(dir.resolve("config.json"), cfg);
        CheckpointException e = assertThrows(CheckpointException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("missing tensor 'model.layers.2.input_layernorm.weight'"), e.getMessage());
    }

    @Test
    void unsupportedConfigIsRejectedClearly(@TempDir Path dir) throws IOException {
        Checkpoints.saveModel(LlamaModel.initialize(TINY, 1), dir, null);
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"rope_scaling\" : null", "\"rope_scaling\" : {\"type\": \"linear\", \"factor\": 2.0}"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("rope_scaling"), e.getMessage());
    }
}
