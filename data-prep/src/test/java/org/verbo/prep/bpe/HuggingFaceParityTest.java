package org.verbo.prep.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * verbo's encoder against Hugging Face tokenizers (Rust, through DJL 0.36 = tokenizers 0.21) on
 * the tokenizer.json verbo writes: same ids on held-out multilingual text, and both decode back to
 * the input. DJL runs offline (DJL_OFFLINE=true, RUST_FLAVOR=cpu, set by surefire).
 */
class HuggingFaceParityTest {

    /** DJL options: the raw encoding, as the tokenize job needs it. */
    static final Map<String, String> DJL_OPTIONS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    /** A Llama-3-style pattern: exercises the regex path ((?i:), {1,3}, [\r\n]) instead of the scanner. */
    static final String LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    static BpeModel model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void train() {
        model = BpeTrainer.train(BpeTrainer.countWords(TestCorpus.trainingDocuments(), PreTokenizer.gpt2()),
                BpeTrainerConfig.defaults().withVocabSize(600));
    }

    private void assertParity(BpeModel m, String json) throws IOException {
        Path file = tmp.resolve("tokenizer-" + System.nanoTime() + ".json");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        BpeEncoder ours = new BpeEncoder(m);
        int checked = 0;
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, DJL_OPTIONS)) {
            for (String text : TestCorpus.heldOutTexts()) {
                long[] hfIds = hf.encode(text).getIds();
                int[] ids = ours.encode(text);
                assertArrayEquals(hfIds, Arrays.stream(ids).asLongStream().toArray(), () -> "text: " + text);
                assertEquals(text, ours.decode(ids), "verbo decode");
                assertEquals(text, hf.decode(hfIds, false), "HF decode");
                checked += ids.length;
            }
        }
        assertTrue(checked > 1000, "compared " + checked + " tokens");
    }

    @Test
    void sameIdsAsHuggingFaceOnHeldOutText() throws IOException {
        assertEquals(600, model.vocabSize());
        assertParity(model, model.toHuggingFaceJson());
    }

    /** The GPT-2 file layout: ByteLevel(use_regex=true) pre-tokenizer, merges as pairs, post-processor. */
    @Test
    void gpt2StyleFileReadsAndEncodesTheSame() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(model.toHuggingFaceJson());
        ObjectNode byteLevel = mapper.createObjectNode();
        byteLevel.put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", true);
        root.set("pre_tokenizer", byteLevel);
        root.set("post_processor", byteLevel.deepCopy().put("trim_offsets", false));
        ArrayNode pairs = mapper.createArrayNode();
        for (String[] m : model.merges()) {
            pairs.add(mapper.createArrayNode().add(m[0]).add(m[1]));
        }
        ((ObjectNode) root.get("model")).set("merges", pairs);
        String json = mapper.writeValueAsString(root);
        BpeModel read = BpeModel.fromHuggingFaceJson(json);
        assertEquals(model, read);
        assertParity(read, json);
    }

    @Test
    void regexPathAndOverlappingSpecialTokensMatchToo() throws IOException {
        BpeTrainerConfig cfg = new BpeTrainerConfig(650, List.of("<s>", "</s>", "<s>abc", "<pad>"), 2, LLAMA3_PATTERN);
        BpeModel m = BpeTrainer.train(
                BpeTrainer.countWords(TestCorpus.trainingDocuments(), new PreTokenizer(LLAMA3_PATTERN)), cfg);
        assertParity(m, m.toHuggingFaceJson());
        assertArrayEquals(new int[] {m.idOf("<s>abc"), m.idOf("<s>")}, new BpeEncoder(m).encode("<s>abc<s>"),
                "leftmost-longest special token");
    }
}
