package org.verbo.prep.quality;

import java.io.Serializable;
import java.util.Locale;
import java.util.Set;
import org.verbo.prep.text.WordTokenizer;

/**
 * Membership of a token's lower case in the stop-word lists, read from the token's range of the text without
 * building the token or its lower case. The reference is {@code words.contains(token.toLowerCase(Locale.ROOT))}
 * (GopherQualityFilter before spans); StopWordSetTest compares the two.
 *
 * <p>{@code String.toLowerCase(Locale.ROOT)} maps each char {@code c} to {@code Character.toLowerCase(c)} except
 * surrogates, U+0130 (İ, which becomes two chars) and U+03A3 (Σ, whose lower case depends on its neighbours),
 * and except a char whose lower case would leave the BMP (none does in Unicode 13); a token holding one of
 * those takes the reference path. Everything else is looked up in an open-addressing table hashed with {@link
 * String#hashCode}'s polynomial over the lower-cased chars.
 */
final class StopWordSet implements Serializable {

  private static final long serialVersionUID = 1L;

  private final Set<String> words;
  private final char[][] table; // [capacity] the word's chars, null = empty
  private final int[] hashes; // [capacity] hashCode of the word in each slot
  private final int mask;
  private final int maxLength;

  StopWordSet(Set<String> words) {
    this.words = Set.copyOf(words);
    int cap = Integer.highestOneBit(Math.max(4, words.size()) * 2 - 1) << 2; // load <= 1/4
    table = new char[cap][];
    hashes = new int[cap];
    mask = cap - 1;
    int max = 0;
    for (String w : this.words) {
      int h = w.hashCode();
      int slot = (h ^ (h >>> 16)) & mask;
      while (table[slot] != null) {
        slot = (slot + 1) & mask;
      }
      table[slot] = w.toCharArray();
      hashes[slot] = h;
      max = Math.max(max, w.length());
    }
    maxLength = max;
  }

  /** {@code words.contains(new String(text, start, end - start).toLowerCase(Locale.ROOT))}. */
  boolean containsLowerCase(char[] text, int start, int end) {
    int h = 0;
    boolean plain = true;
    for (int i = start; i < end && plain; i++) {
      int lower = WordTokenizer.lowerChar(text[i]);
      plain = lower >= 0;
      h = 31 * h + lower;
    }
    return containsLowerCase(text, start, end, h, plain);
  }

  /**
   * {@link #containsLowerCase(char[], int, int)} given what a caller's own scan of the token computed: {@code
   * hash}, {@code h = 31 * h + lowerChar(c)} over its chars (the lower case's {@link String#hashCode}, as {@link
   * WordTokenizer.Spans#lowerHash} gives it), and {@code plain}, false when a char's {@link
   * WordTokenizer#lowerChar} was -1 (then {@code hash} is not used).
   */
  boolean containsLowerCase(char[] text, int start, int end, int hash, boolean plain) {
    int len = end - start;
    if (len > maxLength) {
      // Lower-casing never shortens a text (every char maps to one char, U+0130 to two): too long for any word.
      return false;
    }
    if (!plain) {
      return words.contains(new String(text, start, len).toLowerCase(Locale.ROOT));
    }
    for (int slot = (hash ^ (hash >>> 16)) & mask; ; slot = (slot + 1) & mask) {
      char[] w = table[slot];
      if (w == null) {
        return false;
      }
      if (hashes[slot] == hash && w.length == len && equalsLowerCase(w, text, start)) {
        return true;
      }
    }
  }

  /** True when {@code w} equals the lower case of {@code text[start, start + w.length)}, char by char. */
  private static boolean equalsLowerCase(char[] w, char[] text, int start) {
    for (int i = 0; i < w.length; i++) {
      if (w[i] != WordTokenizer.lowerChar(text[start + i])) {
        return false;
      }
    }
    return true;
  }
}
