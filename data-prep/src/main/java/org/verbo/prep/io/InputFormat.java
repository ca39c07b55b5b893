package org.verbo.prep.io;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The kinds of corpus file {@code prepare} reads ({@code --format}). */
public enum InputFormat {
  /** Plain text, split into documents by {@link TextSplit}. */
  TEXT,
  /** One JSON object per line, text in a configured field. */
  JSONL,
  /** Parquet table; read by Spark, not by {@link DocumentReader}. */
  PARQUET,
  /** One HTML page per file. */
  HTML;

  private static final String[] COMPRESSION_SUFFIXES = {".gz", ".bz2", ".zst", ".xz"};

  /**
   * Format implied by a file name: {@code .html/.htm/.xhtml} → HTML, {@code .jsonl/.json/.ndjson} →
   * JSONL, {@code .parquet} → PARQUET, anything else → TEXT. One trailing compression suffix
   * ({@code .gz, .bz2, .zst, .xz}) is ignored, so {@code part-0.jsonl.gz} is JSONL. Case-insensitive;
   * a directory part of the name is ignored.
   */
  public static InputFormat fromFileName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    int slash = Math.max(n.lastIndexOf('/'), n.lastIndexOf('\\'));
    n = n.substring(slash + 1);
    for (String suffix : COMPRESSION_SUFFIXES) {
      if (n.endsWith(suffix)) {
        n = n.substring(0, n.length() - suffix.length());
        break;
      }
    }
    if (n.endsWith(".html") || n.endsWith(".htm") || n.endsWith(".xhtml")) {
      return HTML;
    }
    if (n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".ndjson")) {
      return JSONL;
    }
    if (n.endsWith(".parquet")) {
      return PARQUET;
    }
    return TEXT;
  }

  /**
   * Parses a {@code --format} value: {@code text|jsonl|parquet|html}, case-insensitive.
   *
   * @throws IllegalArgumentException naming the allowed values otherwise
   */
  public static InputFormat parse(String s) {
    if (s != null) {
      for (InputFormat f : values()) {
        if (f.name().equalsIgnoreCase(s.trim())) {
          return f;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown input format '" + s + "', expected one of " + allowed());
  }

  /** The allowed names, e.g. {@code text|jsonl|parquet|html}. */
  public static String allowed() {
    return Arrays.stream(values())
        .map(f -> f.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining("|"));
  }
}
