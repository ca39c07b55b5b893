package org.verbo.prep.quality;

import java.util.Arrays;
import java.util.Locale;

/** Counting helpers shared by the filters (the datatrove helpers of the same names, in Java). */
final class TextStats {

  private TextStats() {}

  /**
   * Ranges {@code [start(i), end(i))} of one text: the lines or paragraphs of a filter, as positions instead of
   * substrings.
   */
  static final class Ranges {
    private int[] start = new int[16];
    private int[] end = new int[16];
    private int count;

    int count() {
      return count;
    }

    int start(int i) {
      return start[i];
    }

    int end(int i) {
      return end[i];
    }

    void add(int s, int e) {
      if (count == start.length) {
        start = Arrays.copyOf(start, count * 2);
        end = Arrays.copyOf(end, count * 2);
      }
      start[count] = s;
      end[count++] = e;
    }

    void removeLast() {
      count--;
    }

    /** True when both hold the same ranges in the same order. */
    boolean sameAs(Ranges o) {
      return count == o.count
          && Arrays.equals(start, 0, count, o.start, 0, count)
          && Arrays.equals(end, 0, count, o.end, 0, count);
    }
  }

  /**
   * The non-blank lines of {@code text} as ranges (the reference twin, the string version, is in the tests'
   * ReferenceQualityFilters): each line of {@code text} (split on {@code '\n'}), stripped, when
   * not empty.
   */
  static Ranges nonBlankLineRanges(String text) {
    Ranges r = new Ranges();
    int n = text.length();
    int from = 0;
    while (from <= n) {
      int nl = text.indexOf('\n', from);
      int to = nl < 0 ? n : nl;
      int a = stripStart(text, from, to);
      int b = stripEnd(text, a, to);
      if (a < b) {
        r.add(a, b);
      }
      from = to + 1;
    }
    return r;
  }

  /**
   * The pieces {@code Pattern.compile("\\n{" + minRun + ",}").split(text.substring(from, to))} returns, as
   * ranges of {@code text}: cut at every maximal run of at least {@code minRun} line feeds (the greedy match
   * found from each run's first line feed); a leading empty piece when the range starts with a cut, trailing
   * empty pieces removed, and the whole range when there is no cut.
   */
  static Ranges splitOnLineFeeds(String text, int from, int to, int minRun) {
    Ranges r = new Ranges();
    int index = from;
    boolean cut = false;
    int i = from;
    while (i < to) {
      i = text.indexOf('\n', i); // vectorised search; most chars are not line feeds
      if (i < 0 || i >= to) {
        break;
      }
      int j = i;
      while (j < to && text.charAt(j) == '\n') {
        j++;
      }
      if (j - i >= minRun) {
        r.add(index, i);
        index = j;
        cut = true;
      }
      i = j;
    }
    if (!cut) {
      r.add(from, to);
      return r;
    }
    r.add(index, to);
    while (r.count() > 0 && r.start(r.count() - 1) == r.end(r.count() - 1)) {
      r.removeLast();
    }
    return r;
  }

  /**
   * {@link #duplicates} over ranges of {@code text}: every range equal to one seen before counts, with its code
   * points.
   */
  static long[] duplicates(String text, Ranges ranges) {
    return duplicates(text, text.toCharArray(), ranges);
  }

  /**
   * {@link #duplicates(String, Ranges)} with the text's chars at hand. Equal ranges have equal lengths, so only a range
   * whose length another range shares is hashed and looked up: most paragraphs and lines of prose have a length of
   * their own, and a text of one paragraph (a document per line) was hashed whole only to find nothing.
   */
  static long[] duplicates(String text, char[] textChars, Ranges ranges) {
    int n = ranges.count();
    if (n < 2) {
      return new long[] {0, 0};
    }
    int[] sortedLengths = new int[n];
    for (int i = 0; i < n; i++) {
      sortedLengths[i] = ranges.end(i) - ranges.start(i);
    }
    Arrays.sort(sortedLengths);
    SpanSet seen = null;
    long count = 0;
    long chars = 0;
    for (int i = 0; i < n; i++) {
      int len = ranges.end(i) - ranges.start(i);
      if (!shared(sortedLengths, len)) {
        continue;
      }
      if (seen == null) {
        seen = SpanSet.forThread(textChars, n);
      }
      int before = seen.size();
      seen.add(ranges.start(i), ranges.end(i));
      if (seen.size() == before) {
        count++;
        chars += text.codePointCount(ranges.start(i), ranges.end(i));
      }
    }
    return new long[] {count, chars};
  }

  /** True when {@code len} occurs at least twice in {@code sorted}. */
  private static boolean shared(int[] sorted, int len) {
    int at = Arrays.binarySearch(sorted, len); // some occurrence; its neighbours tell if there is another
    return (at > 0 && sorted[at - 1] == len) || (at + 1 < sorted.length && sorted[at + 1] == len);
  }

  /** First index in [from, to) that {@link String#strip} keeps, or {@code to}. */
  static int stripStart(String s, int from, int to) {
    // Per char is per code point here: no supplementary character is whitespace, and a surrogate is none.
    while (from < to && isWhitespace(s.charAt(from))) {
      from++;
    }
    return from;
  }

  /** One past the last index in [from, to) that {@link String#strip} keeps, or {@code from}. */
  static int stripEnd(String s, int from, int to) {
    while (to > from && isWhitespace(s.charAt(to - 1))) {
      to--;
    }
    return to;
  }

  /** {@link Character#isWhitespace(char)}, with the ASCII answer inline. */
  static boolean isWhitespace(char c) {
    if (c < 0x80) {
      return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    }
    return Character.isWhitespace(c);
  }

  /** True when {@code text[from, to)} ends with {@code suffix}. */
  static boolean endsWith(String text, int from, int to, String suffix) {
    int len = suffix.length();
    return to - from >= len && text.startsWith(suffix, to - len);
  }

  /** {@link #endsWithAny} on {@code text[from, to)}. */
  static boolean endsWithAny(String text, int from, int to, String[] suffixes) {
    for (String s : suffixes) {
      if (endsWith(text, from, to, s)) {
        return true;
      }
    }
    return false;
  }

  /** Length in Unicode code points, as Python's {@code len(str)}. */
  static int chars(String s) {
    return s.codePointCount(0, s.length());
  }

  /** Non-overlapping occurrences of {@code needle}, as Python's {@code str.count}. */
  static int count(String text, String needle) {
    int n = 0;
    int i = text.indexOf(needle);
    while (i >= 0) {
      n++;
      i = text.indexOf(needle, i + needle.length());
    }
    return n;
  }

  /** Safe ratio: 0 when the denominator is 0. */
  static double ratio(double num, double den) {
    return den == 0 ? 0 : num / den;
  }

  /** A measured ratio for a detail message. */
  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  /** True when {@code line} ends with one of {@code suffixes}. */
  static boolean endsWithAny(String line, String[] suffixes) {
    for (String s : suffixes) {
      if (line.endsWith(s)) {
        return true;
      }
    }
    return false;
  }
}
