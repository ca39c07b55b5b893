package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The already-normalised check that lets {@link TextNormalizer#normalize} return its input: never true for a
 * text the full passes would change (the result equals {@link TextNormalizer#normalizeFully} on every input),
 * and true for every output of the full passes (so prepare's second normalisation is a scan, not a copy).
 */
class TextNormalizerFastPathTest {

  private static final String[] PIECES = {
    "a", "b", "ç", " ", "  ", "\n", "\n\n", "\n\n\n", "\r", "\r\n", "\t", "\u00A0", "\u200B", "\u200D", "\u00AD",
    "e\u0301", "é", "𝔸", "\uD800", "\uDC00", "\u2029", "\u0085", "\u2028", "\u001B", "\u007F", ".", "日"
  };

  @Test
  void fastPathAgreesWithTheFullPassesOnRandomTexts() {
    Random rnd = new Random(20261201L);
    int fixedPoints = 0;
    for (int trial = 0; trial < 20_000; trial++) {
      StringBuilder sb = new StringBuilder();
      for (int i = rnd.nextInt(16); i > 0; i--) {
        sb.append(PIECES[rnd.nextInt(PIECES.length)]);
      }
      String s = sb.toString();
      String full = TextNormalizer.normalizeFully(s);
      assertEquals(full, TextNormalizer.normalize(s), () -> "input " + escape(s));
      if (!full.isEmpty()) {
        assertTrue(TextNormalizer.isNormalized(full), () -> "output not recognised: " + escape(full));
        if (!full.equals(s)) {
          assertFalse(TextNormalizer.isNormalized(s), () -> "changed input taken as normalised: " + escape(s));
        } else {
          fixedPoints++;
        }
      }
    }
    assertTrue(fixedPoints > 100, "few inputs were already normalised: " + fixedPoints);
  }

  @Test
  void handPickedNearMisses() {
    for (String s : new String[] {"a  b", "a \nb", "a\n b", "a\n\n\nb", " a", "a ", "\na", "a\n", "a\tb", "a\u00A0b",
        "e\u0301", "a\u200Bb", "a\uD800"}) {
      assertFalse(TextNormalizer.isNormalized(s), () -> escape(s));
    }
    for (String s : new String[] {"a b", "a\nb", "a\n\nb", "ação", "𝔸 b", "a\u200Db"}) {
      assertTrue(TextNormalizer.isNormalized(s), () -> escape(s));
    }
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().forEach(cp -> sb.append(cp >= 0x20 && cp < 0x7F ? String.valueOf((char) cp) : String.format("\\u%04X", cp)));
    return sb.toString();
  }
}
