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

  /** The code points isNormalizedUtf8 takes from U+0300 on: General Punctuation and the currency signs. */
  private static boolean nfcInertClaim(int cp) {
    return cp >= 0x200C && cp <= 0x205E || cp >= 0x20A0 && cp <= 0x20BF;
  }

  @Test
  void thePunctuationAndCurrencyRangesAreNfcInert() {
    // The premise of TextNormalizer.KEPT_NFC_INERT: every such code point kept by pass 1 has combining class 0
    // (a mark of class c > 0 would be reordered before U+0345, class 240, when c < 240, or after U+0334, class 1,
    // otherwise) and is NFC alone, before and after every char below U+0300 and every other one of them.
    StringBuilder set = new StringBuilder();
    for (int cp = 0; cp < 0x20C0; cp++) {
      if (cp < TextNormalizer.NFC_TRIVIAL_BELOW || nfcInertClaim(cp) && !TextNormalizer.isMappedOrRemoved(cp)) {
        set.append((char) cp);
      }
    }
    int pairs = 0;
    for (int cp = 0x200C; cp < 0x20C0; cp++) {
      if (!nfcInertClaim(cp) || TextNormalizer.isMappedOrRemoved(cp)) {
        continue;
      }
      String c = String.valueOf((char) cp);
      String name = String.format("U+%04X", cp);
      assertTrue(Normalizer.isNormalized(c, Normalizer.Form.NFC), name);
      assertTrue(Normalizer.isNormalized("a\u0345" + c, Normalizer.Form.NFC), name + " after a mark of class 240");
      assertTrue(Normalizer.isNormalized("a" + c + "\u0334", Normalizer.Form.NFC), name + " before a mark of class 1");
      for (int k = 0; k < set.length(); k++) {
        String other = String.valueOf(set.charAt(k));
        if (!Normalizer.isNormalized(c + other, Normalizer.Form.NFC)
            || !Normalizer.isNormalized(other + c, Normalizer.Form.NFC)) {
          throw new AssertionError(String.format("%s next to U+%04X is not NFC", name, (int) set.charAt(k)));
        }
        pairs++;
      }
    }
    assertTrue(pairs > 50_000, "pairs " + pairs);
    // A code point just past the claim that NFC does change: U+2126 OHM SIGN becomes U+03A9.
    assertTrue(!Normalizer.isNormalized("\u2126", Normalizer.Form.NFC));
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
