package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Parity of {@link WordTokenizer#spans} (ASCII shortcuts, no String per token) with its reference twin {@link
 * WordTokenizer#tokenize}: the same tokens, exactly, on seeded random texts made of pieces that exercise every
 * rule (joiners at the ends and next to non-word characters, digits with separators, marks, supplementary and
 * lone surrogates, every kind of separator), and on every single code point of the BMP between two letters.
 */
class WordTokenizerSpansTest {

  private static final String[] PIECES = {
    "a", "Z", "ç", "7", "\u0660", "\u2160", "\u3007", "\u02B0", "e\u0301", "\u0301", "\u20DD", "\u0903", "𝔸", "😀",
    "𝟙", "\uD800", "\uDC00", "'", "\u2019", "-", "\u2010", ".", ",", "...", "!", "#", "_", "@", "\u2014", " ",
    "\t", "\n", "\u000B", "\u001C", "\u001F", "\u00A0", "\u2003", "\u2028", "\u3000", "\u0085", "\u200B", "\u00AD",
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
