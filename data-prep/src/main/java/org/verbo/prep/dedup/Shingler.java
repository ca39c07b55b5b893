package org.verbo.prep.dedup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Word n-gram shingles of a text, as sorted distinct 32-bit hashes (Broder, "On the resemblance and
 * containment of documents", 1997: a document is the set of its contiguous word sequences).
 *
 * <p>Rules, fixed because signatures computed on different machines and days must agree:
 *
 * <ol>
 *   <li>The text is lower-cased with {@link Locale#ROOT} (never the JVM's default locale).
 *   <li>A word is a maximal run of Unicode letters or decimal digits ({@link
 *       Character#isLetterOrDigit(int)}); combining marks (categories Mn, Mc, Me) continue a word
 *       but never start one, so a decomposed "e&#x301;" stays inside its word. Everything else
 *       (spaces, punctuation, symbols) separates words. Callers are expected to pass NFC text (the
 *       prepare pipeline normalises before dedup): a precomposed "é" and a decomposed "e&#x301;" are
 *       different bytes and hence different shingles.
 *   <li>An n-gram is its {@code n} consecutive words joined by one ASCII space.
 *   <li>Its hash is MurmurHash3_x86_32 with seed 0 of the n-gram's UTF-8 bytes (Austin Appleby,
 *       SMHasher, {@code MurmurHash3.cpp}; written out in {@link #hash(byte[], int, int)}, and tested
 *       against Apache Commons Codec's {@code MurmurHash3.hash32x86}, which matches the reference —
 *       unlike its deprecated {@code hash32}).
 *   <li>A text with at least one but fewer than {@code n} words yields one shingle: all its words
 *       joined as above. A text without words yields an empty array.
 * </ol>
 */
public final class Shingler {

  private Shingler() {}

  /**
   * Sorted (signed ascending) distinct MurmurHash3_x86_32 hashes of the word {@code n}-grams of
   * {@code text}; see the class comment for the exact rules.
   *
   * @throws IllegalArgumentException if {@code n < 1}
   * @throws NullPointerException if {@code text} is null
   */
  public static int[] shingles(String text, int n) {
    return sortedDistinct(ngramHashes(text, n));
  }

  /**
   * The hashes of {@link #shingles} before sorting and removing repeats: one per word {@code n}-gram, in text order
   * (or the one hash of a text with fewer than {@code n} words; empty without words). What MinHash needs: the
   * minimum over a multiset is the minimum over its set, so signatures of these equal those of {@link #shingles},
   * without a sort per document (a fifth of the shingling time).
   *
   * @throws IllegalArgumentException if {@code n < 1}
   * @throws NullPointerException if {@code text} is null
   */
  public static int[] ngramHashes(String text, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("shingle size n must be >= 1, got " + n);
    }
    return hashes(Words.of(text), n);
  }

  /**
   * {@link #ngramHashes(String, int)} of the text whose UTF-8 bytes are {@code utf8[off, off + len)}, read as they
   * are: the prepare job's texts are cached as UTF-8, and decoding each to a {@code String} first was a third of
   * the signature stage. Malformed UTF-8 gives what the {@code String} the JDK decodes from it gives.
   *
   * @throws IllegalArgumentException if {@code n < 1}
   */
  public static int[] ngramHashes(byte[] utf8, int off, int len, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("shingle size n must be >= 1, got " + n);
    }
    java.util.Objects.checkFromIndexSize(off, len, utf8.length);
    return hashes(Words.of(utf8, off, len), n);
  }

  private static int[] hashes(Words w, int n) {
    if (w.count == 0) {
      return new int[0];
    }
    // The words sit in w.utf8 separated by exactly one space, so an n-gram "w_i ... w_{i+k-1}" is
    // the contiguous byte range [start[i], end[i+k-1]) and is hashed in place.
    int k = Math.min(n, w.count);
    int count = w.count - k + 1;
    int[] hashes = new int[count];
    for (int i = 0; i < count; i++) {
      int from = w.start[i];
      hashes[i] = hash(w.utf8, from, w.end[i + k - 1] - from);
    }
    return hashes;
  }

  /** The words of {@code text} under the class rules, lower-cased, as strings (for tests and tools). */
  public static List<String> wordList(String text) {
    Words w = Words.of(text);
    List<String> out = new ArrayList<>(w.count);
    for (int i = 0; i < w.count; i++) {
      out.add(new String(w.utf8, w.start[i], w.end[i] - w.start[i], StandardCharsets.UTF_8));
    }
    return out;
  }

  /** MurmurHash3_x86_32, seed 0, of {@code len} bytes of {@code data} from {@code off}. */
  static int hash(byte[] data, int off, int len) {
    // MurmurHash3_x86_32 as in SMHasher's MurmurHash3.cpp. Written out here because Commons Codec's hash32x86
    // assembles each 4-byte block from four byte loads, and hashing was half of the shingling time; one
    // little-endian int read per block gives the same values (ShinglerParityTest compares with Commons Codec).
    int h = 0; // seed 0
    int end = off + (len & ~3);
    for (int i = off; i < end; i += 4) {
      h ^= mixK((int) INT_LE.get(data, i));
      h = Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
    }
    int k = 0;
    switch (len & 3) {
      case 3:
        k ^= (data[end + 2] & 0xff) << 16;
        // fall through
      case 2:
        k ^= (data[end + 1] & 0xff) << 8;
        // fall through
      case 1:
        k ^= data[end] & 0xff;
        h ^= mixK(k);
        break;
      default:
        break;
    }
    h ^= len;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  private static int mixK(int k) {
    k *= 0xcc9e2d51;
    k = Integer.rotateLeft(k, 15);
    return k * 0x1b873593;
  }

  private static final java.lang.invoke.VarHandle INT_LE =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

  /** MurmurHash3_x86_32, seed 0, of the UTF-8 bytes of {@code s}: the hash of one shingle string. */
  public static int hash(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return hash(b, 0, b.length);
  }

  /**
   * Exact Jaccard similarity |A ∩ B| / |A ∪ B| of two sets given as sorted distinct arrays (as
   * returned by {@link #shingles}). Two empty sets are equal sets, so their similarity is 1.
   */
  public static double jaccard(int[] sortedA, int[] sortedB) {
    int i = 0;
    int j = 0;
    int inter = 0;
    while (i < sortedA.length && j < sortedB.length) {
      int c = Integer.compare(sortedA[i], sortedB[j]);
      if (c == 0) {
        inter++;
        i++;
        j++;
      } else if (c < 0) {
        i++;
      } else {
        j++;
      }
    }
    int union = sortedA.length + sortedB.length - inter;
    return union == 0 ? 1.0 : (double) inter / union;
  }

  /**
   * The lower-cased words of a text as UTF-8, joined by single spaces in one buffer, with the byte
   * range {@code [start[i], end[i])} of word {@code i}. One per thread, reused by every text: a new one per text
   * (and its growing arrays) was a tenth of the shingling time.
   *
   * <p>The rules lower-case the whole text first; here each code point is lower-cased as it is read, which is the
   * same except where {@link String#toLowerCase(Locale)} looks at more than one character: only for U+03A3 (final
   * sigma depends on its neighbours) and U+0130 (becomes two code points) under {@link Locale#ROOT} ({@code
   * ConditionalSpecialCasing}). A text with either is lower-cased whole first, as the rules say. ASCII, most of
   * the text, is classified and lower-cased by a table. The reference twin is the tests' {@code
   * ReferenceShingler} (the literal rules); {@code ShinglerParityTest} compares the two.
   */
  private static final class Words {
    private static final ThreadLocal<Words> LOCAL = ThreadLocal.withInitial(Words::new);
    /** Buffer bytes a thread keeps between texts; a longer text's buffers are dropped after it. */
    private static final int RETAINED_BYTES = 1 << 20;
    /** ASCII_WORD[c]: c lower-cased when c is a letter or digit, else 0. */
    private static final byte[] ASCII_WORD = new byte[128];

    static {
      for (char c = '0'; c <= '9'; c++) {
        ASCII_WORD[c] = (byte) c;
      }
      for (char c = 'a'; c <= 'z'; c++) {
        ASCII_WORD[c] = (byte) c;
        ASCII_WORD[c - 'a' + 'A'] = (byte) c;
      }
    }

    byte[] utf8 = new byte[256];
    int[] start = new int[64];
    int[] end = new int[64];
    int count;
    int len;

    static Words of(String text) {
      Words w = LOCAL.get();
      if (w.utf8.length > RETAINED_BYTES) {
        w = new Words();
        LOCAL.set(w);
      }
      w.fill(text);
      return w;
    }

    static Words of(byte[] utf8, int off, int len) {
      Words w = LOCAL.get();
      if (w.utf8.length > RETAINED_BYTES) {
        w = new Words();
        LOCAL.set(w);
      }
      if (!w.fill(utf8, off, len)) {
        w.fill(new String(utf8, off, len, StandardCharsets.UTF_8));
      }
      return w;
    }

    /**
     * {@link #fill(String)} from UTF-8 bytes: the same words, code point by code point, as the decoded text gives.
     * False, with nothing decided, when the bytes are malformed or hold U+03A3 or U+0130 (whose lower case needs
     * the whole text): the caller then decodes them to a {@code String}.
     */
    private boolean fill(byte[] b, int off, int n) {
      count = 0;
      len = 0;
      // Lower-casing a code point can lengthen its UTF-8 by half at most (U+023A, 2 bytes, becomes U+2C65, 3), and
      // a joining space follows a separator that gave no byte.
      if (utf8.length < 2 * n + 4) {
        utf8 = new byte[2 * n + 4];
      }
      boolean inWord = false;
      int i = off;
      int end = off + n;
      while (i < end) {
        int c = b[i];
        if (c >= 0) {
          inWord = ascii(c, inWord);
          i++;
          continue;
        }
        // A multi-byte sequence, strictly as the JDK's decoder reads it (the ranges of Unicode table 3-7);
        // anything else goes back to the decoded String, whose replacement characters are the rule.
        int lead = c & 0xFF;
        int cp;
        int size;
        if (lead >= 0xC2 && lead <= 0xDF && i + 1 < end && isContinuation(b[i + 1])) {
          cp = ((lead & 0x1F) << 6) | (b[i + 1] & 0x3F);
          size = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF && i + 2 < end && isContinuation(b[i + 1])
            && isContinuation(b[i + 2])) {
          cp = ((lead & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F);
          if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false; // overlong or a surrogate
          }
          size = 3;
        } else if (lead >= 0xF0 && lead <= 0xF4 && i + 3 < end && isContinuation(b[i + 1])
            && isContinuation(b[i + 2]) && isContinuation(b[i + 3])) {
          cp = ((lead & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F);
          if (cp < 0x10000 || cp > 0x10FFFF) {
            return false; // overlong or beyond Unicode
          }
          size = 4;
        } else {
          return false;
        }
        if (cp == 0x03A3 || cp == 0x0130) {
          return false;
        }
        inWord = codePoint(Character.toLowerCase(cp), inWord);
        i += size;
      }
      if (inWord) {
        endWord();
      }
      return true;
    }

    private static boolean isContinuation(byte b) {
      return (b & 0xC0) == 0x80;
    }

    private void fill(String text) {
      count = 0;
      len = 0;
      // See the class comment: the two code points String.toLowerCase treats by context.
      boolean whole = text.indexOf('\u03A3') >= 0 || text.indexOf('\u0130') >= 0;
      String s = whole ? text.toLowerCase(Locale.ROOT) : text;
      int n = s.length();
      // At most 4 UTF-8 bytes per char: a char gives at most one code point's bytes (a surrogate pair 4 for its
      // two chars), and a joining space follows a char that gave none. Sized once, no check per byte.
      if (utf8.length < 4 * n) {
        utf8 = new byte[4 * n];
      }
      boolean inWord = false;
      int i = 0;
      while (i < n) {
        char c = s.charAt(i);
        if (c < 0x80) {
          inWord = ascii(c, inWord);
          i++;
          continue;
        }
        int cp = s.codePointAt(i);
        inWord = codePoint(whole ? cp : Character.toLowerCase(cp), inWord);
        i += Character.charCount(cp);
      }
      if (inWord) {
        endWord();
      }
    }

    /** One ASCII char of the scan: continues or starts a word when a letter or digit, else ends one; in a word after. */
    private boolean ascii(int c, boolean inWord) {
      byte lower = ASCII_WORD[c];
      if (lower != 0) {
        if (!inWord) {
          beginWord();
        }
        utf8[len++] = lower;
        return true;
      }
      if (inWord) {
        endWord();
      }
      return false;
    }

    /**
     * One lower-cased code point of the scan: a letter or digit continues or starts a word, a mark continues one,
     * anything else ends one; in a word after.
     */
    private boolean codePoint(int lower, boolean inWord) {
      if (Character.isLetterOrDigit(lower) || (inWord && isMark(lower))) {
        if (!inWord) {
          beginWord();
        }
        append(lower);
        return true;
      }
      if (inWord) {
        endWord();
      }
      return false;
    }

    private void beginWord() {
      if (count == start.length) {
        start = Arrays.copyOf(start, count * 2);
        end = Arrays.copyOf(end, count * 2);
      }
      if (count > 0) {
        utf8[len++] = ' ';
      }
      start[count] = len;
    }

    private void endWord() {
      end[count++] = len;
    }

    /** Appends the UTF-8 encoding of a code point (never a lone surrogate: those are not letters). */
    private void append(int cp) {
      if (cp < 0x80) {
        utf8[len++] = (byte) cp;
      } else if (cp < 0x800) {
        utf8[len++] = (byte) (0xC0 | (cp >> 6));
        utf8[len++] = (byte) (0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        utf8[len++] = (byte) (0xE0 | (cp >> 12));
        utf8[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        utf8[len++] = (byte) (0x80 | (cp & 0x3F));
      } else {
        utf8[len++] = (byte) (0xF0 | (cp >> 18));
        utf8[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        utf8[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        utf8[len++] = (byte) (0x80 | (cp & 0x3F));
      }
    }

  }

  private static boolean isMark(int cp) {
    int t = Character.getType(cp);
    return t == Character.NON_SPACING_MARK
        || t == Character.COMBINING_SPACING_MARK
        || t == Character.ENCLOSING_MARK;
  }

  private static int[] sortedDistinct(int[] a) {
    Arrays.sort(a);
    int n = 0;
    for (int i = 0; i < a.length; i++) {
      if (n == 0 || a[i] != a[n - 1]) {
        a[n++] = a[i];
      }
    }
    return n == a.length ? a : Arrays.copyOf(a, n);
  }
}
