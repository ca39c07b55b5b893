package org.verbo.prep.bpe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {

    private final PreTokenizer gpt2 = PreTokenizer.gpt2();

    /** Splits worked out by hand from the alternatives of the GPT-2 regex. */
    @Test
    void splitsByHand() {
        assertEquals(List.of("Hello", " world"), gpt2.split("Hello world"));
        assertEquals(List.of("I", "'m", " here", "'s"), gpt2.split("I'm here's"));
        assertEquals(List.of("don", "'t", " we", "'ll"), gpt2.split("don't we'll"));
        // A whitespace run before a word gives all but its last char; the last joins the word.
        assertEquals(List.of("a", "  ", " b"), gpt2.split("a   b"));
        // A newline cannot prefix a word: "\n\n" before "b" is "\n" (run minus last) + "\n" (\s+).
        assertEquals(List.of("a", "\n", "\n", "b"), gpt2.split("a\n\nb"));
        assertEquals(List.of("x", "  ", "\t", "y"), gpt2.split("x  \ty"));
        // A run that reaches the end stays whole ((?!\S) holds at the end).
        assertEquals(List.of("end", "  "), gpt2.split("end  "));
        assertEquals(List.of("123", " 4567"), gpt2.split("123 4567"));
        assertEquals(List.of("hi", "!!!", " ?"), gpt2.split("hi!!! ?"));
        assertEquals(List.of("ação", ",", " pão"), gpt2.split("ação, pão"));
        // Emoji and ZWJ (U+200D, format char) are "other": one piece with the ZWJ sequence.
        assertEquals(List.of("👩\u200D💻", "ok"), gpt2.split("👩\u200D💻ok"));
        assertEquals(List.of("'", "x"), gpt2.split("'x"));
        assertEquals(List.of(" '", "ll"), gpt2.split(" 'll"));
        // NBSP is White_Space in Oniguruma's \s.
        assertEquals(List.of("a", "\u00A0", "b"), gpt2.split("a\u00A0b"));
        // CRLF before a word: the run minus its last char, then the last char alone.
        assertEquals(List.of("x", "\r", "\n", "y"), gpt2.split("x\r\ny"));
        assertEquals(List.of(), gpt2.split(""));
    }

    @Test
    void gapsBetweenMatchesArePiecesToo() {
        assertEquals(List.of("ab", "12", "cd", "3"), new PreTokenizer("\\d+").split("ab12cd3"));
    }

    @Test
    void invalidPatternIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new PreTokenizer("(unclosed"));
        assertThrows(IllegalArgumentException.class, () -> new PreTokenizer(" "));
    }

    /** The hand-written scanner equals its regex twin on random text over tricky characters. */
    @Test
    void fastScannerMatchesRegexTwin() {
        String[] atoms = {"a", "Z", "ç", "ã", "ß", "日", "本", "1", "9", "٣", "½", "Ⅻ", " ", "  ", "\t", "\n", "\r\n",
            "\u00A0", "\u3000", "\u2009", "\u001F", "\u000B", "\u0085", "'", "'s", "'re", "'ll", "'d", "'x", "!", "?",
            ".", "\"", "😀", "👩\u200D💻", "🇧🇷", "\u200B", "\uD800", "-", "_", "=", "s", "t", "re", "ll"};
        SplittableRandom rnd = new SplittableRandom(42);
        for (int doc = 0; doc < 2000; doc++) {
            StringBuilder sb = new StringBuilder();
            int n = rnd.nextInt(1, 40);
            for (int i = 0; i < n; i++) {
                sb.append(atoms[rnd.nextInt(atoms.length)]);
            }
            String text = sb.toString();
            List<String> fast = gpt2.split(text);
            assertEquals(PreTokenizer.splitWithRegex(PreTokenizer.GPT2_PATTERN, text), fast, () -> "text: " + text);
            assertEquals(text, String.join("", fast));
        }
    }

    @Test
    void splitRangeTreatsEndAsEndOfText() {
        String text = "ab   cd";
        StringBuilder out = new StringBuilder();
        gpt2.split(text, 0, 5, (s, e) -> out.append('[').append(text, s, e).append(']'));
        assertEquals("[ab][   ]", out.toString());
    }
}
