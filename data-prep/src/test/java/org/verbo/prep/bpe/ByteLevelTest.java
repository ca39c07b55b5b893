package org.verbo.prep.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelTest {

    @Test
    void allBytesRoundTripThroughDistinctChars() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        String s = ByteLevel.encode(all);
        assertEquals(256, s.length());
        Set<Character> distinct = new HashSet<>();
        for (char c : s.toCharArray()) {
            distinct.add(c);
            assertTrue(c <= 0x143, "every symbol is <= U+0143");
            assertTrue(!Character.isWhitespace(c) && !Character.isISOControl(c), "printable: " + (int) c);
        }
        assertEquals(256, distinct.size());
        assertArrayEquals(all, ByteLevel.decode(s));
    }

    @Test
    void matchesGpt2BytesToUnicodeGoldenValues() {
        // Values from GPT-2's encoder.py bytes_to_unicode: printable Latin-1 maps to itself, the
        // other 68 bytes to U+0100.. in byte order (0x00..0x20 -> U+0100..U+0120, 0x7F -> U+0121,
        // 0x80..0xA0 -> U+0122..U+0142, 0xAD -> U+0143).
        assertEquals('\u0120', ByteLevel.charOf(' ')); // 'Ġ'
        assertEquals('\u010A', ByteLevel.charOf('\n')); // 'Ċ'
        assertEquals('\u0109', ByteLevel.charOf('\t')); // 'ĉ'
        assertEquals('\u010D', ByteLevel.charOf('\r')); // 'č'
        assertEquals('\u0100', ByteLevel.charOf(0)); // 'Ā'
        assertEquals('\u0121', ByteLevel.charOf(0x7F)); // 'ġ'
        assertEquals('\u0122', ByteLevel.charOf(0x80)); // 'Ģ'
        assertEquals('\u0143', ByteLevel.charOf(0xAD)); // 'Ń'
        assertEquals('A', ByteLevel.charOf('A'));
        assertEquals('ÿ', ByteLevel.charOf(0xFF));
        // "’" is E2 80 99, famous in GPT-2 vocabularies as "âĢĻ"; "é" is C3 A9 -> "Ã©".
        assertEquals("âĢĻ", ByteLevel.encodeText("’"));
        assertEquals("Ã©", ByteLevel.encodeText("é"));
        assertEquals("ĠhelloĊ", ByteLevel.encodeText(" hello\n"));
    }

    @Test
    void decodeRejectsNonSymbols() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteLevel.decode("a b"));
        assertTrue(e.getMessage().contains("U+0020"), e.getMessage());
        assertEquals(-1, ByteLevel.byteOf('€'));
    }

    @Test
    void textRoundTrip() {
        String text = "ação 👩‍💻 🇧🇷\r\n\t1234567";
        assertEquals(text, new String(ByteLevel.decode(ByteLevel.encodeText(text)), StandardCharsets.UTF_8));
    }
}
