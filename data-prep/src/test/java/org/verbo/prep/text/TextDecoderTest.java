package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextDecoderTest {

  private static TextDecoder.Decoded decode(byte[] b) {
    return TextDecoder.decode(b, 0, b.length, StandardCharsets.ISO_8859_1);
  }

  @Test
  void validUtf8IsDecodedWithoutFallback() {
    TextDecoder.Decoded d = decode("ação é".getBytes(StandardCharsets.UTF_8));
    assertTrue(d.ok());
    assertEquals("ação é", d.text());
    assertFalse(d.usedFallbackCharset());
  }

  @Test
  void utf8BomIsStripped() {
    byte[] b = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'o', 'i'};
    assertEquals("oi", decode(b).text());
  }

  @Test
  void normalisedFlagIsSetOnlyForUtf8TheByteCheckTakes() {
    // The BOM is skipped before the check, and the text is decoded all the same.
    TextDecoder.Decoded bom = decode(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'o', 'i'});
    assertEquals(new TextDecoder.Decoded("oi", false, null, true), bom);
    assertEquals(new TextDecoder.Decoded("ação — “é”", false, null, true),
        decode("ação — “é”".getBytes(StandardCharsets.UTF_8)));
    // Not normalised: decoded untouched, the flag false.
    assertEquals(new TextDecoder.Decoded("a  b", false, null, false), decode(utf8("a  b")));
    assertEquals(new TextDecoder.Decoded(" oi", false, null, false),
        decode(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, ' ', 'o', 'i'}));
    // Normalised, but beyond what the byte check claims (NFC needs the Normalizer): false, normalize decides.
    assertEquals(new TextDecoder.Decoded("日本", false, null, false), decode(utf8("日本")));
    // The fallback charset's texts are not checked.
    TextDecoder.Decoded latin1 = decode(new byte[] {'a', (byte) 0xE7, (byte) 0xE3, 'o'});
    assertEquals(new TextDecoder.Decoded("ação", true, null, false), latin1);
    assertFalse(decode(new byte[0]).normalized());
    assertThrows(IllegalArgumentException.class, () -> new TextDecoder.Decoded(null, false, "binary", true));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void latin1BytesUseTheFallback() {
    // "ação é" in ISO-8859-1: ç = E7, ã = E3, é = E9 (invalid as UTF-8)
    byte[] b = {'a', (byte) 0xE7, (byte) 0xE3, 'o', ' ', (byte) 0xE9};
    TextDecoder.Decoded d = decode(b);
    assertTrue(d.ok());
    assertEquals("ação é", d.text());
    assertTrue(d.usedFallbackCharset());
  }

  @Test
  void fallbackThatCannotDecodeFails() {
    byte[] b = {'a', (byte) 0xE7, (byte) 0xE3, 'o'};
    TextDecoder.Decoded d = TextDecoder.decode(b, 0, b.length, StandardCharsets.US_ASCII);
    assertFalse(d.ok());
    assertNull(d.text());
    assertTrue(d.error().contains("US-ASCII"), d.error());
  }

  @Test
  void binaryContentIsRefused() {
    assertFalse(decode(new byte[] {'a', 0, 'b'}).ok(), "NUL byte");
    // 2 ESC in 12 chars = 0.167 > 0.1
    assertFalse(decode("abcde\u001Bfghi\u001Bj".getBytes(StandardCharsets.UTF_8)).ok());
    // 1 ESC in 12 chars = 0.083 <= 0.1
    assertTrue(decode("abcdef\u001Bghijk".getBytes(StandardCharsets.UTF_8)).ok());
    // tab, LF, CR and FF are text
    assertTrue(decode("\t\n\r\f\t\n\r\fab".getBytes(StandardCharsets.UTF_8)).ok());
  }
}
