package org.verbo.prep.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Shingler}'s scan (ASCII table, per-code-point lower-casing, reused buffers) against its reference twin
 * {@link ReferenceShingler} (the class rules taken literally), and {@link Shingler#ngramHashes} against {@link
 * Shingler#shingles}: exact equality.
 */
class ShinglerParityTest {

  /**
   * Pieces chosen for the scan's edge cases: ASCII in both cases, Latin-1 and other accents, decomposed marks after
   * a letter and at a word's start, Greek capital sigma in and at the end of words (lower-cased by context), the
   * dotted capital I (one code point to two), the Kelvin sign (lower-cases to ASCII k), Roman numerals (letters
   * numbers, not letters), supplementary letters, CJK, other scripts' digits, a lone surrogate, punctuation and
   * every kind of space.
   */
  private static final String[] PIECES = {
    "the", "The", "CAT", "a1b2", "x", "9", "Ação", "CAFÉ", "já", "olá", "Ñandú", "straße", "ÆØÅ", "e\u0301",
    "\u0301x", "Cafe\u0301", "ΣΟΦΙΑ", "ΟΔΟΣ", "σοφός", "\u03A3", "İstanbul", "\u0130", "\u212Aelvin", "\u2160\u2161",
    "\ud835\udd1e\ud835\udd1f", "\ud801\udc00", "日本語", "中文", "\u0663\u0664", "\ud800", "!", ",", "...", "--",
    "(R$ 10)", "—", "“aspas”", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u2003", "-", "'"
  };

  private static String randomText(SplittableRandom rnd) {
    int pieces = rnd.nextInt(60);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < pieces; i++) {
      if (rnd.nextInt(3) == 0) {
        sb.append(PIECES[rnd.nextInt(PIECES.length)]);
      } else {
        // Mostly plain words, as real text is.
        int len = 1 + rnd.nextInt(9);
        for (int k = 0; k < len; k++) {
          sb.append((char) ((rnd.nextInt(4) == 0 ? 'A' : 'a') + rnd.nextInt(26)));
        }
      }
      sb.append(rnd.nextInt(5) == 0 ? "" : " ");
    }
    return sb.toString();
  }

  @Test
  void theScanMatchesTheLiteralRules() {
    SplittableRandom rnd = new SplittableRandom(20261202L);
    for (int t = 0; t < 20_000; t++) {
      String text = randomText(rnd);
      assertEquals(ReferenceShingler.wordList(text), Shingler.wordList(text), text);
      for (int n : new int[] {1, 2, 5}) {
        assertArrayEquals(ReferenceShingler.shingles(text, n), Shingler.shingles(text, n), n + ": " + text);
      }
    }
  }

  @Test
  void everyPieceAloneAndBetweenWords() {
    for (String p : PIECES) {
      for (String text : List.of(p, "a " + p + " b", p + p, "X" + p + "Y", p + "\u03A3")) {
        assertEquals(ReferenceShingler.wordList(text), Shingler.wordList(text), text);
        assertArrayEquals(ReferenceShingler.shingles(text, 2), Shingler.shingles(text, 2), text);
      }
    }
  }

  /** The written-out MurmurHash3_x86_32 against Commons Codec's (the reference's values) at every tail length. */
  @Test
  void murmurHashMatchesCommonsCodec() {
    SplittableRandom rnd = new SplittableRandom(3L);
    byte[] data = new byte[300];
    for (int t = 0; t < 20_000; t++) {
      rnd.nextBytes(data);
      int off = rnd.nextInt(40);
      int len = rnd.nextInt(data.length - off);
      assertEquals(
          org.apache.commons.codec.digest.MurmurHash3.hash32x86(data, off, len, 0), Shingler.hash(data, off, len),
          "off " + off + " len " + len);
    }
    assertEquals(org.apache.commons.codec.digest.MurmurHash3.hash32x86(new byte[0], 0, 0, 0),
        Shingler.hash(new byte[0], 0, 0));
  }

  @Test
  void aLongTextAfterAShortOneReusesNothingStale() {
    String longText = "palavra ".repeat(300_000) + "fim"; // grows the thread's buffers past what it keeps
    assertArrayEquals(ReferenceShingler.shingles(longText, 5), Shingler.shingles(longText, 5));
    assertEquals(List.of("só", "duas"), Shingler.wordList("Só duas"));
    assertArrayEquals(ReferenceShingler.shingles("Só duas", 5), Shingler.shingles("Só duas", 5));
  }

  @Test
  void ngramHashesAreTheShinglesWithRepeatsInTextOrder() {
    SplittableRandom rnd = new SplittableRandom(7L);
    MinHasher mh = MinHasher.onThread(MinHashConfig.defaults());
    for (int t = 0; t < 2_000; t++) {
      String text = randomText(rnd) + " a b a b a b"; // repeats
      int[] all = Shingler.ngramHashes(text, 2);
      int[] sorted = all.clone();
      Arrays.sort(sorted);
      assertArrayEquals(Shingler.shingles(text, 2), Arrays.stream(sorted).distinct().toArray(), text);
      List<String> words = ReferenceShingler.wordList(text);
      assertEquals(Math.max(1, words.size() - 1), all.length, text); // one per 2-gram, in order
      assertEquals(Shingler.hash(words.get(0) + " " + words.get(1)), all[0], text);
      assertArrayEquals(mh.signature(Shingler.shingles(text, 5)), mh.signature(Shingler.ngramHashes(text, 5)), text);
    }
    assertEquals(0, Shingler.ngramHashes(" ... ", 5).length);
  }

  /**
   * The UTF-8 path is the String path on the decoded text: valid texts (with the contextual U+03A3 and U+0130 that
   * send it back to the String, lone surrogates that UTF-8 writes as '?', and U+023A, whose lower case is a byte
   * longer), and random bytes, malformed ones included, whose decoding holds replacement characters. Read from an
   * offset inside a larger array.
   */
  @Test
  void utf8BytesGiveTheDecodedTextsHashes() {
    SplittableRandom rnd = new SplittableRandom(11L);
    String[] extra = {"\u023A\u023A\u023A", "\u023Ab", "ȾÈ"};
    for (int t = 0; t < 20_000; t++) {
      byte[] bytes;
      if (t % 4 == 3) {
        bytes = new byte[rnd.nextInt(80)];
        for (int k = 0; k < bytes.length; k++) {
          // ASCII letters and spaces, lead bytes of every length, continuation bytes, and bytes no UTF-8 holds
          int kind = rnd.nextInt(6);
          bytes[k] = (byte) (kind < 3 ? (rnd.nextBoolean() ? ' ' : 'a' + rnd.nextInt(26))
              : kind == 3 ? 0x80 + rnd.nextInt(64) : kind == 4 ? 0xC0 + rnd.nextInt(53) : 0xF5 + rnd.nextInt(11));
        }
      } else {
        String text = randomText(rnd) + (t % 7 == 0 ? extra[rnd.nextInt(extra.length)] : "");
        bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }
      int off = rnd.nextInt(5);
      byte[] padded = new byte[off + bytes.length + rnd.nextInt(5)];
      Arrays.fill(padded, (byte) 'Z');
      System.arraycopy(bytes, 0, padded, off, bytes.length);
      String decoded = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
      for (int n : new int[] {1, 2, 5}) {
        int[] fromBytes = Shingler.ngramHashes(padded, off, bytes.length, n);
        assertArrayEquals(Shingler.ngramHashes(decoded, n), fromBytes, n + ": " + decoded);
        assertArrayEquals(ReferenceShingler.shingles(decoded, n), Arrays.stream(fromBytes).sorted().distinct().toArray(),
            n + ": " + decoded);
      }
    }
  }
}
