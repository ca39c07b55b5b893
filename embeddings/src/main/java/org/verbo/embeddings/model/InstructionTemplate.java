package org.verbo.embeddings.model;

import java.util.Arrays;
import java.util.function.Function;

/**
 * NV-Embed's query prompt (section 3.3, "Instruct: {task_definition} \n Query: {query}"); documents get none. The
 * instruction tokens take part in the decoder's attention but not in the pooling, so a query comes back with its
 * instruction's token count.
 *
 * @param template contains {@code {task}} and ends with {@code {text}}, so the instruction is a prefix
 */
public record InstructionTemplate(String template) {
    public static final String TASK = "{task}";
    public static final String TEXT = "{text}";
    /** The paper's template. */
    public static final InstructionTemplate NV_EMBED = new InstructionTemplate("Instruct: {task}\nQuery: {text}");

    public InstructionTemplate {
        if (template == null || !template.contains(TASK) || !template.endsWith(TEXT)
                || template.indexOf(TEXT) != template.length() - TEXT.length()) {
            throw new IllegalArgumentException("instruction template must contain " + TASK + " and end with its only "
                    + TEXT + ", got " + template);
        }
    }

    /** Token ids of one text and how many leading ones are instruction (0 for a document). */
    public record Tokenized(int[] ids, int instructionLength) {
        public Tokenized {
            if (ids == null || instructionLength < 0 || instructionLength >= ids.length) {
                throw new IllegalArgumentException("a text needs at least one token after its " + instructionLength
                        + " instruction tokens, got " + (ids == null ? "null" : ids.length) + " tokens");
            }
            ids = ids.clone();
        }

        @Override
        public int[] ids() {
            return ids.clone();
        }
    }

    /** The instruction prefix for a task: the template up to {@code {text}}. */
    public String prefix(String task) {
        return template.substring(0, template.length() - TEXT.length()).replace(TASK, task);
    }

    /**
     * A query: ids = encoder(prefix) followed by encoder(text). The two parts are encoded separately so the
     * instruction length is exact (a byte-level BPE run over the joined string may merge across the boundary, e.g. the
     * prefix's trailing space into the first word). The encoder must not add special tokens.
     */
    public Tokenized query(String task, String text, Function<String, int[]> encoder) {
        int[] prefix = encoder.apply(prefix(task));
        int[] body = encoder.apply(text);
        int[] ids = Arrays.copyOf(prefix, prefix.length + body.length);
        System.arraycopy(body, 0, ids, prefix.length, body.length);
        return new Tokenized(ids, prefix.length);
    }

    /** A document: no prefix. */
    public static Tokenized document(String text, Function<String, int[]> encoder) {
        return new Tokenized(encoder.apply(text), 0);
    }
}
