package org.verbo.prep.dedup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * The reference twin of {@link Shingler}: its class rules taken literally, with strings. Lower-case the whole text
 * with {@link Locale#ROOT}; walk its code points into words (letters and digits, marks continuing a word); join each
 * n-gram's words with one space; hash its UTF-8 bytes with Commons Codec's MurmurHash3_x86_32; sort and drop
 * repeats. {@code ShinglerParityTest} requires Shingler's results to equal these.
 */
final class ReferenceShingler {

  private static final Set<Integer> MARKS =
      Set.of((int) Character.NON_SPACING_MARK, (int) Character.COMBINING_SPACING_MARK, (int) Character.ENCLOSING_MARK);

  private ReferenceShingler() {}

  /** Sorted distinct hashes of the word {@code n}-grams of {@code text} (one of all words when fewer than n). */
  static int[] shingles(String text, int n) {
    List<String> words = wordList(text);
    if (words.isEmpty()) {
      return new int[0];
    }
    int k = Math.min(n, words.size());
    List<Integer> hashes = new ArrayList<>();
    for (int i = 0; i + k <= words.size(); i++) {
      byte[] gram = String.join(" ", words.subList(i, i + k)).getBytes(StandardCharsets.UTF_8);
      hashes.add(MurmurHash3.hash32x86(gram, 0, gram.length, 0));
    }
    return hashes.stream().mapToInt(Integer::intValue).distinct().sorted().toArray();
  }

  /** The lower-cased words of {@code text}. */
  static List<String> wordList(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    lower.codePoints().forEach(cp -> {
      if (Character.isLetterOrDigit(cp) || (word.length() > 0 && MARKS.contains(Character.getType(cp)))) {
        word.appendCodePoint(cp);
      } else if (word.length() > 0) {
        words.add(word.toString());
        word.setLength(0);
      }
    });
    if (word.length() > 0) {
      words.add(word.toString());
    }
    return words;
  }
}
