package org.verbo.embeddings.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.embeddings.model.EmbeddingConfig;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.model.InstructionTemplate;
import org.verbo.embeddings.model.PoolingKind;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.io.CheckpointException;
import org.verbo.models.io.Checkpoints;
import org.verbo.models.nn.AttentionMode;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddingCheckpointTest {
    private static final ModelConfig TINY = ModelConfig.preset("tiny");

    private static EmbeddingModel tiny(PoolingKind kind) {
        EmbeddingConfig c = new EmbeddingConfig(kind, 8, 4, 8, 4, AttentionMode.BIDIRECTIONAL, 24,
                new InstructionTemplate("Task: {task}\n{text}"), EmbeddingConfig.COSINE);
        return EmbeddingModel.create(LlamaModel.initialize(TINY, 3), c, 4);
    }

    private static final List<int[]> TEXTS = List.of(new int[]{1, 2, 3, 4, 5}, new int[]{9, 8, 7});

    @Test
    void roundTripIsBitExact(@TempDir Path tmp) throws IOException {
        EmbeddingModel model = tiny(PoolingKind.LATENT_ATTENTION);
        Path tok = Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {}}");
        Path dir = tmp.resolve("out/embedder");
        EmbeddingCheckpoint.save(model, dir, Map.of("base", "tiny", "seed", 4), List.of(tok));
        EmbeddingModel back = EmbeddingCheckpoint.load(dir);
        assertEquals(model.decoder().parameters(), back.decoder().parameters());
        assertEquals(model.pooling().parameters().parameters(), back.pooling().parameters().parameters());
        assertEquals(model.config(), back.config());
        float[][] a = model.encode(TEXTS, List.of(2, 0));
        float[][] b = back.encode(TEXTS, List.of(2, 0));
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i], b[i], 0f);
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve(EmbeddingCheckpoint.CONFIG_FILE).toFile());
        assertEquals("latent_attention", json.get("pooling").asText());
        assertEquals("bidirectional", json.get("attention").asText());
        assertEquals("tiny", json.get("provenance").get("base").asText());
        assertTrue(json.get("model_hash").asText().matches("sha256:[0-9a-f]{64}"));
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(dir.resolve(Checkpoints.CONFIG_FILE)));
        try (Stream<Path> s = Files.list(dir.getParent())) {
            assertEquals(List.of(dir), s.toList(), "no temp directories left beside the checkpoint");
        }
        // the decoder part is a plain HF Llama checkpoint
        assertEquals(model.decoder().parameters(), Checkpoints.loadModel(dir).parameters());
        // saving again replaces it
        EmbeddingCheckpoint.save(model, dir, Map.of(), List.of());
        assertFalse(Files.exists(dir.resolve("tokenizer.json")));
    }

    @Test
    void aChangedWeightFileIsRejected(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("e");
        EmbeddingCheckpoint.save(tiny(PoolingKind.LATENT_ATTENTION), dir, Map.of(), List.of());
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(EmbeddingCheckpoint.POOLING_FILE).toFile(), "rw")) {
            f.seek(f.length() - 3);
            int v = f.read();
            f.seek(f.length() - 3);
            f.write(v ^ 1);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> EmbeddingCheckpoint.load(dir));
        assertTrue(e.getMessage().contains("model_hash"), e.getMessage());
        assertThrows(CheckpointException.class, () -> EmbeddingCheckpoint.load(tmp.resolve("missing")));
    }

    @Test
    void meanPoolingHasNoPoolingFileAndRoundTrips(@TempDir Path tmp) throws IOException {
        EmbeddingModel model = tiny(PoolingKind.MEAN);
        Path dir = tmp.resolve("mean");
        EmbeddingCheckpoint.save(model, dir, Map.of(), List.of());
        assertFalse(Files.exists(dir.resolve(EmbeddingCheckpoint.POOLING_FILE)));
        EmbeddingModel back = EmbeddingCheckpoint.load(dir);
        assertEquals(PoolingKind.MEAN, back.config().pooling());
        assertArrayEquals(model.encode(TEXTS, List.of(0, 0))[0], back.encode(TEXTS, List.of(0, 0))[0], 0f);
    }

    @Test
    void startsFromADecoderCheckpoint(@TempDir Path tmp) throws IOException {
        LlamaModel decoder = LlamaModel.initialize(TINY, 5);
        Path dir = Files.createDirectories(tmp.resolve("step-10"));
        Checkpoints.saveModel(decoder, dir, Map.of());
        EmbeddingModel model = EmbeddingCheckpoint.fromDecoder(dir, EmbeddingConfig.nvEmbed(TINY), 6);
        assertEquals(decoder.parameters(), model.decoder().parameters());
        assertEquals(PoolingKind.LATENT_ATTENTION, model.config().pooling());
        assertEquals(16, model.config().numLatents());   // 512 * 32 / 4096 = 4, kept at the floor of 16
    }
}
