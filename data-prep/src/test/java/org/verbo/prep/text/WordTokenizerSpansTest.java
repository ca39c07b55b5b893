package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Parity of {@link WordTokenizer#spans} (ASCII shortcuts, no String per token) with its reference twin {@link
 * WordTokenizer#tokenize}: the same tokens, exactly, on seeded random texts made of pieces that exercise every
 * rule (joiners at the ends and next to non-word characters, digits with separators, marks, supplementary and
 * lone surrogates, every kind of separator, case pairs that lower-case by context or to two chars), and on every
 * single code point of the BMP between two letters; with each token's hash, code points, flags and the hash of its
 * lower case, which the scan computes for the filters.
 */
class WordTokenizerSpansTest {

  private static final String[] PIECES = {
    "a", "Z", "ç", "7", "\u0660", "\u2160", "\u3007", "\u02B0", "e\u0301", "\u0301", "\u20DD", "\u0903", "𝔸", "😀",
    "𝟙", "\uD800", "\uDC00", "'", "\u2019", "-", "\u2010", ".", ",", "...", "!", "#", "_", "@", "\u2014", " ",
    "\t", "\n", "\u000B", "\u001C", "\u001F", "\u00A0", "\u2003", "\u2028", "\u3000", "\u0085", "\u200B", "\u00AD",
    "Q", "\u00C9", "\u0130", "\u03A3", "\u212A", "\u01C5", "\u0345", "\u24B6",
  };

  private static List<String> viaSpans(String text) {
    WordTokenizer.Spans s = WordTokenizer.spans(text);
    List<String> out = new ArrayList<>(s.count());
    for (int i = 0; i < s.count(); i++) {
      String token = text.substring(s.start(i), s.end(i));
      out.add(token);
      // What the scan computes on its way for the repetition filter: the token's String hash and code points.
      assertEquals(token.hashCode(), s.hash(i), token);
      assertEquals(token.codePointCount(0, token.length()), s.codePoints(i), token);
      // ... and for Gopher quality: word or not, a letter or not, and the hash of the lower case for the stop words.
      int f = s.flags(i);
      assertEquals(WordTokenizer.isWord(token), (f & WordTokenizer.WORD) != 0, token);
      assertEquals(WordTokenizer.hasLetter(token), (f & WordTokenizer.LETTER) != 0, token);
      boolean plain = token.chars().noneMatch(c -> Character.isSurrogate((char) c) || c == 0x0130 || c == 0x03A3
          || Character.toLowerCase(c) > 0xFFFF);
      assertEquals(plain, (f & WordTokenizer.NOT_PLAIN) == 0, token);
      if (plain) {
        assertEquals(token.toLowerCase(Locale.ROOT).hashCode(), s.lowerHash(i), token);
      }
    }
    return out;
  }

  @Test
  void randomTextsGiveTheSameTokens() {
    Random rnd = new Random(20261204L);
    for (int trial = 0; trial < 50_000; trial++) {
      StringBuilder sb = new StringBuilder();
      for (int i = rnd.nextInt(24); i > 0; i--) {
        sb.append(PIECES[rnd.nextInt(PIECES.length)]);
      }
      String t = sb.toString();
      assertEquals(WordTokenizer.tokenize(t), viaSpans(t), t);
    }
  }

  @Test
  void everyBmpCharBetweenLetters() {
    for (int c = 0; c < 0x10000; c++) {
      for (String t : new String[] {"a" + (char) c + "b", "1" + (char) c + "2", (char) c + "x", "x" + (char) c}) {
        assertEquals(WordTokenizer.tokenize(t), viaSpans(t), () -> String.format("U+%04X", (int) t.charAt(1)));
      }
    }
  }
}
