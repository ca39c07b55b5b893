package org.verbo.prep.quality;

import java.io.Serializable;

/**
 * Outcome of the quality filters for one document.
 *
 * @param text the document text after the filters' line removals (C4 may drop lines); for a
 *     rejection, the text as the rejecting filter saw it
 * @param rejectReason {@code <filter>.<rule>} (e.g. {@code gopher_quality.word_count}), null when
 *     kept
 * @param detail the measured value against the threshold (e.g. {@code "words=12 < 50"}), null when
 *     kept
 */
public record Verdict(String text, String rejectReason, String detail) implements Serializable {

  public Verdict {
    if (text == null) {
      throw new IllegalArgumentException("text must not be null");
    }
    if ((rejectReason == null) != (detail == null)) {
      throw new IllegalArgumentException("rejectReason and detail are set together");
    }
  }

  /** The document passed every enabled filter. */
  public static Verdict keep(String text) {
    return new Verdict(text, null, null);
  }

  /** The document failed {@code reason}. */
  public static Verdict reject(String text, String reason, String detail) {
    return new Verdict(text, reason, detail);
  }

  /** True when the document passed. */
  public boolean kept() {
    return rejectReason == null;
  }
}
