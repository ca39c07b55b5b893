package org.verbo.prep.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.verbo.prep.text.WordTokenizer;

/**
 * Parity of the id-based n-gram measures with the string-joining reference twins in {@link
 * GopherRepetitionFilter}: exact equality (both are integer counts), on hand-made cases with ties and
 * overlaps and on seeded random word lists drawn from small vocabularies, so repeats and hash-table
 * collisions are frequent.
 */
class WordNgramsTest {

  private static void assertParity(List<String> words, String label) {
    WordNgrams fast = new WordNgrams(words);
    for (int n = 1; n <= 10; n++) {
      assertEquals(GopherRepetitionFilter.topNgramChars(words, n), fast.topNgramChars(n), label + " top n=" + n);
      assertEquals(GopherRepetitionFilter.duplicatedNgramChars(words, n), fast.duplicatedNgramChars(n),
          label + " dup n=" + n);
    }
  }

  @Test
  void handMadeCases() {
    // Counted by hand: "a b" occurs 3 times, 3 characters each → 9; scanning 2-grams, "a b" repeats at 2 and 4.
    WordNgrams abab = new WordNgrams(List.of("a", "b", "a", "b", "a", "b"));
    assertEquals(9, abab.topNgramChars(2));
    assertEquals(4, abab.duplicatedNgramChars(2));
    // A tie (each bigram once): the first seen wins, "xy zz" = 5 characters.
    assertEquals(5, new WordNgrams(List.of("xy", "zz", "q")).topNgramChars(2));
    // Multi-char-unit code points count once: "𝔸" is one character.
    assertEquals(2 * 3, new WordNgrams(List.of("𝔸", "b", "𝔸", "b")).topNgramChars(2));
    assertParity(List.of(), "empty");
    assertParity(List.of("só"), "one word");
    assertParity(WordTokenizer.tokenize("O gato, o gato... e o gato! O gato; o gato? d'água d'água 3.14 3.14"), "text");
  }

  @Test
  void randomWordListsMatchTheReference() {
    Random rnd = new Random(20261201L);
    for (int trial = 0; trial < 400; trial++) {
      int vocab = 1 + rnd.nextInt(12);
      int length = rnd.nextInt(300);
      List<String> words = new ArrayList<>(length);
      for (int i = 0; i < length; i++) {
        words.add("w" + rnd.nextInt(vocab) + (rnd.nextInt(7) == 0 ? "é" : ""));
      }
      assertParity(words, "trial " + trial);
    }
  }
}
