package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.Normalizer;
import org.junit.jupiter.api.Test;

/**
 * The premises of {@link TextNormalizer#isNormalized}'s shortcuts, checked against the JDK's Normalizer (an
 * independent implementation of UAX #15): every char below {@link TextNormalizer#NFC_TRIVIAL_BELOW} is NFC
 * alone and after any other such char (NFC depends only on neighbours; a code point with combining class 0
 * and NFC_Quick_Check=Yes never changes nor composes with what precedes it).
 */
class NfcRangeTest {

  @Test
  void everyPairBelowTheCombiningMarksIsNfc() {
    char[] pair = new char[2];
    for (char a = 0; a < TextNormalizer.NFC_TRIVIAL_BELOW; a++) {
      assertTrue(Normalizer.isNormalized(String.valueOf(a), Normalizer.Form.NFC), () -> "single");
      for (char b = 0; b < TextNormalizer.NFC_TRIVIAL_BELOW; b++) {
        pair[0] = a;
        pair[1] = b;
        String s = new String(pair);
        if (!Normalizer.isNormalized(s, Normalizer.Form.NFC)) {
          throw new AssertionError(String.format("U+%04X U+%04X is not NFC", (int) a, (int) b));
        }
      }
    }
    // The first char past the range is a combining mark that composes with a preceding letter.
    assertTrue(!Normalizer.isNormalized("e\u0301", Normalizer.Form.NFC));
  }

  @Test
  void latin1PrintablesAreNeitherSpaceNorInvisible() {
    // The premise of TextNormalizer.isLatin1Printable, from the JDK's Unicode tables.
    for (char c = 0x80; c <= 0xFF; c++) {
      String name = "U+" + Integer.toHexString(c);
      boolean keptAsIs = !Character.isWhitespace(c) && !Character.isSpaceChar(c) && !TextNormalizer.isInvisible(c);
      assertTrue(keptAsIs || !TextNormalizer.isLatin1Printable(c), name);
      if (c >= 0xA1 && c != 0xAD) {
        assertTrue(keptAsIs, name);
      }
    }
  }
}
