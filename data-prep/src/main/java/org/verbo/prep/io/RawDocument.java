package org.verbo.prep.io;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One record read from a file: either a document ({@link #text()} non-null, normalised by {@link
 * org.verbo.prep.text.TextNormalizer}) or a rejection ({@link #rejectReason()} non-null, one of the
 * reasons listed on {@link DocumentReader}).
 *
 * @param index record index within the file: 0-based line number for JSONL and LINE split,
 *     0-based paragraph ordinal for PARAGRAPH split, 0 for FILE split and HTML
 * @param text the normalised document text, null for a rejection
 * @param metadata extra fields (JSONL: the other top-level fields as strings; HTML: {@code title}),
 *     never null, unmodifiable, in source order
 * @param rejectReason why the record was rejected, null for a document
 * @param rejectDetail human-readable detail of the rejection (sizes, parser message), may be null
 * @param usedFallbackCharset true when the bytes were not valid UTF-8 and were decoded with the
 *     fallback charset
 */
public record RawDocument(
    long index,
    String text,
    Map<String, String> metadata,
    String rejectReason,
    String rejectDetail,
    boolean usedFallbackCharset)
    implements Serializable {

  public RawDocument {
    if ((text == null) == (rejectReason == null)) {
      throw new IllegalArgumentException("exactly one of text and rejectReason must be set");
    }
    if (index < 0) {
      throw new IllegalArgumentException("index must be >= 0, got " + index);
    }
    metadata =
        metadata == null || metadata.isEmpty()
            ? Map.of()
            : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** A document. */
  public static RawDocument ok(
      long index, String text, Map<String, String> metadata, boolean usedFallbackCharset) {
    return new RawDocument(index, text, metadata, null, null, usedFallbackCharset);
  }

  /** A rejection. */
  public static RawDocument rejected(long index, String reason, String detail) {
    return new RawDocument(index, null, Map.of(), reason, detail, false);
  }

  /** A rejection of bytes that were decoded with the fallback charset. */
  public static RawDocument rejected(
      long index, String reason, String detail, boolean usedFallbackCharset) {
    return new RawDocument(index, null, Map.of(), reason, detail, usedFallbackCharset);
  }

  /** True for a document, false for a rejection. */
  public boolean isOk() {
    return text != null;
  }
}
