package org.verbo.prep.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShinglerTest {

  /** Sorted distinct hashes of hand-written shingle strings. */
  private static int[] expected(String... shingles) {
    return Arrays.stream(shingles).mapToInt(Shingler::hash).sorted().distinct().toArray();
  }

  @Test
  void hashIsMurmur3X86_32Seed0OfUtf8() {
    // Golden values from the reference C implementation (SMHasher MurmurHash3_x86_32, via the
    // Python mmh3 package), independent of Commons Codec; the non-ASCII ones exercise the tail
    // bytes >= 0x80 that Commons Codec's old hash32 got wrong.
    assertEquals(0x00000000, Shingler.hash(""));
    assertEquals(0x248bfa47, Shingler.hash("hello"));
    assertEquals(0x2e4ff723, Shingler.hash("The quick brown fox jumps over the lazy dog"));
    assertEquals(0x8a5aaaed, Shingler.hash("ação é já"));
    assertEquals(0x0b5a0b53, Shingler.hash("olá mundo ação"));
    assertEquals(0x241c0f08, Shingler.hash("café"));
    assertEquals(0x389b8196, Shingler.hash("ñ"));
  }

  @Test
  void bigramsOfATinyText() {
    // words: the cat sat on the mat the cat -> 7 bigrams, "the cat" twice -> 6 distinct
    int[] s = Shingler.shingles("The cat sat on the mat, the CAT!", 2);
    assertEquals(6, s.length);
    assertArrayEquals(expected("the cat", "cat sat", "sat on", "on the", "the mat", "mat the"), s);
  }

  @Test
  void accentedWordsStayWhole() {
    assertEquals(List.of("olá", "mundo", "ação", "é", "já"), Shingler.wordList("Olá, Mundo! Ação é já."));
    assertArrayEquals(
        expected("olá mundo ação", "mundo ação é", "ação é já"),
        Shingler.shingles("Olá, Mundo! Ação é já.", 3));
    // A decomposed accent (e + U+0301) continues its word instead of splitting it.
    assertEquals(List.of("cafe\u0301", "com", "leite"), Shingler.wordList("Cafe\u0301 com leite"));
    // Digits are word characters; punctuation and symbols separate words.
    assertEquals(List.of("abc123", "x", "9", "r", "10"), Shingler.wordList("abc123 x-9 (R$ 10)"));
  }

  @Test
  void multiByteCharactersAreEncodedAsUtf8() {
    // 3-byte CJK and 4-byte (supplementary) letters; an emoji is a symbol, hence a separator.
    String text = "\u65e5\u672c\u8a9e \ud83d\ude00 \ud835\udd1e\ud835\udd1f x\u00e7";
    assertEquals(List.of("\u65e5\u672c\u8a9e", "\ud835\udd1e\ud835\udd1f", "x\u00e7"), Shingler.wordList(text));
    assertArrayEquals(
        expected("\u65e5\u672c\u8a9e \ud835\udd1e\ud835\udd1f", "\ud835\udd1e\ud835\udd1f x\u00e7"),
        Shingler.shingles(text, 2));
  }

  @Test
  void fewerWordsThanNGiveOneShingleOfAllWords() {
    assertArrayEquals(expected("só duas"), Shingler.shingles("Só   duas!", 5));
    assertArrayEquals(expected("uma"), Shingler.shingles("uma", 5));
    assertArrayEquals(
        expected("a b c d e"), Shingler.shingles("a b c d e", 5)); // exactly n words: one n-gram
    assertEquals(0, Shingler.shingles("  ... !? -- ", 5).length);
    assertEquals(0, Shingler.shingles("", 1).length);
  }

  @Test
  void unigramsAndCaseFolding() {
    assertArrayEquals(expected("b", "a"), Shingler.shingles("A b a B", 1));
    assertArrayEquals(Shingler.shingles("ÁGUA Fria", 2), Shingler.shingles("água fria", 2));
  }

  @Test
  void outputIsSortedAndDistinct() {
    int[] s = Shingler.shingles("x y x y x y x y z", 2); // bigrams: x y, y x, y z
    assertEquals(3, s.length);
    for (int i = 1; i < s.length; i++) {
      assertEquals(-1, Integer.compare(s[i - 1], s[i]));
    }
  }

  @Test
  void exactJaccard() {
    assertEquals(0.5, Shingler.jaccard(new int[] {1, 2, 3}, new int[] {2, 3, 4}));
    assertEquals(0.25, Shingler.jaccard(new int[] {-5, 0}, new int[] {-5, 7, 9}));
    assertEquals(0.0, Shingler.jaccard(new int[] {}, new int[] {1}));
    assertEquals(1.0, Shingler.jaccard(new int[] {}, new int[] {}));
    assertEquals(1.0, Shingler.jaccard(new int[] {Integer.MIN_VALUE, 3}, new int[] {Integer.MIN_VALUE, 3}));
  }

  @Test
  void badShingleSizeIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> Shingler.shingles("a b", 0));
  }
}
