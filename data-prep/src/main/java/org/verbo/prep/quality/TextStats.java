package org.verbo.prep.quality;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Counting helpers shared by the filters (the datatrove helpers of the same names, in Java). */
final class TextStats {

  private TextStats() {}

  /** Non-blank lines of {@code text}, stripped. */
  static List<String> nonBlankLines(String text) {
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      String s = line.strip();
      if (!s.isEmpty()) {
        lines.add(s);
      }
    }
    return lines;
  }

  /** Length in Unicode code points, as Python's {@code len(str)}. */
  static int chars(String s) {
    return s.codePointCount(0, s.length());
  }

  /**
   * datatrove {@code find_duplicates}: every element seen before counts as a duplicate, and its
   * characters as duplicated characters.
   *
   * @return {duplicate elements, duplicated characters}
   */
  static long[] duplicates(List<String> elements) {
    Set<String> seen = new HashSet<>();
    long count = 0;
    long chars = 0;
    for (String e : elements) {
      if (!seen.add(e)) {
        count++;
        chars += chars(e);
      }
    }
    return new long[] {count, chars};
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
