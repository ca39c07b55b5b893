package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TextDecoder#isValidUtf8} accepts exactly what the JDK's strict UTF-8 {@code CharsetDecoder}
 * ({@link CodingErrorAction#REPORT}, the reference) accepts: every sequence of one and two bytes, every lead
 * byte of three and four with every second byte and the boundary values of the others, and seeded random
 * mixtures of ASCII runs (across the 8-byte steps) and multi-byte sequences, at odd offsets of a larger array.
 */
class Utf8ValidityTest {

  private static final int[] EDGES = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xF4,
      0xF5, 0xFF};

  private static boolean strict(byte[] b, int from, int to) {
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, from, to - from));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static void check(byte[] b) {
    assertEquals(strict(b, 0, b.length), TextDecoder.isValidUtf8(b, 0, b.length), () -> hex(b, 0, b.length));
  }

  @Test
  void shortSequences() {
    for (int a = 0; a < 256; a++) {
      check(new byte[] {(byte) a});
      for (int b = 0; b < 256; b++) {
        check(new byte[] {(byte) a, (byte) b});
        if (a >= 0xC0) {
          for (int c : EDGES) {
            check(new byte[] {(byte) a, (byte) b, (byte) c});
            if (a >= 0xF0) {
              for (int d : new int[] {0x7F, 0x80, 0xBF, 0xC0}) { // a continuation byte or not
                check(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
              }
            }
          }
        }
      }
    }
  }

  @Test
  void randomMixturesAtOffsets() {
    Random rnd = new Random(20261210L);
    String[] pieces = {"a", "abcdefghijk", "ç", "ã", "€", "😀", "\u0000", "\u007F", "日本語"};
    for (int trial = 0; trial < 20_000; trial++) {
      StringBuilder sb = new StringBuilder();
      for (int i = rnd.nextInt(12); i > 0; i--) {
        sb.append(pieces[rnd.nextInt(pieces.length)]);
      }
      byte[] valid = sb.toString().getBytes(StandardCharsets.UTF_8);
      byte[] b = new byte[valid.length + 7];
      int off = rnd.nextInt(4);
      System.arraycopy(valid, 0, b, off, valid.length);
      for (int k = rnd.nextInt(3); k > 0 && valid.length > 0; k--) {
        b[off + rnd.nextInt(valid.length)] = (byte) (rnd.nextBoolean() ? EDGES[rnd.nextInt(EDGES.length)] : rnd.nextInt(256));
      }
      int to = off + valid.length - (valid.length > 0 && rnd.nextInt(5) == 0 ? 1 : 0);
      assertEquals(strict(b, off, to), TextDecoder.isValidUtf8(b, off, to), () -> hex(b, off, to));
    }
  }

  @Test
  void asciiControlsAreCategoryCc() {
    // binaryReason's ASCII shortcut: U+0000..U+001F and U+007F are exactly the ASCII chars of category Cc.
    for (char c = 0; c < 0x80; c++) {
      assertEquals(Character.getType(c) == Character.CONTROL, c < 0x20 || c == 0x7F, "U+" + (int) c);
    }
  }

  private static String hex(byte[] b, int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < to; i++) {
      sb.append(String.format("%02X ", b[i] & 0xFF));
    }
    return sb.toString();
  }
}
