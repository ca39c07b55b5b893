package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Parity of {@link TextNormalizer#normalizeInArrays} (char arrays, ASCII copied without tests, NFC skipped
 * below U+0300) with its reference twin {@link TextNormalizer#normalizeFully}: equal strings, exactly, on
 * every BMP char alone and between letters and spaces, and on seeded random texts of pieces that hit every
 * rule (line breaks of each kind, whitespace, invisibles, decomposed letters, surrogates) and of random
 * code points.
 */
class TextNormalizerArraysTest {

  private static final String[] PIECES = {
    "a", "b", "ç", " ", "  ", "\n", "\n\n", "\n\n\n", "\r", "\r\n", "\t", "\u00A0", "\u200B", "\u200C", "\u200D",
    "\u00AD", "e\u0301", "\u0301", "é", "𝔸", "\uD800", "\uDC00", "\u2029", "\u0085", "\u2028", "\u001B", "\u007F",
    "\u000B", "\f", "\u001C", ".", "日", "\u1100\u1161", "\uFEFF", "\u2003", "\u3000", "Olá, mundo!",
  };

  private static void same(String s) {
    assertEquals(TextNormalizer.normalizeFully(s), TextNormalizer.normalizeInArrays(s), () -> escape(s));
  }

  @Test
  void everyBmpChar() {
    for (int c = 0; c < 0x10000; c++) {
      String ch = String.valueOf((char) c);
      same(ch);
      same("a" + ch + "b");
      same(" " + ch + "\n\n" + ch + " x");
    }
  }

  @Test
  void randomTexts() {
    Random rnd = new Random(20261211L);
    for (int trial = 0; trial < 40_000; trial++) {
      StringBuilder sb = new StringBuilder();
      for (int i = rnd.nextInt(30); i > 0; i--) {
        if (rnd.nextInt(6) == 0) {
          sb.appendCodePoint(rnd.nextInt(3) == 0 ? rnd.nextInt(0x110000) : rnd.nextInt(0x3000));
        } else {
          sb.append(PIECES[rnd.nextInt(PIECES.length)]);
        }
      }
      same(sb.toString());
    }
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    s.chars().forEach(c -> sb.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\u%04X", c)));
    return sb.toString();
  }
}
