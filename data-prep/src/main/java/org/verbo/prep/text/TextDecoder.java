package org.verbo.prep.text;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * Turns the bytes of one document into text, or says why it can't.
 *
 * <p>Policy (one document at a time, so one bad line of a JSONL file never taints its neighbours):
 * <ol>
 *   <li>An optional UTF-8 byte-order mark (EF BB BF) at the start is skipped.
 *   <li>The bytes are decoded as UTF-8 with a strict decoder ({@link CodingErrorAction#REPORT}):
 *       nothing is silently replaced by U+FFFD.
 *   <li>If they are not valid UTF-8, they are decoded again, strictly, with the fallback charset
 *       (ISO-8859-1 by default, which maps every byte, so legacy Latin-1 Portuguese such as
 *       {@code "a\xE7\xE3o"} becomes "ação"); {@link Decoded#usedFallbackCharset()} is then true.
 *       A fallback that can't map the bytes either (e.g. US-ASCII) is a failure.
 *   <li>The decoded text is checked for binary content ({@link #binaryReason(CharSequence)}): a NUL
 *       character, or more than {@value #MAX_CONTROL_FRACTION} of the characters being control
 *       characters other than tab, line feed, carriage return and form feed. Counting after
 *       decoding means the C1 controls (U+0080..U+009F) that random bytes produce under a Latin-1
 *       fallback count too.
 * </ol>
 *
 * <p>Instances cache their two decoders and are not thread-safe; use one per thread (per Spark
 * partition). {@link #decode(byte[], int, int, Charset)} is a thread-safe convenience.
 */
public final class TextDecoder {

  /** Above this fraction of control characters a document is taken for binary. */
  public static final double MAX_CONTROL_FRACTION = 0.1;

  /**
   * Result of decoding one document.
   *
   * @param text the decoded text (BOM removed, otherwise untouched), null when decoding failed
   * @param usedFallbackCharset true when the bytes were not valid UTF-8 and the fallback was used
   * @param error why decoding failed, null on success
   */
  public record Decoded(String text, boolean usedFallbackCharset, String error) {
    public Decoded {
      if ((text == null) == (error == null)) {
        throw new IllegalArgumentException("exactly one of text and error must be set");
      }
    }

    /** True when {@link #text()} holds the document. */
    public boolean ok() {
      return text != null;
    }
  }

  private final Charset fallback;
  private final CharsetDecoder utf8;
  private final CharsetDecoder fallbackDecoder;

  /** @param fallback charset tried when a document is not valid UTF-8 */
  public TextDecoder(Charset fallback) {
    this.fallback = Objects.requireNonNull(fallback, "fallback");
    this.utf8 = strict(StandardCharsets.UTF_8);
    this.fallbackDecoder = strict(fallback);
  }

  /** Thread-safe one-off form of {@link #decode(byte[], int, int)}. */
  public static Decoded decode(byte[] bytes, int offset, int length, Charset fallback) {
    return new TextDecoder(fallback).decode(bytes, offset, length);
  }

  /** Decodes {@code bytes[offset, offset + length)} following the class policy. */
  public Decoded decode(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    if (length >= 3
        && bytes[offset] == (byte) 0xEF
        && bytes[offset + 1] == (byte) 0xBB
        && bytes[offset + 2] == (byte) 0xBF) {
      offset += 3;
      length -= 3;
    }
    String text;
    boolean usedFallback = false;
    try {
      text = utf8(bytes, offset, length);
    } catch (CharacterCodingException notUtf8) {
      try {
        text = run(fallbackDecoder, bytes, offset, length);
        usedFallback = true;
      } catch (CharacterCodingException notFallback) {
        return new Decoded(null, false, "neither valid UTF-8 nor decodable as " + fallback.name());
      }
    }
    String binary = binaryReason(text);
    if (binary != null) {
      return new Decoded(null, usedFallback, binary);
    }
    return new Decoded(text, usedFallback, null);
  }

  /**
   * Why {@code text} looks like binary data, or null when it looks like text: a NUL character, or a
   * fraction of control characters (category Cc other than {@code \t \n \r \f}) above {@value
   * #MAX_CONTROL_FRACTION}.
   */
  public static String binaryReason(CharSequence text) {
    int controls = 0;
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c == 0) {
        return "binary content: NUL character at offset " + i;
      }
      if (Character.getType(c) == Character.CONTROL
          && c != '\t'
          && c != '\n'
          && c != '\r'
          && c != '\f') {
        controls++;
      }
    }
    if (n > 0 && controls > MAX_CONTROL_FRACTION * n) {
      return String.format(
          Locale.ROOT,
          "binary content: %d of %d characters are control characters (%.3f > %.3f)",
          controls,
          n,
          (double) controls / n,
          MAX_CONTROL_FRACTION);
    }
    return null;
  }

  private static CharsetDecoder strict(Charset cs) {
    return cs.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
  }

  /**
   * Strict UTF-8 at the speed of {@code new String(bytes, UTF_8)} (an intrinsic; the strict {@link
   * CharsetDecoder} plus {@code CharBuffer.toString()} cost three times as much on HTML pages). That
   * constructor replaces malformed input with U+FFFD instead of failing, so the result is encoded back and
   * compared: the bytes come back unchanged exactly when they were valid UTF-8 (the re-encoding is always
   * valid UTF-8, and a valid input round-trips). Otherwise the strict decoder runs and reports the error.
   */
  private String utf8(byte[] bytes, int offset, int length) throws CharacterCodingException {
    String s = new String(bytes, offset, length, StandardCharsets.UTF_8);
    byte[] back = s.getBytes(StandardCharsets.UTF_8);
    if (java.util.Arrays.equals(back, 0, back.length, bytes, offset, offset + length)) {
      return s;
    }
    return run(utf8, bytes, offset, length);
  }

  private static String run(CharsetDecoder decoder, byte[] bytes, int offset, int length)
      throws CharacterCodingException {
    decoder.reset();
    CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytes, offset, length));
    return chars.toString();
  }
}
