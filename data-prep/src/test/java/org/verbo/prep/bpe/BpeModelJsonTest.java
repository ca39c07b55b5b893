package org.verbo.prep.bpe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BpeModelJsonTest {

    static BpeModel model;
    static final ObjectMapper MAPPER = new ObjectMapper();

    @BeforeAll
    static void train() {
        model = BpeTrainer.train(BpeTrainerTest.hugs(), BpeTrainerConfig.defaults().withMinFrequency(1));
    }

    @Test
    void roundTripIsExactAndCanonical() {
        String json = model.toHuggingFaceJson();
        BpeModel read = BpeModel.fromHuggingFaceJson(json);
        assertEquals(model, read);
        assertEquals(json, read.toHuggingFaceJson());
        assertEquals(model.sha256(), read.sha256());
        assertTrue(model.sha256().matches("[0-9a-f]{64}"));
        BpeModel fewer = BpeTrainer.train(BpeTrainerTest.hugs(),
                BpeTrainerConfig.defaults().withMinFrequency(1).withVocabSize(4 + 256 + 3));
        assertNotEquals(model.sha256(), fewer.sha256());
    }

    @Test
    void writesTheHuggingFaceSchema() throws Exception {
        JsonNode root = MAPPER.readTree(model.toHuggingFaceJson());
        assertEquals("1.0", root.get("version").asText());
        assertTrue(root.get("normalizer").isNull());
        JsonNode added = root.get("added_tokens");
        assertEquals(4, added.size());
        assertEquals("</s>", added.get(2).get("content").asText());
        assertEquals(2, added.get(2).get("id").asInt());
        assertTrue(added.get(2).get("special").asBoolean());
        assertFalse(added.get(2).get("normalized").asBoolean());
        JsonNode pre = root.get("pre_tokenizer");
        assertEquals("Sequence", pre.get("type").asText());
        assertEquals("Split", pre.get("pretokenizers").get(0).get("type").asText());
        assertEquals(PreTokenizer.GPT2_PATTERN, pre.get("pretokenizers").get(0).get("pattern").get("Regex").asText());
        assertEquals("Isolated", pre.get("pretokenizers").get(0).get("behavior").asText());
        assertEquals("ByteLevel", pre.get("pretokenizers").get(1).get("type").asText());
        assertFalse(pre.get("pretokenizers").get(1).get("use_regex").asBoolean());
        assertEquals("ByteLevel", root.get("decoder").get("type").asText());
        JsonNode m = root.get("model");
        assertEquals("BPE", m.get("type").asText());
        assertTrue(m.get("unk_token").isNull());
        assertFalse(m.get("byte_fallback").asBoolean());
        assertFalse(m.get("fuse_unk").asBoolean());
        assertEquals(4 + 256 + 7, m.get("vocab").size());
        assertEquals("u g", m.get("merges").get(0).asText());
        assertEquals(4 + 256, m.get("vocab").get("ug").asInt());
    }

    private static String edit(Consumer<ObjectNode> change) {
        try {
            ObjectNode root = (ObjectNode) MAPPER.readTree(model.toHuggingFaceJson());
            change.accept(root);
            return MAPPER.writeValueAsString(root);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertRejected(String json, String messagePart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpeModel.fromHuggingFaceJson(json));
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    @Test
    void unsupportedFilesFailWithAClearMessage() {
        assertRejected("{not json", "not valid JSON");
        assertRejected("[]", "JSON object");
        assertRejected(edit(r -> ((ObjectNode) r.get("model")).put("type", "WordPiece")), "WordPiece");
        assertRejected(edit(r -> r.set("normalizer", MAPPER.createObjectNode().put("type", "NFC"))), "NFC");
        assertRejected(edit(r -> ((ObjectNode) r.get("pre_tokenizer").get("pretokenizers").get(1))
                .put("add_prefix_space", true)), "add_prefix_space");
        assertRejected(edit(r -> r.set("pre_tokenizer", MAPPER.createObjectNode().put("type", "Whitespace"))),
                "Whitespace");
        assertRejected(edit(r -> r.set("decoder", MAPPER.nullNode())), "decoder");
        assertRejected(edit(r -> ((ObjectNode) r.get("model")).put("ignore_merges", true)), "ignore_merges");
        assertRejected(edit(r -> ((ObjectNode) r.get("model")).put("dropout", 0.1)), "dropout");
        assertRejected(edit(r -> ((ObjectNode) r.get("model").get("vocab")).remove("Ā")), "dense");
        assertRejected(edit(r -> ((ObjectNode) r.get("added_tokens").get(0)).put("lstrip", true)), "lstrip");
        assertRejected(edit(r -> ((ObjectNode) r.get("added_tokens").get(0)).put("id", 7)), "id");
        assertRejected(edit(r -> ((com.fasterxml.jackson.databind.node.ArrayNode) r.get("model").get("merges"))
                .add("x y z")), "left right");
    }

    @Test
    void modelValidatesItsInvariants() {
        assertThrows(IllegalArgumentException.class, () -> new BpeModel(List.of(), java.util.Map.of("a", 0),
                List.of(), PreTokenizer.GPT2_PATTERN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.idOf("nope"));
        assertTrue(e.getMessage().contains("nope"));
        assertEquals(2, model.idOf("</s>"));
    }

    @Test
    void javaSerializableForSparkBroadcast() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(model);
            out.writeObject(PreTokenizer.gpt2());
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(model, in.readObject());
            assertEquals(List.of("a", " b"), ((PreTokenizer) in.readObject()).split("a b"));
        }
    }
}
