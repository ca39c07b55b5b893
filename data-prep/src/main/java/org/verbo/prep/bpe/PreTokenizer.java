package org.verbo.prep.bpe;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Splits text into pre-tokens with a regex, like Hugging Face's {@code Split(Regex, Isolated)}
 * pre-tokenizer: every match is a piece, and so is every gap between matches, so the pieces always
 * concatenate back to the input. BPE merges never cross a piece boundary.
 *
 * <p>The pattern is compiled with {@link Pattern#UNICODE_CHARACTER_CLASS} so that {@code \s} means
 * Unicode {@code White_Space} (U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000) as it does in Oniguruma, the regex engine of HF
 * tokenizers; without the flag Java's {@code \s} is ASCII only.
 *
 * <p>For {@link #GPT2_PATTERN} a hand-written scanner replaces the regex (3–5× faster); it is
 * checked against the regex twin in {@code PreTokenizerTest}. Character classes follow Java's
 * Unicode tables (Unicode 13 on Java 17); Oniguruma may know a few newer letters.
 *
 * <p>Immutable, thread-safe and {@link java.io.Serializable} (Spark broadcasts it).
 */
public final class PreTokenizer implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * GPT-2's pre-tokenization regex, the one HF's {@code ByteLevel} pre-tokenizer uses when
     * {@code use_regex} is true: contractions, optional-space + letters, optional-space + digits,
     * optional-space + other symbols, whitespace not followed by a non-space, whitespace.
     */
    public static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Receives one piece as the half-open char range {@code [start, end)} of the text. */
    @FunctionalInterface
    public interface SpanConsumer {
        void accept(int start, int end);
    }

    private final String pattern;
    private final Pattern compiled;
    private final boolean gpt2;

    /**
     * @throws IllegalArgumentException if {@code pattern} is blank or not a valid regex
     */
    public PreTokenizer(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException("pre-tokenizer pattern must not be blank");
        }
        try {
            this.compiled = Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid pre-tokenizer pattern: " + e.getMessage(), e);
        }
        this.pattern = pattern;
        this.gpt2 = GPT2_PATTERN.equals(pattern);
    }

    /** A pre-tokenizer with {@link #GPT2_PATTERN}. */
    public static PreTokenizer gpt2() {
        return new PreTokenizer(GPT2_PATTERN);
    }

    public String pattern() {
        return pattern;
    }

    /** The raw pre-tokens of {@code text}, in order; they concatenate to {@code text}. */
    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        split(text, 0, text.length(), (s, e) -> out.add(text.substring(s, e)));
        return out;
    }

    /**
     * Splits {@code text[start, end)} as if it were the whole input (the end is end-of-text for
     * look-aheads) and hands each piece to {@code consumer} in order; no piece is empty.
     */
    public void split(String text, int start, int end, SpanConsumer consumer) {
        if (gpt2) {
            splitGpt2(text, start, end, consumer);
        } else {
            splitRegex(compiled, text, start, end, consumer);
        }
    }

    /** The regex reference path (also used for any pattern but GPT-2's). */
    static void splitRegex(Pattern p, String text, int start, int end, SpanConsumer consumer) {
        // Opaque, anchoring region bounds: the region end behaves as end of input, as when HF
        // pre-tokenizes the text between two special tokens on its own.
        Matcher m = p.matcher(text).region(start, end);
        int last = start;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue; // HF drops empty pieces
            }
            if (m.start() > last) {
                consumer.accept(last, m.start()); // Isolated: the gap is a piece too
            }
            consumer.accept(m.start(), m.end());
            last = m.end();
        }
        if (last < end) {
            consumer.accept(last, end);
        }
    }

    /** Same as {@link #splitRegex} with the GPT-2 regex, for the reference twin in tests. */
    static List<String> splitWithRegex(String pattern, String text) {
        List<String> out = new ArrayList<>();
        splitRegex(Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS), text, 0, text.length(),
                (s, e) -> out.add(text.substring(s, e)));
        return out;
    }

    // ---------------------------------------------------------------------------------------
    // Hand-written GPT-2 scanner. At each position it tries the alternatives of GPT2_PATTERN in
    // order, like a backtracking regex engine would:
    //   1. 's 't 're 've 'm 'll 'd
    //   2-4. optional ' ' + a maximal run of letters | digits | other (not space/letter/digit)
    //   5. \s+(?!\S): a whitespace run that reaches the end, else the run minus its last char
    //      (the engine backtracks one char so the look-ahead sees whitespace), if that leaves ≥ 1
    //   6. \s+: the single whitespace char that is left before a non-space
    // ---------------------------------------------------------------------------------------

    private static final byte WS = 0;
    private static final byte LETTER = 1;
    private static final byte NUMBER = 2;
    private static final byte OTHER = 3;
    private static final byte[] ASCII_CLASS = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII_CLASS[c] = classOfSlow(c);
        }
    }

    static byte classOf(int cp) {
        return cp < 128 ? ASCII_CLASS[cp] : classOfSlow(cp);
    }

    private static byte classOfSlow(int cp) {
        if (isWhiteSpace(cp)) {
            return WS;
        }
        if (Character.isLetter(cp)) {
            return LETTER;
        }
        int t = Character.getType(cp);
        if (t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER) {
            return NUMBER;
        }
        return OTHER;
    }

    /** Unicode White_Space, the set of {@code \s} in Oniguruma and in Java with UNICODE_CHARACTER_CLASS. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    private static int codePointAt(String s, int i, int end) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < end) {
            char d = s.charAt(i + 1);
            if (Character.isLowSurrogate(d)) {
                return Character.toCodePoint(c, d);
            }
        }
        return c;
    }

    private static int contraction(String s, int i, int end) {
        if (i + 1 >= end) {
            return 0;
        }
        char c1 = s.charAt(i + 1);
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
            return 2;
        }
        if (i + 2 < end) {
            char c2 = s.charAt(i + 2);
            if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                return 3;
            }
        }
        return 0;
    }

    static void splitGpt2(String s, int start, int end, SpanConsumer consumer) {
        int i = start;
        while (i < end) {
            char ch = s.charAt(i);
            if (ch == '\'') {
                int n = contraction(s, i, end);
                if (n > 0) {
                    consumer.accept(i, i + n);
                    i += n;
                    continue;
                }
            }
            int k = i;
            int cp = codePointAt(s, k, end);
            byte cls = classOf(cp);
            if (ch == ' ' && i + 1 < end) {
                int next = codePointAt(s, i + 1, end);
                byte nextCls = classOf(next);
                if (nextCls != WS) {
                    k = i + 1;
                    cp = next;
                    cls = nextCls;
                }
            }
            if (cls != WS) {
                int j = k + Character.charCount(cp);
                while (j < end) {
                    int c = codePointAt(s, j, end);
                    if (classOf(c) != cls) {
                        break;
                    }
                    j += Character.charCount(c);
                }
                consumer.accept(i, j);
                i = j;
                continue;
            }
            // Whitespace run [i, r); every White_Space char is in the BMP.
            int r = i + 1;
            while (r < end && isWhiteSpace(s.charAt(r))) {
                r++;
            }
            if (r == end) {
                consumer.accept(i, r);
                i = r;
            } else if (r - i >= 2) {
                consumer.accept(i, r - 1);
                i = r - 1;
            } else {
                consumer.accept(i, r);
                i = r;
            }
        }
    }

    @Override
    public String toString() {
        return "PreTokenizer[" + pattern + "]";
    }
}
