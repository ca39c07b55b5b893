package org.verbo.prep.text;

import java.nio.CharBuffer;
import java.text.Normalizer;

/**
 * Canonical form of every document verbo keeps: the same text always normalises to the same string,
 * and {@code normalize(normalize(s)).equals(normalize(s))} (idempotent), so exact dedup and the
 * quality filters see one spelling of whitespace and composed characters.
 *
 * <p>Rules, in order:
 * <ol>
 *   <li>Line breaks: {@code "\r\n"}, {@code "\r"} and U+0085 (NEL), U+2028 (LINE SEPARATOR) become
 *       {@code "\n"}; U+2029 (PARAGRAPH SEPARATOR) becomes {@code "\n\n"}.
 *   <li>Whitespace: {@code '\t'} and every other whitespace or space separator (U+000B, U+000C,
 *       U+00A0 no-break space, U+2007, U+202F, ...) becomes one ASCII space.
 *   <li>Invisible characters: the remaining control characters (category Cc, e.g. U+0000, U+001B,
 *       U+007F, C1 controls), format characters (Cf, e.g. U+200B zero-width space, U+FEFF BOM,
 *       U+00AD soft hyphen, U+2060) and lone surrogates are removed. Kept on purpose: U+200C/U+200D
 *       (ZWNJ/ZWJ), which change the rendering of Persian/Indic words and emoji sequences.
 *   <li>Unicode NFC, so {@code "a\u0301"} and {@code "á"} are the same string.
 *   <li>Within a line, runs of spaces collapse to one space, and each line is trimmed.
 *   <li>Blank lines: a run of one or more blank lines between two text lines becomes exactly one
 *       paragraph break {@code "\n\n"}; single {@code "\n"} are kept; the result is trimmed.
 * </ol>
 *
 * <p>Examples:
 * <pre>
 *   "  Olá,\t\tmundo!  "              → "Olá, mundo!"
 *   "linha 1\r\nlinha 2"              → "linha 1\nlinha 2"
 *   "par 1\n \n\n\npar 2"             → "par 1\n\npar 2"
 *   "ze\u200Bro\u00A0largura"          → "zero largura"
 *   "acc\u0327a\u0303o" (decomposed)   → "ação" (composed, 4 code points)
 * </pre>
 */
public final class TextNormalizer {

  /** Every text of chars below this (U+0300, the first combining mark) is in NFC. */
  static final char NFC_TRIVIAL_BELOW = '\u0300';

  private TextNormalizer() {}

  /**
   * Normalises {@code s} following the rules of the class comment.
   *
   * @param s any text, not null
   * @return the normalised text; empty when {@code s} holds nothing visible
   */
  public static String normalize(String s) {
    // Most texts reach here already normalised (HTML pages come out of the extractor normalised, and prepare
    // normalises again for every format): one read-only scan proves it and spares the three copying passes.
    if (s.isEmpty() || isNormalized(s)) {
      return s;
    }
    return normalizeInArrays(s);
  }

