package org.verbo.prep.bpe;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A trained byte-level BPE tokenizer: what {@link BpeTrainer} produces and {@link BpeEncoder}
 * applies, stored as a Hugging Face {@code tokenizer.json}.
 *
 * @param specialTokens added tokens (HF {@code added_tokens}, {@code special: true}); the encoder
 *     splits them out of the text before pre-tokenization, as HF does
 * @param vocab token → id, ids dense in {@code [0, vocab.size())}; contains the special tokens and
 *     all 256 byte-level symbols; iteration order is id order
 * @param merges merge rules {@code [left, right]} by rank (first = applied first)
 * @param pattern pre-tokenizer regex, see {@link PreTokenizer}
 */
public record BpeModel(List<String> specialTokens, Map<String, Integer> vocab, List<String[]> merges, String pattern)
        implements java.io.Serializable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Validates and takes immutable copies; see the parameter docs for the invariants. */
    public BpeModel {
        Objects.requireNonNull(specialTokens, "specialTokens");
        Objects.requireNonNull(vocab, "vocab");
        Objects.requireNonNull(merges, "merges");
        new PreTokenizer(pattern); // validates the regex
        specialTokens = List.copyOf(specialTokens);

        String[] byId = new String[vocab.size()];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = Objects.requireNonNull(e.getValue(), "null id");
            if (id < 0 || id >= byId.length) {
                throw new IllegalArgumentException("vocab ids must be dense in [0, " + byId.length + "), got "
                        + id + " for \"" + e.getKey() + "\"");
            }
            if (byId[id] != null) {
                throw new IllegalArgumentException("vocab id " + id + " is used by \"" + byId[id] + "\" and \""
                        + e.getKey() + "\"");
            }
            byId[id] = e.getKey();
        }
        LinkedHashMap<String, Integer> ordered = new LinkedHashMap<>(byId.length * 2);
        for (int id = 0; id < byId.length; id++) {
            ordered.put(byId[id], id);
        }
        for (String t : specialTokens) {
            if (!ordered.containsKey(t)) {
                throw new IllegalArgumentException("special token \"" + t + "\" is not in the vocab");
            }
        }
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.charOf(b);
            if (!ordered.containsKey(String.valueOf(c))) {
                throw new IllegalArgumentException(String.format(
                        "vocab lacks byte-level symbol '%c' (byte 0x%02X): verbo needs all 256 so that any text"
                                + " encodes without <unk>", c, b));
            }
        }
        List<String[]> mergesCopy = new ArrayList<>(merges.size());
        for (String[] m : merges) {
            if (m == null || m.length != 2) {
                throw new IllegalArgumentException("a merge must be a pair [left, right], got "
                        + Arrays.toString(m));
            }
            if (!ordered.containsKey(m[0]) || !ordered.containsKey(m[1]) || !ordered.containsKey(m[0] + m[1])) {
                throw new IllegalArgumentException("merge \"" + m[0] + " " + m[1]
                        + "\" needs both parts and their concatenation in the vocab");
            }
            mergesCopy.add(new String[] {m[0], m[1]});
        }
        vocab = Collections.unmodifiableMap(ordered);
        merges = Collections.unmodifiableList(mergesCopy);
    }

    /** Number of tokens (special tokens included). */
    public int vocabSize() {
        return vocab.size();
    }

    /**
     * The id of {@code token}.
     *
     * @throws IllegalArgumentException if the token is not in the vocab
     */
    public int idOf(String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("token \"" + token + "\" is not in the vocab");
        }
        return id;
    }

    /** Whether {@code token} is in the vocab. */
    public boolean contains(String token) {
        return vocab.containsKey(token);
    }

    /** Tokens indexed by id. */
    public String[] tokensById() {
        String[] out = new String[vocab.size()];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            out[e.getValue()] = e.getKey();
        }
        return out;
    }

    /** Hex SHA-256 of {@link #toHuggingFaceJson()} in UTF-8: a content id to record in manifests. */
    public String sha256() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(toHuggingFaceJson().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    // -------------------------------------------------------------------------------------------
    // Hugging Face tokenizer.json
    // -------------------------------------------------------------------------------------------

    /**
     * The canonical {@code tokenizer.json} (same model → same bytes), loadable by HF tokenizers
     * (Rust/Python/JS) and DJL's {@code HuggingFaceTokenizer}: BPE model over byte-level symbols
     * (no {@code unk_token}, {@code fuse_unk}/{@code byte_fallback}/{@code ignore_merges} false),
     * special tokens as added tokens, no normalizer, pre-tokenizer {@code Sequence[Split(Regex,
     * Isolated), ByteLevel(add_prefix_space=false, use_regex=false)]}, no post-processor, ByteLevel
     * decoder. Merges are written as {@code "left right"} strings, which every HF version reads
     * (byte-level symbols never contain a space).
     */
    public String toHuggingFaceJson() {
        StringWriter sw = new StringWriter(64 + vocab.size() * 24 + merges.size() * 16);
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(
                Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try (JsonGenerator g = new JsonFactory().createGenerator(sw)) {
            g.setPrettyPrinter(pp);
            g.writeStartObject();
            g.writeStringField("version", "1.0");
            g.writeNullField("truncation");
            g.writeNullField("padding");
            g.writeArrayFieldStart("added_tokens");
            for (String t : specialTokens) {
                g.writeStartObject();
                g.writeNumberField("id", vocab.get(t));
                g.writeStringField("content", t);
                g.writeBooleanField("single_word", false);
                g.writeBooleanField("lstrip", false);
                g.writeBooleanField("rstrip", false);
                g.writeBooleanField("normalized", false);
                g.writeBooleanField("special", true);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNullField("normalizer");
            g.writeObjectFieldStart("pre_tokenizer");
            g.writeStringField("type", "Sequence");
            g.writeArrayFieldStart("pretokenizers");
            g.writeStartObject();
            g.writeStringField("type", "Split");
            g.writeObjectFieldStart("pattern");
            g.writeStringField("Regex", pattern);
            g.writeEndObject();
            g.writeStringField("behavior", "Isolated");
            g.writeBooleanField("invert", false);
            g.writeEndObject();
            writeByteLevel(g, false);
            g.writeEndArray();
            g.writeEndObject();
            g.writeNullField("post_processor");
            g.writeFieldName("decoder");
            writeByteLevel(g, false);
            g.writeObjectFieldStart("model");
            g.writeStringField("type", "BPE");
            g.writeNullField("dropout");
            g.writeNullField("unk_token");
            g.writeNullField("continuing_subword_prefix");
            g.writeNullField("end_of_word_suffix");
            g.writeBooleanField("fuse_unk", false);
            g.writeBooleanField("byte_fallback", false);
            g.writeBooleanField("ignore_merges", false);
            g.writeObjectFieldStart("vocab");
            for (Map.Entry<String, Integer> e : vocab.entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeArrayFieldStart("merges");
            for (String[] m : merges) {
                g.writeString(m[0] + " " + m[1]);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return sw.append('\n').toString();
    }

    private static void writeByteLevel(JsonGenerator g, boolean useRegex) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "ByteLevel");
        g.writeBooleanField("add_prefix_space", false);
        g.writeBooleanField("trim_offsets", true);
        g.writeBooleanField("use_regex", useRegex);
        g.writeEndObject();
    }

    /**
     * Reads a {@code tokenizer.json} written by {@link #toHuggingFaceJson()}, or any HF byte-level
     * BPE file of the same structure: no normalizer; pre-tokenizer {@code ByteLevel(add_prefix_space
     * =false, use_regex=true)} (GPT-2's regex) or {@code Sequence[Split(Regex, Isolated, invert=false),
     * ByteLevel(add_prefix_space=false, use_regex=false)]}; ByteLevel decoder; BPE without dropout,
     * subword prefix/suffix or {@code ignore_merges}; merges as {@code "a b"} strings or
     * {@code ["a", "b"]} pairs; added tokens without lstrip/rstrip/single_word. Truncation, padding
     * and the post-processor only matter when special tokens are added, and are ignored.
     *
     * @throws IllegalArgumentException naming the first unsupported or malformed part
     */
    public static BpeModel fromHuggingFaceJson(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tokenizer.json is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("tokenizer.json must be a JSON object");
        }
        JsonNode model = root.path("model");
        if (!model.isObject()) {
            throw new IllegalArgumentException("tokenizer.json has no \"model\" object");
        }
        String type = model.path("type").asText("BPE");
        if (!"BPE".equals(type)) {
            throw new IllegalArgumentException("unsupported model type \"" + type + "\": verbo reads BPE only");
        }
        requireNullOrEmpty(model, "dropout", "BPE dropout");
        requireNullOrEmpty(model, "continuing_subword_prefix", "BPE continuing_subword_prefix");
        requireNullOrEmpty(model, "end_of_word_suffix", "BPE end_of_word_suffix");
        if (model.path("ignore_merges").asBoolean(false)) {
            throw new IllegalArgumentException("BPE ignore_merges=true is not supported");
        }
        if (!isNull(root.path("normalizer"))) {
            throw new IllegalArgumentException("normalizer " + root.get("normalizer").path("type").asText("?")
                    + " is not supported: verbo's encoder applies no normalizer");
        }
        String pattern = patternOf(root.path("pre_tokenizer"));
        JsonNode decoder = root.path("decoder");
        if (!"ByteLevel".equals(decoder.path("type").asText(null))) {
            throw new IllegalArgumentException("decoder must be ByteLevel, got "
                    + (isNull(decoder) ? "null" : decoder.path("type").asText("?")));
        }

        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) {
            throw new IllegalArgumentException("model.vocab must be an object token -> id");
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt()) {
                throw new IllegalArgumentException("model.vocab id of \"" + e.getKey() + "\" is not an int");
            }
            vocab.put(e.getKey(), e.getValue().intValue());
        }

        List<String> special = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            String content = t.path("content").asText(null);
            if (content == null || !t.path("id").canConvertToInt()) {
                throw new IllegalArgumentException("added token without content/id: " + t);
            }
            for (String flag : new String[] {"single_word", "lstrip", "rstrip"}) {
                if (t.path(flag).asBoolean(false)) {
                    throw new IllegalArgumentException("added token \"" + content + "\" has " + flag
                            + "=true, which verbo's encoder does not support");
                }
            }
            int id = t.get("id").intValue();
            Integer old = vocab.putIfAbsent(content, id);
            if (old != null && old != id) {
                throw new IllegalArgumentException("added token \"" + content + "\" has id " + id
                        + " but the model vocab says " + old);
            }
            special.add(content);
        }

        JsonNode mergesNode = model.path("merges");
        if (!mergesNode.isArray()) {
            throw new IllegalArgumentException("model.merges must be an array");
        }
        List<String[]> merges = new ArrayList<>(mergesNode.size());
        for (JsonNode m : mergesNode) {
            if (m.isTextual()) {
                String[] parts = m.asText().split(" ", -1);
                if (parts.length != 2) {
                    throw new IllegalArgumentException("merge \"" + m.asText() + "\" is not \"left right\"");
                }
                merges.add(parts);
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                merges.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw new IllegalArgumentException("merge " + m + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
        }
        return new BpeModel(special, vocab, merges, pattern);
    }

    private static String patternOf(JsonNode pre) {
        if (isNull(pre)) {
            throw new IllegalArgumentException("pre_tokenizer null is not supported: need ByteLevel");
        }
        String type = pre.path("type").asText("?");
        if ("ByteLevel".equals(type)) {
            checkByteLevel(pre, true);
            return PreTokenizer.GPT2_PATTERN;
        }
        if ("Sequence".equals(type)) {
            JsonNode list = pre.path("pretokenizers");
            if (list.size() == 1 && "ByteLevel".equals(list.get(0).path("type").asText())) {
                checkByteLevel(list.get(0), true);
                return PreTokenizer.GPT2_PATTERN;
            }
            if (list.size() == 2 && "Split".equals(list.get(0).path("type").asText())
                    && "ByteLevel".equals(list.get(1).path("type").asText())) {
                JsonNode split = list.get(0);
                String regex = split.path("pattern").path("Regex").asText(null);
                if (regex == null) {
                    throw new IllegalArgumentException("Split pre-tokenizer must have a {\"Regex\": ...} pattern, got "
                            + split.path("pattern"));
                }
                if (!"Isolated".equals(split.path("behavior").asText())) {
                    throw new IllegalArgumentException("Split behavior must be Isolated, got "
                            + split.path("behavior"));
                }
                if (split.path("invert").asBoolean(false)) {
                    throw new IllegalArgumentException("Split invert=true is not supported");
                }
                checkByteLevel(list.get(1), false);
                return regex;
            }
        }
        throw new IllegalArgumentException("unsupported pre_tokenizer " + type + ": verbo reads ByteLevel(use_regex"
                + "=true) or Sequence[Split(Regex, Isolated), ByteLevel(use_regex=false)]");
    }

    private static void checkByteLevel(JsonNode byteLevel, boolean useRegex) {
        // HF's defaults for absent fields: add_prefix_space=true, use_regex=true.
        if (byteLevel.path("add_prefix_space").asBoolean(true)) {
            throw new IllegalArgumentException("ByteLevel add_prefix_space=true is not supported");
        }
        if (byteLevel.path("use_regex").asBoolean(true) != useRegex) {
            throw new IllegalArgumentException("ByteLevel use_regex must be " + useRegex + " here");
        }
    }

    private static boolean isNull(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode();
    }

    private static void requireNullOrEmpty(JsonNode obj, String field, String what) {
        JsonNode n = obj.path(field);
        if (!isNull(n) && !(n.isTextual() && n.asText().isEmpty())) {
            throw new IllegalArgumentException(what + " (" + n + ") is not supported");
        }
    }

    // Records compare arrays by identity; compare merges by content instead.
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof BpeModel other) || merges.size() != other.merges.size()) {
            return false;
        }
        for (int i = 0; i < merges.size(); i++) {
            if (!Arrays.equals(merges.get(i), other.merges.get(i))) {
                return false;
            }
        }
        return specialTokens.equals(other.specialTokens) && vocab.equals(other.vocab)
                && pattern.equals(other.pattern);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(specialTokens, vocab, pattern);
        for (String[] m : merges) {
            h = 31 * h + Arrays.hashCode(m);
        }
        return h;
    }

    @Override
    public String toString() {
        return "BpeModel[vocab=" + vocab.size() + ", merges=" + merges.size() + ", special=" + specialTokens
                + ", pattern=" + pattern + "]";
    }
}
