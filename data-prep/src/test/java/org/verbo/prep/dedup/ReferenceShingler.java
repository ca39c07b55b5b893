package org.verbo.prep.dedup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The reference twin of {@link Shingler}'s word scan: the class rules taken literally (lower-case the whole text
 * with {@link Locale#ROOT}, then walk its code points), as Shingler was before the scan got its ASCII table,
 * per-code-point lower-casing and reused buffers. {@code ShinglerParityTest} requires equal results.
 */
final class ReferenceShingler {

  private ReferenceShingler() {}

  /**
   * Sorted (signed ascending) distinct MurmurHash3_x86_32 hashes of the word {@code n}-grams of
   * {@code text}; see the class comment for the exact rules.
   *
   * @throws IllegalArgumentException if {@code n < 1}
   * @throws NullPointerException if {@code text} is null
   */
  public static int[] shingles(String text, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("shingle size n must be >= 1, got " + n);
    }
    Words w = Words.of(text);
    if (w.count == 0) {
      return new int[0];
    }
    // The words sit in w.utf8 separated by exactly one space, so an n-gram "w_i ... w_{i+k-1}" is
    // the contiguous byte range [start[i], end[i+k-1]) and is hashed in place.
    int k = Math.min(n, w.count);
    int count = w.count - k + 1;
    int[] hashes = new int[count];
    for (int i = 0; i < count; i++) {
      int from = w.start[i];
      hashes[i] = Shingler.hash(w.utf8, from, w.end[i + k - 1] - from);
    }
    return sortedDistinct(hashes);
  }

  /** The words of {@code text} under the class rules, lower-cased, as strings (for tests and tools). */
  public static List<String> wordList(String text) {
    Words w = Words.of(text);
    List<String> out = new ArrayList<>(w.count);
    for (int i = 0; i < w.count; i++) {
      out.add(new String(w.utf8, w.start[i], w.end[i] - w.start[i], StandardCharsets.UTF_8));
    }
    return out;
  }

  /**
   * The lower-cased words of a text as UTF-8, joined by single spaces in one buffer, with the byte
   * range {@code [start[i], end[i])} of word {@code i}.
   */
  private static final class Words {
    byte[] utf8;
    int[] start = new int[16];
    int[] end = new int[16];
    int count;
    int len;

    static Words of(String text) {
      String lower = text.toLowerCase(Locale.ROOT);
      Words w = new Words();
      w.utf8 = new byte[Math.max(16, lower.length() + 16)];
      boolean inWord = false;
      int i = 0;
      while (i < lower.length()) {
        int cp = lower.codePointAt(i);
        boolean wordChar = Character.isLetterOrDigit(cp) || (inWord && isMark(cp));
        if (wordChar) {
          if (!inWord) {
            w.beginWord();
            inWord = true;
          }
          w.append(cp);
        } else if (inWord) {
          w.endWord();
          inWord = false;
        }
        i += Character.charCount(cp);
      }
      if (inWord) {
        w.endWord();
      }
      return w;
    }

    private void beginWord() {
      if (count == start.length) {
        start = Arrays.copyOf(start, count * 2);
        end = Arrays.copyOf(end, count * 2);
      }
      if (count > 0) {
        ensure(1);
        utf8[len++] = ' ';
      }
      start[count] = len;
    }

    private void endWord() {
      end[count++] = len;
    }

    /** Appends the UTF-8 encoding of a code point (never a lone surrogate: those are not letters). */
    private void append(int cp) {
      ensure(4);
      if (cp < 0x80) {
        utf8[len++] = (byte) cp;
      } else if (cp < 0x800) {
        utf8[len++] = (byte) (0xC0 | (cp >> 6));
        utf8[len++] = (byte) (0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        utf8[len++] = (byte) (0xE0 | (cp >> 12));
        utf8[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        utf8[len++] = (byte) (0x80 | (cp & 0x3F));
      } else {
        utf8[len++] = (byte) (0xF0 | (cp >> 18));
        utf8[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        utf8[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        utf8[len++] = (byte) (0x80 | (cp & 0x3F));
      }
    }

    private void ensure(int extra) {
      if (len + extra > utf8.length) {
        utf8 = Arrays.copyOf(utf8, Math.max(len + extra, utf8.length * 2));
      }
    }
  }

  private static boolean isMark(int cp) {
    int t = Character.getType(cp);
    return t == Character.NON_SPACING_MARK
        || t == Character.COMBINING_SPACING_MARK
        || t == Character.ENCLOSING_MARK;
  }

  private static int[] sortedDistinct(int[] a) {
    Arrays.sort(a);
    int n = 0;
    for (int i = 0; i < a.length; i++) {
      if (n == 0 || a[i] != a[n - 1]) {
        a[n++] = a[i];
      }
    }
    return n == a.length ? a : Arrays.copyOf(a, n);
  }
}