  /**
   * The three passes of {@link #normalizeFully} (the reference twin) on {@code char[]} buffers instead of
   * {@code StringBuilder}s: appending char by char to a builder (capacity and Latin-1/UTF-16 checks per char)
   * was most of the HTML extractor's normalising. Printable ASCII is copied without the code point tests,
   * and NFC is skipped for text below U+0300 (see {@link #NFC_TRIVIAL_BELOW}). TextNormalizerArraysTest
   * compares the two on random texts.
   */
  static String normalizeInArrays(String s) {
    int n = s.length();
    // Pass 1: line breaks, whitespace and invisible characters. U+2029 becomes two chars: at most 2n.
    char[] cleaned = new char[2 * n];
    int len = 0;
    boolean belowCombiningMarks = true;
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if ((c >= 0x20 && c < 0x7F) || isLatin1Printable(c)) {
        cleaned[len++] = c; // printable ASCII or Latin-1, and the space: kept (space is its own replacement)
        i++;
        continue;
      }
      int cp = Character.isHighSurrogate(c) ? s.codePointAt(i) : c;
      i += Character.charCount(cp);
      if (cp == '\n') {
        cleaned[len++] = '\n';
      } else if (cp == '\r') {
        cleaned[len++] = '\n';
        if (i < n && s.charAt(i) == '\n') {
          i++; // "\r\n" is one break
        }
      } else if (cp == 0x0085 || cp == 0x2028) {
        cleaned[len++] = '\n';
      } else if (cp == 0x2029) {
        cleaned[len++] = '\n';
        cleaned[len++] = '\n';
      } else if (cp == '\t' || Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
        cleaned[len++] = ' ';
      } else if (isInvisible(cp)) {
        // dropped
      } else {
        len += Character.toChars(cp, cleaned, len);
        belowCombiningMarks &= cp < NFC_TRIVIAL_BELOW;
      }
    }
    // Pass 2: NFC after removal (see normalizeFully).
    char[] composed = cleaned;
    if (!belowCombiningMarks) {
      composed = Normalizer.normalize(CharBuffer.wrap(cleaned, 0, len), Normalizer.Form.NFC).toCharArray();
      len = composed.length;
    }
    // Pass 3: per-line space collapsing, trimming, paragraph breaks; the output is never longer.
    char[] out = new char[len];
    int o = 0;
    boolean pendingBlank = false;
    int start = 0;
    while (start <= len) {
      int end = start;
      while (end < len && composed[end] != '\n') {
        end++;
      }
      int lineStartInOut = -1;
      boolean space = false;
      for (int k = start; k < end; k++) {
        char c = composed[k];
        if (c == ' ') {
          space = true;
          continue;
        }
        if (lineStartInOut < 0) {
          if (o > 0) {
            // The separator from the previous text line; it fits: every char it stands for was in the input.
            out[o++] = '\n';
            if (pendingBlank) {
              out[o++] = '\n';
            }
          }
          pendingBlank = false;
          lineStartInOut = o;
        } else if (space) {
          out[o++] = ' ';
        }
        space = false;
        out[o++] = c;
      }
      if (lineStartInOut < 0 && o > 0) {
        pendingBlank = true;
      }
      start = end + 1;
    }
    return new String(out, 0, o);
  }

  /**
   * True when {@code s} is a fixed point of the rules: nothing that pass 1 maps or removes, NFC, and the
   * shape pass 3 produces (no space or line break at either end, no two spaces, no space beside a line
   * break, at most two line breaks in a row). Then all three passes return their input unchanged.
   */
  static boolean isNormalized(String s) {
    int n = s.length();
    char first = s.charAt(0);
    char last = s.charAt(n - 1);
    if (first == ' ' || first == '\n' || last == ' ' || last == '\n') {
      return false;
    }
    char prev = 0;
    char prev2 = 0;
    // Below U+0300 every code point has NFC_Quick_Check=Yes and combining class 0, so a text of such chars is
    // NFC by the quick check of UAX #15 section 9 (Latin-1 Portuguese, say) and needs no Normalizer call,
    // which allocates a buffer per call. NfcRangeTest checks every pair below U+0300 against the Normalizer.
    boolean belowCombiningMarks = true;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == ' ') {
        if (prev == ' ' || prev == '\n') {
          return false;
        }
      } else if (c == '\n') {
        if (prev == ' ' || (prev == '\n' && prev2 == '\n')) {
          return false;
        }
      } else if ((c >= 0x21 && c < 0x7F) || isLatin1Printable(c)) {
        // printable ASCII or Latin-1: kept as is, and NFC-stable
      } else {
        belowCombiningMarks &= c < NFC_TRIVIAL_BELOW;
        int cp = Character.isHighSurrogate(c) ? s.codePointAt(i) : c;
        if (cp == 0x0085 || cp == 0x2028 || cp == 0x2029 || Character.isWhitespace(cp) || Character.isSpaceChar(cp)
            || isInvisible(cp)) {
          return false;
        }
        if (Character.charCount(cp) == 2) {
          i++;
          c = s.charAt(i);
        }
      }
      prev2 = prev;
      prev = c;
    }
    return belowCombiningMarks || Normalizer.isNormalized(s, Normalizer.Form.NFC);
  }

  /** The three passes of the class comment; the reference the fast check in {@link #normalize} must agree with. */
  static String normalizeFully(String s) {
    // Pass 1: line breaks, whitespace and invisible characters, one code point at a time.
    StringBuilder cleaned = new StringBuilder(s.length());
    int i = 0;
    int n = s.length();
    while (i < n) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == '\n') {
        cleaned.append('\n');
      } else if (cp == '\r') {
        cleaned.append('\n');
        if (i < n && s.charAt(i) == '\n') {
          i++; // "\r\n" is one break
        }
      } else if (cp == 0x0085 || cp == 0x2028) {
        cleaned.append('\n');
      } else if (cp == 0x2029) {
        cleaned.append("\n\n");
      } else if (cp == '\t' || Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
        cleaned.append(' ');
      } else if (isInvisible(cp)) {
        // dropped
      } else {
        cleaned.appendCodePoint(cp);
      }
    }
    // Pass 2: NFC after removal, so a removed ZWSP between a base letter and its combining mark
    // still yields the composed character.
    String composed = Normalizer.normalize(cleaned, Normalizer.Form.NFC);

    // Pass 3: per-line space collapsing, trimming, paragraph breaks.
    StringBuilder out = new StringBuilder(composed.length());
    boolean pendingBlank = false;
    int start = 0;
    int len = composed.length();
    while (start <= len) {
      int end = composed.indexOf('\n', start);
      if (end < 0) {
        end = len;
      }
      int lineStartInOut = -1;
      boolean space = false;
      for (int k = start; k < end; k++) {
        char c = composed.charAt(k);
        if (c == ' ') {
          space = true;
          continue;
        }
        if (lineStartInOut < 0) {
          // First visible char of the line: emit the separator from the previous text line.
          if (out.length() > 0) {
            out.append(pendingBlank ? "\n\n" : "\n");
          }
          pendingBlank = false;
          lineStartInOut = out.length();
        } else if (space) {
          out.append(' ');
        }
        space = false;
        out.append(c);
      }
      if (lineStartInOut < 0 && out.length() > 0) {
        pendingBlank = true; // blank line after some text
      }
      start = end + 1;
    }
    return out.toString();
  }

  /**
   * U+00A1..U+00FF except U+00AD (soft hyphen, Cf): the Latin-1 letters and signs, none of them whitespace, a
   * space separator or invisible, so pass 1 keeps them and the per-code-point tests can be skipped.
   * NfcRangeTest checks the range against those tests.
   */
  static boolean isLatin1Printable(char c) {
    return c >= 0xA1 && c <= 0xFF && c != 0xAD;
  }

  /** Cc (except the whitespace handled before), Cf (except ZWNJ/ZWJ) and lone surrogates. */
  static boolean isInvisible(int cp) {
    int type = Character.getType(cp);
    if (type == Character.CONTROL || type == Character.SURROGATE) {
      return true;
    }
    return type == Character.FORMAT && cp != 0x200C && cp != 0x200D;
  }
}
