package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TextDecoder#decode} counts the control characters of valid UTF-8 on the bytes, during the validity
 * scan ({@link TextDecoder#utf8Controls}); the reference is the path it replaced, rebuilt here from public
 * pieces: the JDK's strict decoder (then the strict fallback decoder) and {@link TextDecoder#binaryReason} on
 * the decoded text. Seeded random bytes must give the same {@code Decoded}, error message included; a few
 * cases computed by hand pin the threshold's side and the message.
 */
class TextDecoderControlsTest {

  // ---- the reference: strict JDK decoders, then binaryReason on the chars ----

  /** The JDK's strict decoding of {@code b[off, off + len)} in {@code cs}, or null when malformed or unmappable. */
  static String strict(Charset cs, byte[] b, int off, int len) {
    try {
      return cs.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, off, len))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static TextDecoder.Decoded reference(byte[] b, int off, int len, Charset fallback) {
    if (len >= 3 && b[off] == (byte) 0xEF && b[off + 1] == (byte) 0xBB && b[off + 2] == (byte) 0xBF) {
      off += 3;
      len -= 3;
    }
    String text = strict(StandardCharsets.UTF_8, b, off, len);
    boolean usedFallback = false;
    if (text == null) {
      text = strict(fallback, b, off, len);
      usedFallback = true;
      if (text == null) {
        String error = "neither valid UTF-8 nor decodable as " + fallback.name();
        return new TextDecoder.Decoded(null, false, error);
      }
    }
    String reason = TextDecoder.binaryReason(text);
    return reason != null
        ? new TextDecoder.Decoded(null, usedFallback, reason)
        : new TextDecoder.Decoded(text, usedFallback, null);
  }

  /** What utf8Controls should answer, counted on the strictly decoded chars with Character.getType. */
  private static int referenceControls(byte[] b, int off, int len) {
    String text = strict(StandardCharsets.UTF_8, b, off, len);
    if (text == null) {
      return TextDecoder.NOT_UTF8;
    }
    if (text.indexOf('\0') >= 0) {
      return TextDecoder.HAS_NUL;
    }
    int controls = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.getType(c) == Character.CONTROL && "\t\n\r\f".indexOf(c) < 0) {
        controls++;
      }
    }
    return controls;
  }

  // ---- seeded random documents ----

  private static final int[][] MULTI_BYTE = {
    {0xC2, 0xA0}, {0xC2, 0xBF}, {0xC3, 0xA7}, {0xC3, 0xA3}, {0xDF, 0xBF}, // 2 bytes, not controls
    {0xE0, 0xA0, 0x80}, {0xE2, 0x82, 0xAC}, {0xED, 0x9F, 0xBF}, {0xEF, 0xBF, 0xBD}, {0xE6, 0x97, 0xA5}, // 3
    {0xF0, 0x90, 0x80, 0x80}, {0xF0, 0x9F, 0x98, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF}, // 4: surrogate pairs
  };
  private static final int[] INVALID = {
    0x80, 0x9F, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF // stray, overlong, cut, too high
  };

  /**
   * A document of about {@code target} bytes: ASCII text with controls (all of 00..1F and 7F, \t \n \r \f
   * among them) at a rate drawn per document around the 0.1 threshold, C1 controls (C2 80..9F), other two-,
   * three- and four-byte sequences, sometimes a NUL, sometimes a BOM, sometimes invalid bytes or a cut.
   */
  private static byte[] document(Random rnd, int target) {
    double[] rates = {0, 0.02, 0.08, 0.1, 0.11, 0.13, 0.3, 1};
    double controlRate = rates[rnd.nextInt(rates.length)];
    double c1Share = rnd.nextInt(3) == 0 ? 0.5 : 0.05; // of the controls, how many are U+0080..U+009F
    double multiRate = rnd.nextInt(3) == 0 ? 0 : rnd.nextDouble() * 0.3;
    boolean withNul = rnd.nextInt(6) == 0;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (rnd.nextInt(20) == 0) {
      out.write(0xEF);
      out.write(0xBB);
      out.write(0xBF);
    }
    while (out.size() < target) {
      double r = rnd.nextDouble();
      if (r < controlRate) {
        if (rnd.nextDouble() < c1Share) {
          out.write(0xC2);
          out.write(0x80 + rnd.nextInt(0x20));
        } else {
          int[] kinds = {1 + rnd.nextInt(0x1F), '\t', '\n', '\r', '\f', 0x7F};
          out.write(kinds[rnd.nextInt(kinds.length)]);
        }
      } else if (r < controlRate + multiRate) {
        for (int x : MULTI_BYTE[rnd.nextInt(MULTI_BYTE.length)]) {
          out.write(x);
        }
      } else {
        out.write(rnd.nextInt(8) == 0 ? ' ' : 'a' + rnd.nextInt(26));
      }
    }
    byte[] b = out.toByteArray();
    if (rnd.nextInt(4) == 0) {
      b = Arrays.copyOf(b, target); // may cut a sequence: invalid
    }
    if (withNul && b.length > 0) {
      for (int k = 1 + rnd.nextInt(2); k > 0; k--) {
        b[rnd.nextInt(b.length)] = 0; // may break a sequence too
      }
    }
    if (rnd.nextInt(5) == 0 && b.length > 0) {
      for (int k = 1 + rnd.nextInt(2); k > 0; k--) {
        int x = rnd.nextBoolean() ? INVALID[rnd.nextInt(INVALID.length)] : rnd.nextInt(256);
        b[rnd.nextInt(b.length)] = (byte) x;
      }
    }
    return b;
  }

  /** 0..300, half of them within 2 of a multiple of 8 (the 8-byte steps and their tails). */
  private static int length(Random rnd) {
    if (rnd.nextBoolean()) {
      return Math.max(0, Math.min(300, 8 * rnd.nextInt(38) + rnd.nextInt(5) - 2));
    }
    return rnd.nextInt(301);
  }

  @Test
  void decodeMatchesStrictDecodingThenBinaryReason() {
    Random rnd = new Random(20261202L);
    TextDecoder latin1 = new TextDecoder(StandardCharsets.ISO_8859_1);
    TextDecoder ascii = new TextDecoder(StandardCharsets.US_ASCII);
    int valid = 0;
    int nul = 0;
    int tooMany = 0;
    int accepted = 0;
    int fallback = 0;
    for (int trial = 0; trial < 30_000; trial++) {
      byte[] doc = document(rnd, length(rnd));
      // At an offset inside a larger array, with control bytes around it that must not be counted.
      int off = rnd.nextInt(9);
      byte[] b = new byte[off + doc.length + rnd.nextInt(9)];
      Arrays.fill(b, (byte) 0x01);
      System.arraycopy(doc, 0, b, off, doc.length);
      boolean useAscii = trial % 10 == 0;
      TextDecoder.Decoded expected =
          reference(b, off, doc.length, useAscii ? StandardCharsets.US_ASCII : StandardCharsets.ISO_8859_1);
      TextDecoder.Decoded got = (useAscii ? ascii : latin1).decode(b, off, doc.length);
      // The reference does not run the normalised check; TextNormalizerUtf8Test compares that flag with its twin.
      assertEquals(expected, new TextDecoder.Decoded(got.text(), got.usedFallbackCharset(), got.error()),
          () -> hex(doc));
      if (got.normalized()) {
        assertTrue(TextNormalizer.isNormalized(got.text()), () -> hex(doc));
      }

      boolean notUtf8 = got.usedFallbackCharset() || got.error() != null && got.error().startsWith("neither");
      if (!notUtf8) {
        valid++;
      }
      if (got.usedFallbackCharset()) {
        fallback++;
      }
      if (got.error() != null && got.error().contains("NUL")) {
        nul++;
      } else if (got.error() != null && got.error().contains("control characters")) {
        tooMany++;
      } else if (got.ok()) {
        accepted++;
      }
    }
    // The draw covers every branch, so the parity above is not vacuous.
    assertTrue(valid > 10_000 && fallback > 3_000 && nul > 1_000 && tooMany > 3_000 && accepted > 10_000,
        "valid " + valid + ", fallback " + fallback + ", NUL " + nul + ", too many " + tooMany
            + ", accepted " + accepted);
  }

  @Test
  void utf8ControlsCountsWhatTheDecodedTextHolds() {
    Random rnd = new Random(20261203L);
    for (int trial = 0; trial < 30_000; trial++) {
      byte[] b = document(rnd, length(rnd));
      assertEquals(referenceControls(b, 0, b.length), TextDecoder.utf8Controls(b, 0, b.length), () -> hex(b));
    }
  }

  @Test
  void theOnlyControlsInUtf8AreAsciiAndC2_80To9F() {
    // The byte-level count relies on this: category Cc is U+0000..U+001F, U+007F and U+0080..U+009F, and the
    // last are exactly the two-byte sequences C2 80..C2 9F.
    for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
      boolean cc = cp < 0x20 || cp == 0x7F || cp >= 0x80 && cp <= 0x9F;
      assertEquals(cc, Character.getType(cp) == Character.CONTROL, "U+" + Integer.toHexString(cp));
    }
    // binaryReason reads chars: the surrogate halves of a four-byte sequence are not Cc either.
    for (char c = Character.MIN_SURROGATE; c <= Character.MAX_SURROGATE; c++) {
      assertNotEquals(Character.CONTROL, Character.getType(c));
    }
    for (int cp = 0x80; cp <= 0x9F; cp++) {
      byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
      assertEquals(2, b.length);
      assertEquals(0xC2, b[0] & 0xFF);
      assertEquals(cp, b[1] & 0xFF);
    }
  }

  // ---- hand-computed cases: which side of controls > 0.1 * chars, and the exact message ----

  private static TextDecoder.Decoded decode(byte[] b) {
    return TextDecoder.decode(b, 0, b.length, StandardCharsets.ISO_8859_1);
  }

  private static byte[] repeat(int times, int... bytes) {
    byte[] out = new byte[times * bytes.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) bytes[i % bytes.length];
    }
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  @Test
  void asciiControlsAtTheThreshold() {
    // 11 of 111 chars: 11 > 11.1 is false, text.
    byte[] eleven = concat(repeat(100, 'a'), repeat(11, 0x01));
    assertEquals(
        new TextDecoder.Decoded(new String(eleven, StandardCharsets.US_ASCII), false, null), decode(eleven));
    // 12 of 112 chars: 12 > 11.2, binary; 12 / 112 = 0.10714.
    assertEquals(new TextDecoder.Decoded(null, false,
            "binary content: 12 of 112 characters are control characters (0.107 > 0.100)"),
        decode(concat(repeat(100, 'a'), repeat(12, 0x01))));
    // DEL counts: 2 of 11 chars, 2 > 1.1; 2 / 11 = 0.1818.
    assertEquals("binary content: 2 of 11 characters are control characters (0.182 > 0.100)",
        decode(concat(repeat(9, 'a'), repeat(2, 0x7F))).error());
    // \t \n \r \f do not count: 40 of 50 chars, yet text.
    assertTrue(decode(concat(repeat(10, 'a'), repeat(10, '\t', '\n', '\r', '\f'))).ok());
  }

  @Test
  void thresholdDividesByCharsNotBytes() {
    // 89 'a' and 11 U+0085 (NEL, C2 85): 11 of 100 chars (111 bytes): 11 > 10, binary. By bytes, 11 > 11.1
    // would have said text.
    assertEquals("binary content: 11 of 100 characters are control characters (0.110 > 0.100)",
        decode(concat(repeat(89, 'a'), repeat(11, 0xC2, 0x85))).error());
    // 45 U+1F600 (two chars each, four bytes) and 10 ESC: 10 of 100 chars, 10 > 10 is false, text.
    assertTrue(decode(concat(repeat(45, 0xF0, 0x9F, 0x98, 0x80), repeat(10, 0x1B))).ok());
    // ... and 11 ESC: 11 of 101 chars, 11 > 10.1, binary; 11 / 101 = 0.10891. (By code points, 11 of 56.)
    assertEquals("binary content: 11 of 101 characters are control characters (0.109 > 0.100)",
        decode(concat(repeat(45, 0xF0, 0x9F, 0x98, 0x80), repeat(11, 0x1B))).error());
    // U+00A0 (C2 A0), next to the C1 controls, is not one: 10 of 20 chars, text.
    assertTrue(decode(concat(repeat(10, 'a'), repeat(10, 0xC2, 0xA0))).ok());
    // A BOM is not a char of the text: 1 of 10 chars, 1 > 1.0 is false, text.
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    assertEquals("aaaaaaaaa\u001B", decode(concat(bom, repeat(9, 'a'), repeat(1, 0x1B))).text());
  }

  @Test
  void nulGivesItsCharOffset() {
    assertEquals("binary content: NUL character at offset 2", decode(new byte[] {'a', 'b', 0}).error());
    // "ção" then NUL: byte 5, char 3.
    assertEquals("binary content: NUL character at offset 3",
        decode(new byte[] {(byte) 0xC3, (byte) 0xA7, (byte) 0xC3, (byte) 0xA3, 'o', 0}).error());
    // U+1F600 then NUL: byte 4, char 2.
    assertEquals("binary content: NUL character at offset 2",
        decode(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80, 0, 'a'}).error());
    // Inside the second 8-byte word of an ASCII run.
    byte[] b = repeat(24, 'a');
    b[9] = 0;
    assertEquals("binary content: NUL character at offset 9", decode(b).error());
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02X ", x & 0xFF));
    }
    return sb.toString();
  }
}
