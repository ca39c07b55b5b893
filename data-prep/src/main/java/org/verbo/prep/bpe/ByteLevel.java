package org.verbo.prep.bpe;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible byte → printable-character mapping ({@code bytes_to_unicode} in OpenAI's
 * {@code encoder.py}, {@code ByteLevel} in Hugging Face tokenizers).
 *
 * <p>Why: BPE works on strings, but byte-level BPE must be able to represent every byte. GPT-2 maps
 * each of the 256 byte values to one printable Unicode character so that no token contains
 * whitespace or control characters: the 188 printable Latin-1 bytes ({@code !}..{@code ~},
 * {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ}) map to themselves and the other 68 bytes map, in
 * ascending order, to U+0100, U+0101, … (so a space becomes {@code Ġ} U+0120 and a newline
 * {@code Ċ} U+010A). Every mapped character is in the BMP and ≤ U+0143.
 */
public final class ByteLevel {

    /** Number of symbols in the byte-level alphabet. */
    public static final int ALPHABET_SIZE = 256;

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by char code (≤ U+0143); -1 where the char is not a byte-level symbol. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** Maps every byte to its byte-level character; the result has one char per byte. */
    public static String encode(byte[] utf8) {
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        }
        return new String(out);
    }

    /** UTF-8 encodes {@code text}, then maps the bytes to byte-level characters. */
    public static String encodeText(String text) {
        return encode(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Inverse of {@link #encode(byte[])}.
     *
     * @throws IllegalArgumentException if a char is not one of the 256 byte-level symbols
     */
    public static byte[] decode(String byteLevel) {
        byte[] out = new byte[byteLevel.length()];
        for (int i = 0; i < out.length; i++) {
            int b = byteOf(byteLevel.charAt(i));
            if (b < 0) {
                throw new IllegalArgumentException(String.format(
                        "char U+%04X at index %d of \"%s\" is not a byte-level symbol",
                        (int) byteLevel.charAt(i), i, byteLevel));
            }
            out[i] = (byte) b;
        }
        return out;
    }

    /** The byte-level character of byte {@code b} (0..255, or a signed byte). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte (0..255) that {@code c} stands for, or -1 if {@code c} is not a byte-level symbol. */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Whether every char of {@code s} is a byte-level symbol. */
    public static boolean isByteLevel(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (byteOf(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The 256 byte-level symbols sorted by code point (the order HF's BpeTrainer gives them ids). */
    public static char[] alphabetSorted() {
        char[] a = BYTE_TO_CHAR.clone();
        java.util.Arrays.sort(a);
        return a;
    }
}
