package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast UTF-8 path of {@link TextDecoder} (String's decoder plus a round-trip check) accepts exactly
 * what the JDK's strict {@code CharsetDecoder} with {@link CodingErrorAction#REPORT} accepts, and gives the
 * same text; the reference here is that decoder, called directly.
 */
class TextDecoderStrictnessTest {

  /** The strict JDK decoding: the text, or null when the bytes are not valid UTF-8. */
  private static String strictUtf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static void assertSameAsStrict(TextDecoder d, byte[] b) {
    String strict = strictUtf8(b);
    // Not UTF-8: the ISO-8859-1 fallback, which maps every byte.
    String expected = strict != null ? strict : new String(b, StandardCharsets.ISO_8859_1);
    TextDecoder.Decoded got = d.decode(b, 0, b.length);
    assertEquals(strict == null, got.usedFallbackCharset(), () -> hex(b));
    assertEquals(TextDecoder.binaryReason(expected) == null ? expected : null, got.text(), () -> hex(b));
  }

  @Test
  void edgeSequences() {
    TextDecoder d = new TextDecoder(StandardCharsets.ISO_8859_1);
    int[][] cases = {
      {0x61, 0xC3, 0xA7, 0xC3, 0xA3, 0x6F}, // "ação" minus the a: valid
      {0xEF, 0xBF, 0xBD}, // a real U+FFFD: valid, must not be taken for a replacement
      {0xC3}, // truncated
      {0xC0, 0xAF}, // overlong "/"
      {0xED, 0xA0, 0x80}, // an encoded surrogate
      {0xF0, 0x9F, 0x98, 0x80}, // U+1F600, a surrogate pair in Java
      {0xF4, 0x90, 0x80, 0x80}, // above U+10FFFF
      {0xE7, 0x61, 0x6F}, // Latin-1 "ç" before ASCII
      {0x80},
    };
    for (int[] c : cases) {
      byte[] b = new byte[c.length];
      for (int i = 0; i < c.length; i++) {
        b[i] = (byte) c[i];
      }
      assertSameAsStrict(d, b);
    }
  }

  @Test
  void randomBytesAndMutatedTextMatchTheStrictDecoder() {
    TextDecoder d = new TextDecoder(StandardCharsets.ISO_8859_1);
    Random rnd = new Random(20261201L);
    String[] pieces = {"a", "ç", "ã", "€", "𝔸", " ", "\n", "\uFFFD", "日本"};
    for (int trial = 0; trial < 3000; trial++) {
      byte[] b;
      if (trial % 3 == 0) {
        b = new byte[rnd.nextInt(12)];
        for (int i = 0; i < b.length; i++) {
          b[i] = (byte) (0x7F + rnd.nextInt(0x81)); // mostly high bytes: lead and continuation bytes
        }
      } else {
        StringBuilder sb = new StringBuilder();
        for (int i = rnd.nextInt(20); i > 0; i--) {
          sb.append(pieces[rnd.nextInt(pieces.length)]);
        }
        b = sb.toString().getBytes(StandardCharsets.UTF_8);
        if (trial % 3 == 2 && b.length > 0) {
          b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8)); // one flipped bit
        }
      }
      assertSameAsStrict(d, b);
    }
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x ", x));
    }
    return sb.toString();
  }
}
