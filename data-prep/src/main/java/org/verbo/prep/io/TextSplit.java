package org.verbo.prep.io;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How a plain-text file is cut into documents. */
public enum TextSplit {
  /** The whole file is one document. */
  FILE,
  /** Every non-blank line is one document. */
  LINE,
  /** Every run of non-blank lines (paragraph, separated by blank lines) is one document. */
  PARAGRAPH;

  /**
   * Parses {@code file|line|paragraph}, case-insensitive.
   *
   * @throws IllegalArgumentException naming the allowed values otherwise
   */
  public static TextSplit parse(String s) {
    if (s != null) {
      for (TextSplit t : values()) {
        if (t.name().equalsIgnoreCase(s.trim())) {
          return t;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown text split '"
            + s
            + "', expected one of "
            + Arrays.stream(values())
                .map(t -> t.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining("|")));
  }
}
