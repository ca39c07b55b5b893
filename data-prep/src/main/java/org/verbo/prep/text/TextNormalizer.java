package org.verbo.prep.text;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
        if (isMappedOrRemoved(cp)) {
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

  /**
   * True when pass 1 maps or removes {@code cp}, for a code point other than printable ASCII, the space and the line
   * feed: a line break, whitespace or space separator, or an invisible character.
   */
  static boolean isMappedOrRemoved(int cp) {
    return cp == 0x0085 || cp == 0x2028 || cp == 0x2029 || Character.isWhitespace(cp) || Character.isSpaceChar(cp)
        || isInvisible(cp);
  }

  /**
   * The code points U+0080 and above that {@link #isNormalizedUtf8} takes as they are, as a bit set (bit {@code cp}
   * of word {@code cp >>> 6}): those pass 1 keeps ({@link #isMappedOrRemoved} is false) among the ones below U+0300
   * and the NFC-inert ranges U+200C..U+205E (General Punctuation: ZWNJ and ZWJ, dashes, quotes, ellipsis, bullets,
   * primes, the per mille sign) and U+20A0..U+20BF (currency signs, the euro among them). What pass 1 keeps of those
   * ranges has combining class 0 and NFC_Quick_Check=Yes (UnicodeData.txt, DerivedNormalizationProps.txt), so by the
   * quick check of UAX #15 section 9 a text of them and of chars below U+0300 is NFC, as a text below U+0300 alone
   * is (see {@link #isNormalized}); NfcRangeTest checks that against the JDK's Normalizer. Other code points from
   * U+0300 on are left to the String check, which calls the Normalizer.
   */
  private static final long[] KEPT_NFC_INERT = new long[0x20C0 >>> 6];

  static {
    for (int cp = 0x80; cp < 0x20C0; cp++) {
      boolean nfcInert = cp < NFC_TRIVIAL_BELOW || (cp >= 0x200C && cp <= 0x205E) || cp >= 0x20A0;
      if (nfcInert && !isMappedOrRemoved(cp)) {
        KEPT_NFC_INERT[cp >>> 6] |= 1L << cp;
      }
    }
  }

  /** True when {@link #isNormalizedUtf8} takes {@code cp} (U+0080 or above) as it is; package-private for tests. */
  static boolean isKeptAndNfcInert(int cp) {
    return cp < 0x20C0 && (KEPT_NFC_INERT[cp >>> 6] & (1L << cp)) != 0;
  }

  /** Little-endian longs over a byte array: byte k of the word is {@code b[i + k]}. */
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long LOW_BITS = 0x7F7F7F7F7F7F7F7FL;
  private static final long ONES = 0x0101010101010101L;
  private static final long SPACES = 0x2020202020202020L;
  private static final long LINE_FEEDS = 0x0A0A0A0A0A0A0A0AL;
  private static final long C3_LOW = 0x4343434343434343L; // the low 7 bits of the byte C3
  /** Bits 63 and 55 of {@code feeds} in {@link #isNormalizedUtf8}: the last two chars are line feeds. */
  private static final long LAST_TWO = 0x8080000000000000L;

  /**
   * {@link #isNormalized} on UTF-8 bytes, without decoding them: true only when {@code new String(b, from, to - from,
   * UTF_8)} is not empty and {@link #isNormalized} is true for it; then {@code b[from, to)} is also well-formed UTF-8
   * (only well-formed sequences are taken) without a control character other than the line feed. May answer false
   * for a normalised text (the caller then asks {@link #normalize}): one with a code point from U+0300 on outside the
   * NFC-inert punctuation and currency signs (see {@link #KEPT_NFC_INERT}), whose NFC check needs the JDK's
   * Normalizer on the decoded String, or with bytes that are not UTF-8.
   *
   * <p>Hand-written because it runs on every document prepare reads and the JDK has no byte-level scan for these
   * rules: the String scan it spares ({@link #isNormalized}, charAt and several branches per char) was 4.5% of
   * prepare's executor CPU on 1 GB of text. The bytes are read 8 at a time as a little-endian long (byte k of the
   * word is {@code b[i + k]}), with per-byte tests that are exact because they add to the low 7 bits of each byte
   * only, so that no sum carries into the next byte: a mask of the spaces, one of the line feeds, one of the other
   * controls, and the pair rules (no two spaces, no space beside a line feed, no third line feed in a row) as those
   * masks shifted by one or two bytes, the first bytes of a word seeing the last chars before it. A word's non-ASCII
   * bytes pass when they are Latin-1 letters U+00C0..U+00FF (C3 80..C3 BF: every non-ASCII letter of Portuguese,
   * all kept by pass 1 and NFC); other bytes go one code point at a time through the same per-code-point test as
   * {@link #isNormalized} ({@link #isMappedOrRemoved}, tabulated in {@link #KEPT_NFC_INERT}). TextNormalizerUtf8Test
   * compares it with {@link #isNormalized} on seeded random bytes.
   */
  static boolean isNormalizedUtf8(byte[] b, int from, int to) {
    // The last chars read, in the layout of a word's masks (the high bit of each byte): bit 63 of whites is set when
    // the last char is a space or a line feed, bit 63 of feeds when it is a line feed, and bit 55 of feeds (read
    // with bit 63 only) when the char before it is a line feed too. A white char before the start forbids a leading
    // space or line feed (and an empty text, which isNormalized does not take).
    long whites = Long.MIN_VALUE;
    long feeds = 0;
    long pendingLead = 0; // bit 7: the last word ended with a C3 lead, whose continuation starts this word
    int i = from;
    while (true) {
      for (; i + 8 <= to; i += 8) {
        long w = (long) LONGS.get(b, i);
        long high = w & HIGH_BITS; // the non-ASCII bytes
        long ascii = high ^ HIGH_BITS;
        long low = w ^ high;
        // y + 0x7F reaches 0x80 iff y != 0; x + 0x5F stays below 0x80 iff x < 0x21; x + 1 reaches 0x80 iff x == 0x7F.
        long spaces = ~((low ^ SPACES) + LOW_BITS) & ascii;
        long lf = ~((low ^ LINE_FEEDS) + LOW_BITS) & ascii;
        long belowBang = (~(low + 0x5F5F5F5F5F5F5F5FL) | (low + ONES)) & ascii; // controls, space, DEL
        long white = spaces | lf;
        long twoFeeds = lf & ((lf << 8) | (feeds >>> 56)); // byte k: chars k - 1 and k are line feeds
        // A non-ASCII byte belongs to a char from U+0080 on (or the bytes are not UTF-8, and false is right), neither
        // a space nor a line feed, so what these find is in the text whatever the other bytes of the word are.
        long bad = (belowBang ^ white) // \t \r \f NUL DEL ...: mapped or removed
            | ((white & ((white << 8) | (whites >>> 56))) ^ twoFeeds) // two white chars other than two line feeds
            | (twoFeeds & ((lf << 16) | (feeds >>> 48))); // a third line feed in a row
        long lead = ~((low ^ C3_LOW) + LOW_BITS) & high;
        long continuation = high & ~(w << 1); // 10xxxxxx
        // Non-ASCII bytes other than C3 leads, each followed by a continuation byte (the last one's in the next word).
        long other = (continuation ^ ((lead << 8) | pendingLead)) | (high ^ (lead | continuation));
        if ((bad | other) != 0) {
          if (bad != 0) {
            return false;
          }
          if (pendingLead == 0) {
            i += Long.numberOfTrailingZeros(high) >>> 3; // the first non-ASCII byte goes the way below
          }
          break;
        }
        whites = white;
        feeds = lf;
        pendingLead = lead >>> 56;
      }
      if (pendingLead != 0) {
        i--; // back to the lead whose letter the next word would have started with
        pendingLead = 0;
      }
      if (i >= to) {
        break;
      }
      // One code point: a non-ASCII one the words above do not take, or one of the last 7 bytes. A code point from
      // U+0080 on is the last char then, and what came before it no longer matters, so whites and feeds may be stale.
      int c = b[i] & 0xFF;
      if (c == ' ') {
        if (whites < 0) {
          return false; // after a space or a line feed
        }
        whites = Long.MIN_VALUE;
        feeds = 0;
        i++;
        continue;
      }
      if (c == '\n') {
        if ((whites & ~feeds) < 0 || (feeds & LAST_TWO) == LAST_TWO) {
          return false; // after a space, or a third line feed
        }
        whites = Long.MIN_VALUE;
        feeds = (feeds >>> 8) | Long.MIN_VALUE; // bit 55: whether the char before was a line feed too
        i++;
        continue;
      }
      int cp;
      if (c < 0x80) {
        if (c < 0x21 || c == 0x7F) {
          return false; // a control other than \n
        }
        cp = c;
        i++;
      } else if (c >= 0xC2 && c <= 0xDF && i + 1 < to && (b[i + 1] & 0xC0) == 0x80) {
        cp = ((c & 0x1F) << 6) | (b[i + 1] & 0x3F); // U+0080..U+07FF
        i += 2;
      } else if (c == 0xE2 && i + 2 < to && (b[i + 1] & 0xC0) == 0x80 && (b[i + 2] & 0xC0) == 0x80) {
        cp = 0x2000 | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F); // U+2000..U+2FFF
        i += 3;
      } else {
        return false; // a code point this check leaves to the String one, or not UTF-8
      }
      if (cp >= 0x80 && !isKeptAndNfcInert(cp)) {
        return false;
      }
      whites = 0; // the last char is neither a space nor a line feed
      feeds = 0;
    }
    return whites >= 0; // the last char is neither a space nor a line feed
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
