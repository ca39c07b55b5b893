package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TextNormalizer#isNormalizedUtf8}, the byte-level check, against its reference twin {@link
 * TextNormalizer#isNormalized} on the strictly decoded String: true only when the reference is true (and the bytes
 * are UTF-8 without a control character, as {@link TextDecoder#decode} assumes when it skips its own scan), and
 * exactly the reference on texts of code points below U+0300 and of the NFC-inert punctuation and currency ranges
 * it claims (U+200C..U+205E, U+20A0..U+20BF). Seeded random byte sequences are built from pieces
 * around every rule (spaces and line feeds in pairs and triples and at the ends, the chars pass 1 maps or removes,
 * NFC, surrogates, bytes that are not UTF-8), placed at a random offset in a larger array of random bytes.
 */
class TextNormalizerUtf8Test {

  /** Pieces that keep a text normalised when put between words (one space, one or two line feeds excepted). */
  private static final String[] CLEAN = {
    " ", " ", " ", "\n", "\n\n", "ç", "ã", "É", "ÿ", "¡", "ß", "ł", "\u02BC", "\u02FF", ".", ",",
    "\u2014", "\u201C", "\u201D", "\u2019", "\u2026", "\u2010", "\u205E", "\u20AC", "\u20BF", "\u200C", "\u200D",
  };

  private static final String[] ASCII_CLEAN = {" ", " ", " ", "\n", "\n\n", ".", ","};

  /** Pieces that break a rule, or that the byte check leaves to the String check. */
  private static final String[] NOISE = {
    "  ", "   ", " \n", "\n ", "\n\n\n", "\n\n\n\n", "\t", "\r", "\r\n", "\f", "\u000B", "\0", "\u0001", "\u001B",
    "\u001F", "\u007F", "\u0080", "\u0085", "\u009F", "\u00A0", "\u00AD", "\u2028", "\u2029", "\u200B", "\uFEFF",
    "\u2060", "\u202A", "\u202F", "\u205F", "\u2000", "\u2007", "\u3000", "\u1680", "e\u0301", "\u0301", "\u0300",
    "\u00E9", "\u2126", "\u212B", "\u20D0", "\u0345", "\u03A9", "日本", "한", "\uD83D\uDE00", "\uD835\uDD38",
  };

  /** Raw bytes that are not UTF-8: encoded surrogates (alone and as a CESU-8 pair), cuts, overlongs, strays. */
  private static final int[][] NOT_UTF8 = {
    {0xED, 0xA0, 0x80}, {0xED, 0xB0, 0x80}, {0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80}, {0xC3}, {0xE2, 0x80},
    {0xE2, 0x80, 0x41}, {0xC0, 0xAF}, {0xC1, 0x81}, {0xE0, 0x81, 0x81}, {0xF4, 0x90, 0x80, 0x80}, {0xFF}, {0x80},
  };

  private static final int[] LENGTHS = {0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 100, 300};

  /** Letters of Portuguese (C3 xx, which the check reads 8 bytes at a time) and a few other Latin-1 ones (C2 xx). */
  private static final String LATIN1 = "áéíóúãõçâêôàÁÉÇüªº«»°";

  private static void word(Random rnd, ByteArrayOutputStream out, boolean asciiOnly) {
    for (int k = 1 + rnd.nextInt(10); k > 0; k--) {
      int r = rnd.nextInt(asciiOnly ? 30 : 40);
      if (r < 30) {
        out.write(r < 26 ? 'a' + r : "!~0'".charAt(r - 26));
      } else {
        utf8(String.valueOf(LATIN1.charAt(rnd.nextInt(LATIN1.length()))), out);
      }
    }
  }

  private static void utf8(String s, ByteArrayOutputStream out) {
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * About {@code target} bytes (then sometimes cut there, possibly inside a sequence): words and clean pieces, with
   * noise at a rate drawn per document (often none, so that many documents are normalised), sometimes a leading or
   * trailing space or line feed.
   */
  private static byte[] document(Random rnd, int target) {
    double[] rates = {0, 0, 0, 0.01, 0.03, 0.1, 0.5};
    double noise = rates[rnd.nextInt(rates.length)];
    boolean asciiOnly = rnd.nextInt(4) == 0;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (rnd.nextInt(10) == 0) {
      utf8(rnd.nextBoolean() ? " " : "\n", out);
    }
    while (out.size() < target) {
      double r = rnd.nextDouble();
      if (r < noise) {
        if (rnd.nextInt(6) == 0) {
          for (int x : NOT_UTF8[rnd.nextInt(NOT_UTF8.length)]) {
            out.write(x);
          }
        } else {
          utf8(NOISE[rnd.nextInt(NOISE.length)], out);
        }
      } else if (r < noise + 0.35) {
        utf8(asciiOnly ? ASCII_CLEAN[rnd.nextInt(ASCII_CLEAN.length)] : CLEAN[rnd.nextInt(CLEAN.length)], out);
      }
      word(rnd, out, asciiOnly);
    }
    if (rnd.nextInt(10) == 0) {
      utf8(rnd.nextBoolean() ? " " : "\n", out);
    }
    byte[] b = out.toByteArray();
    return rnd.nextInt(4) == 0 && b.length > target ? Arrays.copyOf(b, target) : b;
  }

  private static String strictUtf8(byte[] b, int off, int len) {
    return TextDecoderControlsTest.strict(StandardCharsets.UTF_8, b, off, len);
  }

  /** The reference: normalise would return the decoded text as it is (normalize's own test, empty included). */
  private static boolean reference(String s) {
    return !s.isEmpty() && TextNormalizer.isNormalized(s);
  }

  /** The code points on which the byte check must be exact: below U+0300, and the NFC-inert ranges it claims. */
  private static boolean exactRange(String s) {
    return s.codePoints().allMatch(cp -> cp < 0x300 || cp >= 0x200C && cp <= 0x205E || cp >= 0x20A0 && cp <= 0x20BF);
  }

  @Test
  void agreesWithTheStringCheckOnRandomBytes() {
    Random rnd = new Random(20261215L);
    int trueCount = 0;
    int exactFalse = 0;
    int leftToString = 0;
    int notUtf8 = 0;
    for (int trial = 0; trial < 60_000; trial++) {
      int target = rnd.nextInt(3) == 0 ? rnd.nextInt(400) : LENGTHS[rnd.nextInt(LENGTHS.length)];
      byte[] doc = document(rnd, target);
      // At a random offset in a larger array whose other bytes (spaces, line feeds, anything) must not be read.
      int off = rnd.nextInt(17);
      byte[] b = new byte[off + doc.length + rnd.nextInt(17)];
      byte[] around = {' ', '\n', 'a', (byte) 0xC3, (byte) 0xA7, 0, (byte) 0x80};
      for (int k = 0; k < b.length; k++) {
        b[k] = rnd.nextBoolean() ? around[rnd.nextInt(around.length)] : (byte) rnd.nextInt(256);
      }
      System.arraycopy(doc, 0, b, off, doc.length);

      boolean got = TextNormalizer.isNormalizedUtf8(b, off, off + doc.length);
      String s = strictUtf8(b, off, doc.length);
      if (s == null) {
        notUtf8++;
        assertFalse(got, () -> "not UTF-8, taken as normalised: " + hex(doc));
        continue;
      }
      boolean expected = reference(s);
      if (got) {
        trueCount++;
        assertTrue(expected, () -> "taken as normalised: " + escape(s));
        // TextDecoder.decode skips its validity and control scan when the check is true: nothing for it to find.
        assertEquals(0, TextDecoder.utf8Controls(b, off, off + doc.length), () -> hex(doc));
      } else if (exactRange(s)) {
        assertFalse(expected, () -> "normalised, missed: " + escape(s));
        exactFalse++;
      } else if (expected) {
        leftToString++;
      }
    }
    // Every outcome is drawn often, so the agreement is not vacuous.
    assertTrue(trueCount > 10_000 && exactFalse > 10_000 && leftToString > 100 && notUtf8 > 1_000,
        "true " + trueCount + ", false in the exact range " + exactFalse + ", normalised beyond it " + leftToString
            + ", not UTF-8 " + notUtf8);
  }

  @Test
  void theTableHoldsTheKeptCodePointsOfTheClaimedRanges() {
    for (int cp = 0x80; cp < 0x3000; cp++) {
      boolean claimed = cp < 0x300 || cp >= 0x200C && cp <= 0x205E || cp >= 0x20A0 && cp <= 0x20BF;
      assertEquals(claimed && !TextNormalizer.isMappedOrRemoved(cp), TextNormalizer.isKeptAndNfcInert(cp),
          "U+" + Integer.toHexString(cp));
    }
  }

  @Test
  void handPickedNearMisses() {
    String[] no = {
      "", " ", "\n", "a  b", "a \nb", "a\n b", "a\n\n\nb", " a", "a ", "\na", "a\n", "a\tb", "a\rb", "a\fb",
      "a\u0000b", "a\u007Fb", "a\u00A0b", "a\u00ADb", "a\u0085b", "a\u2028b", "a\u2029b", "a\u200Bb", "a\uFEFFb",
      "e\u0301", "a\u202Fb", "abcdefg  hijklmno", "abcdefgh\n\n\nijklmnop", "abcdefg\n\n\nhijklmnop",
      "abcdefg\u00A0hijklmnop", "ação  é", "ação\n é", "ação\n\n\né", "é\n\n\n", "abcdefgh ", "abcdefgh\n",
    };
    for (String s : no) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      assertFalse(TextNormalizer.isNormalizedUtf8(b, 0, b.length), () -> escape(s));
    }
    String[] yes = {
      "a", "a b", "a\nb", "a\n\nb", "ação", "Olá, mundo!", "abcdefgh ijklmnop\n\nqrstuvwx\nyz", "aaaaaaa\n\nb",
      "\u201Ccitação\u201D \u2014 fim\u2026 10 \u20AC", "a\u200Db", "ʼ", "abcdefgh",
    };
    for (String s : yes) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      assertTrue(TextNormalizer.isNormalized(s), () -> "premise: " + escape(s));
      assertTrue(TextNormalizer.isNormalizedUtf8(b, 0, b.length), () -> escape(s));
    }
  }

  static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02X ", x & 0xFF));
    }
    return sb.toString();
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().forEach(cp -> sb.append(cp >= 0x20 && cp < 0x7F ? String.valueOf((char) cp)
        : String.format("\\u%04X", cp)));
    return sb.toString();
  }
}
