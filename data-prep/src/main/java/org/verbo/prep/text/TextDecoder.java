package org.verbo.prep.text;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 *       characters other than tab, line feed, carriage return and form feed. The count is of
 *       decoded characters, so the C1 controls (U+0080..U+009F) that random bytes produce under a
 *       Latin-1 fallback count too. (For valid UTF-8 the count is taken on the bytes during the
 *       validity scan, {@link #utf8Controls}, with the same result; bytes that {@link
 *       TextNormalizer#isNormalizedUtf8} finds normalised are well-formed without controls, and skip that scan.)
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
   * @param normalized true when the bytes were valid UTF-8 that {@link TextNormalizer#isNormalizedUtf8} found
   *     already normalised: {@link TextNormalizer#normalize} would return {@link #text()} unchanged. False says
   *     nothing (the check is conservative, and is not made for the fallback charset).
   */
  public record Decoded(String text, boolean usedFallbackCharset, String error, boolean normalized) {
    public Decoded {
      if ((text == null) == (error == null)) {
        throw new IllegalArgumentException("exactly one of text and error must be set");
      }
      if (normalized && text == null) {
        throw new IllegalArgumentException("only a decoded text can be normalised");
      }
    }

    /** A result whose text (if any) is not known to be normalised. */
    public Decoded(String text, boolean usedFallbackCharset, String error) {
      this(text, usedFallbackCharset, error, false);
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
    int bom = bomLength(bytes, offset, length);
    offset += bom;
    length -= bom;
    // Most documents are normalised already, and saying so here, from the bytes, spares normalize its scan of the
    // String (isNormalized was 4.5% of prepare's executor CPU on 1 GB of text). The check takes only well-formed
    // UTF-8 without control characters, so it stands for the scan below too (TextNormalizerUtf8Test).
    if (TextNormalizer.isNormalizedUtf8(bytes, offset, offset + length)) {
      return new Decoded(new String(bytes, offset, length, StandardCharsets.UTF_8), false, null, true);
    }
    // Strict UTF-8 without the strict decoder: when the scan (utf8Controls) finds the bytes well-formed,
    // new String(bytes, UTF_8) (an intrinsic; on valid input it gives what the strict decoder gives) decodes
    // them; otherwise the strict CharsetDecoder runs and reports the error. The scan replaced encoding the
    // text back and comparing bytes (8% of the HTML profile). It also counts the control characters the
    // text will hold, so that the text is not read again char by char for them (binaryReason was 3.6% of
    // prepare's executor CPU on 1 GB of text). binaryReason stays the reference twin:
    // TextDecoderControlsTest compares the two on seeded random bytes.
    int controls = utf8Controls(bytes, offset, offset + length);
    if (controls != NOT_UTF8) {
      String text = new String(bytes, offset, length, StandardCharsets.UTF_8);
      // A NUL's message gives its char offset, which the byte scan does not know: rare, so ask the twin.
      String binary = controls == HAS_NUL ? binaryReason(text) : tooManyControls(controls, text.length());
      return binary != null ? new Decoded(null, false, binary) : new Decoded(text, false, null);
    }
    String text;
    boolean usedFallback = false;
    try {
      text = run(utf8, bytes, offset, length); // reports the error (the scan and the strict decoder agree)
    } catch (CharacterCodingException notUtf8) {
      try {
        text = run(fallbackDecoder, bytes, offset, length);
        usedFallback = true;
      } catch (CharacterCodingException notFallback) {
        return new Decoded(null, false, "neither valid UTF-8 nor decodable as " + fallback.name());
      }
    }
    // Chars, not bytes, here: a Latin-1 fallback turns bytes 80..9F into the C1 controls U+0080..U+009F.
    String binary = binaryReason(text);
    if (binary != null) {
      return new Decoded(null, usedFallback, binary);
    }
    return new Decoded(text, usedFallback, null);
  }

  /**
   * Where the text of {@code bytes[offset, offset + length)} starts (after an optional byte-order mark) when {@link
   * #decode} would return exactly {@code new String} of the rest as UTF-8, with no fallback and no rejection: the rest
   * is well-formed UTF-8 with no NUL and no control character that {@link #binaryReason} counts. Otherwise -1, and
   * {@link #decode} says what the bytes are. For a caller that parses the bytes itself (a JSONL line through Jackson's
   * UTF-8 parser) and so need not build the String decode would build.
   */
  public int cleanUtf8Start(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    int bom = bomLength(bytes, offset, length);
    offset += bom;
    length -= bom;
    return utf8Controls(bytes, offset, offset + length) == 0 ? offset : -1;
  }

  /** 3 when bytes[offset, offset + length) starts with the UTF-8 byte-order mark EF BB BF, else 0. */
  private static int bomLength(byte[] bytes, int offset, int length) {
    return length >= 3
            && bytes[offset] == (byte) 0xEF
            && bytes[offset + 1] == (byte) 0xBB
            && bytes[offset + 2] == (byte) 0xBF
        ? 3
        : 0;
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
      // In ASCII the controls (category Cc) are U+0000..U+001F and U+007F.
      boolean control = c < 0x80 ? c < 0x20 || c == 0x7F : Character.getType(c) == Character.CONTROL;
      if (control
          && c != '\t'
          && c != '\n'
          && c != '\r'
          && c != '\f') {
        controls++;
      }
    }
    return tooManyControls(controls, n);
  }

  /**
   * The threshold of {@link #binaryReason}, shared with the byte-level count of {@link #decode} so that the
   * message is the same: why {@code controls} of {@code n} chars are too many, or null.
   */
  private static String tooManyControls(int controls, int n) {
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

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * True when {@code bytes[from, to)} is well-formed UTF-8: the byte sequences of the Unicode Standard, table
   * 3-7 (RFC 3629), which are what the JDK's strict decoder accepts: no overlong forms (C0, C1, E0 below A0,
   * F0 below 90), no surrogates (ED above 9F), nothing above U+10FFFF (F4 above 8F, F5..FF), no stray or
   * missing continuation bytes. Hand-written because the JDK has no validity check that does not decode.
   * Utf8ValidityTest compares it with the JDK's strict decoder.
   */
  static boolean isValidUtf8(byte[] bytes, int from, int to) {
    return utf8Controls(bytes, from, to) != NOT_UTF8;
  }

  /** {@link #utf8Controls}: the bytes are not well-formed UTF-8. */
  static final int NOT_UTF8 = -1;

  /** {@link #utf8Controls}: the bytes are well-formed UTF-8 and hold a NUL (byte 00). */
  static final int HAS_NUL = -2;

  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long ONES = 0x0101010101010101L;

  /**
   * Validates {@code bytes[from, to)} as UTF-8 (as {@link #isValidUtf8}) and counts, in the same pass, what
   * {@link #binaryReason} counts in the decoded text: the control characters (category Cc) other than {@code
   * \t \n \r \f}. In well-formed UTF-8 those are the bytes 00..1F and 7F and the two-byte sequences C2
   * 80..C2 9F (U+0080..U+009F); no other code point is Cc, nor is a surrogate half of a four-byte sequence
   * (TextDecoderControlsTest checks every one against {@link Character#getType}).
   *
   * <p>The ASCII runs, most of a page, are read 8 bytes at a time as a little-endian long; a word with no
   * control byte costs two adds, an or and a test more than validation alone, and only a word with one is
   * looked at further (still 8 bytes at a time, see {@link #asciiControls} and {@link #zeroBytes}).
   *
   * @return {@link #NOT_UTF8}; {@link #HAS_NUL} when well-formed with a NUL; otherwise the number of controls
   */
  static int utf8Controls(byte[] bytes, int from, int to) {
    int controls = 0;
    boolean nul = false;
    int i = from;
    while (i < to) {
      // ASCII runs: 8 bytes a step while no byte has its high bit set.
      while (i + 8 <= to) {
        long w = (long) LONGS.get(bytes, i);
        if ((w & HIGH_BITS) != 0) {
          break;
        }
        long cc = asciiControls(w);
        if (cc != 0) { // rare in text: a line break, a tab, an escape
          nul |= zeroBytes(w) != 0;
          long textControls = zeroBytes(w ^ 0x0909090909090909L) // \t
              | zeroBytes(w ^ 0x0A0A0A0A0A0A0A0AL) // \n
              | zeroBytes(w ^ 0x0C0C0C0C0C0C0C0CL) // \f
              | zeroBytes(w ^ 0x0D0D0D0D0D0D0D0DL); // \r
          controls += Long.bitCount(cc & ~textControls);
        }
        i += 8;
      }
      if (i >= to) {
        break;
      }
      int b = bytes[i] & 0xFF;
      if (b < 0x80) {
        if (b < 0x20 || b == 0x7F) {
          nul |= b == 0;
          if (b != '\t' && b != '\n' && b != '\r' && b != '\f') {
            controls++;
          }
        }
        i++;
        continue;
      }
      int need;
      int lo = 0x80; // bounds of the second byte
      int hi = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        if (b == 0xE0) {
          lo = 0xA0;
        } else if (b == 0xED) {
          hi = 0x9F;
        }
      } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        if (b == 0xF0) {
          lo = 0x90;
        } else if (b == 0xF4) {
          hi = 0x8F;
        }
      } else {
        return NOT_UTF8; // 80..C1 (continuation or overlong lead), F5..FF
      }
      if (i + need >= to) {
        return NOT_UTF8; // truncated: fewer than need bytes after the lead
      }
      int second = bytes[i + 1] & 0xFF;
      if (second < lo || second > hi) {
        return NOT_UTF8;
      }
      for (int k = 2; k <= need; k++) {
        if ((bytes[i + k] & 0xC0) != 0x80) {
          return NOT_UTF8;
        }
      }
      if (b == 0xC2 && second <= 0x9F) {
        controls++; // U+0080..U+009F, the C1 controls
      }
      i += need + 1;
    }
    return nul ? HAS_NUL : controls;
  }

  /**
   * The high bit of each byte of {@code w} that is a control (00..1F or 7F), for a word of ASCII bytes (all
   * high bits clear). Exact per byte, because no byte sum carries into the next: x + 0x60 reaches 0x80 iff x
   * >= 0x20 (and stays below 0x100), x + 0x01 reaches 0x80 iff x == 0x7F.
   */
  private static long asciiControls(long w) {
    return (~(w + 0x6060606060606060L) | (w + ONES)) & HIGH_BITS;
  }

  /**
   * The high bit of each zero byte of {@code w}, for a word of bytes below 0x80: y + 0x7F stays below 0x100
   * and reaches 0x80 iff y != 0. (The general has-zero-byte test, for any bytes, can also flag a byte above a
   * zero one; this one is exact, so its bits can be counted.)
   */
  private static long zeroBytes(long w) {
    return ~(w + 0x7F7F7F7F7F7F7F7FL) & HIGH_BITS;
  }

  private static String run(CharsetDecoder decoder, byte[] bytes, int offset, int length)
      throws CharacterCodingException {
    decoder.reset();
    CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytes, offset, length));
    return chars.toString();
  }
}
