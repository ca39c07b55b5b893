package org.verbo.prep.text;

import java.util.ArrayList;
import java.util.List;

/**
 * The word tokeniser of the quality filters: a small, language-neutral stand-in for the NLTK
 * {@code word_tokenize} that datatrove's Gopher and FineWeb filters call. Like NLTK it separates
 * punctuation from words, so "mundo!" is two tokens; unlike NLTK it needs no model and treats every
 * script the same way.
 *
 * <p>Rules:
 * <ul>
 *   <li>A <b>word token</b> is a maximal run of word characters: letters and digits of any script
 *       ({@link Character#isLetterOrDigit(int)}) and combining marks (categories Mn, Mc, Me), so
 *       "ação", "Ação" and a decomposed "ação" are each one word.
 *   <li>Inside a word, one apostrophe ({@code '} or {@code ’}) or hyphen ({@code -} or U+2010)
 *       between two word characters joins: "d'água", "guarda-chuva", "don't" are single words.
 *       A period or comma between two digits joins too: "3.14", "1.000,50".
 *   <li>A <b>symbol token</b> is a maximal run of other non-whitespace characters: ",", "...", "!?",
 *       "#", "—".
 *   <li>Whitespace separates tokens and is never part of one.
 * </ul>
 *
 * <p>Example: {@code "Olá, mundo... é o #1 d'água!"} → {@code [Olá, ",", mundo, "...", é, o, "#",
 * 1, d'água, "!"]}.
 */
public final class WordTokenizer {

  private WordTokenizer() {}

  /** Tokens of {@code text} in order, following the rules of the class comment. */
  public static List<String> tokenize(String text) {
    List<String> tokens = new ArrayList<>();
    int n = text.length();
    int i = 0;
    while (i < n) {
      int cp = text.codePointAt(i);
      if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
        i += Character.charCount(cp);
        continue;
      }
      int start = i;
      if (isWordChar(cp)) {
        i += Character.charCount(cp);
        int prev = cp;
        while (i < n) {
          int c = text.codePointAt(i);
          if (isWordChar(c)) {
            prev = c;
            i += Character.charCount(c);
            continue;
          }
          int next = i + Character.charCount(c) < n ? text.codePointAt(i + Character.charCount(c)) : -1;
          boolean joiner =
              ((c == '\'' || c == '\u2019' || c == '-' || c == '\u2010') && next >= 0 && isWordChar(next))
                  || ((c == '.' || c == ',') && Character.isDigit(prev) && next >= 0 && Character.isDigit(next));
          if (!joiner) {
            break;
          }
          i += Character.charCount(c);
          prev = c;
        }
      } else {
        i += Character.charCount(cp);
        while (i < n) {
          int c = text.codePointAt(i);
          if (isWordChar(c) || Character.isWhitespace(c) || Character.isSpaceChar(c)) {
            break;
          }
          i += Character.charCount(c);
        }
      }
      tokens.add(text.substring(start, i));
    }
    return tokens;
  }

  /**
   * The tokens of {@link #tokenize} as boundaries into {@code text}, without a {@code String} per token: token
   * {@code i} is {@code text.substring(start[i], end[i])}. The quality filters tokenise every document once
   * through this; {@link #tokenize} is its reference twin (WordTokenizerSpansTest: equal tokens on random
   * texts). Same rules; only the character tests take a shortcut for ASCII, where {@link
   * Character#isLetterOrDigit(int)} and friends reduce to ranges.
   */
  public static Spans spans(String text) {
    return spans(text.toCharArray());
  }

  /**
   * {@link #spans(String)} of the text whose chars are {@code text}: the scan reads an array, without {@link
   * String#charAt}'s index and coder checks per char (a tenth of the quality filters' time on prose).
   */
  public static Spans spans(char[] text) {
    Spans out = new Spans(Math.max(16, text.length / 5));
    int n = text.length;
    int i = 0;
    while (i < n) {
      char ch = text[i];
      int cp = Character.isSurrogate(ch) ? Character.codePointAt(text, i) : ch;
      if (isSpace(cp)) {
        i += Character.charCount(cp);
        continue;
      }
      int start = i;
      // Along the scan, per token, what the filters would otherwise read the chars again for: the String.hashCode
      // polynomial and the code points (the repetition filter's word table and character counts), and the hash of
      // the lower case, a letter or not, and whether every char has a one-char lower case (Gopher quality's
      // stop-word lookup and alphabetic ratio).
      int h = 0;
      int lh = 0;
      int flags = 0;
      int cps = 0;
      boolean word = isWordCharFast(cp);
      if (word) {
        flags |= WORD;
      }
      int prev = cp;
      while (true) {
        // the code point cp at i (one or two chars) joins the token
        if (cp < 0x80) {
          h = 31 * h + cp;
          lh = 31 * lh + lowerChar((char) cp);
          flags |= (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ? LETTER : 0;
          i++;
        } else {
          if ((flags & LETTER) == 0 && Character.isAlphabetic(cp)) {
            flags |= LETTER;
          }
          for (int k = Character.charCount(cp); k > 0; k--, i++) {
            char cc = text[i];
            int lower = lowerChar(cc);
            h = 31 * h + cc;
            lh = 31 * lh + lower;
            flags |= lower < 0 ? NOT_PLAIN : 0;
          }
        }
        cps++;
        if (i >= n) {
          break;
        }
        char cc = text[i];
        int c = Character.isSurrogate(cc) ? Character.codePointAt(text, i) : cc;
        if (word) {
          if (!isWordCharFast(c)) {
            boolean joiner = false;
            if (c == '\'' || c == '\u2019' || c == '-' || c == '\u2010' || c == '.' || c == ',') {
              int after = i + 1; // all six joiners are one char
              int next = after < n ? Character.codePointAt(text, after) : -1;
              joiner = (c == '.' || c == ',')
                  ? isDigitFast(prev) && next >= 0 && isDigitFast(next)
                  : next >= 0 && isWordCharFast(next);
            }
            if (!joiner) {
              break;
            }
          }
        } else if (isWordCharFast(c) || isSpace(c)) {
          break;
        }
        prev = c;
        cp = c;
      }
      out.add(start, i, h, cps, lh, flags);
    }
    return out;
  }

  /**
   * The char {@code String.toLowerCase(Locale.ROOT)} gives for {@code c} when it maps chars one to one there, else
   * -1: surrogates, U+0130 (two chars), U+03A3 (by context) and a lower case outside the BMP.
   */
  public static int lowerChar(char c) {
    if (c < 0x80) {
      return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
    if (Character.isSurrogate(c) || c == '\u0130' || c == '\u03A3') {
      return -1;
    }
    int lower = Character.toLowerCase((int) c);
    return lower > 0xFFFF ? -1 : lower;
  }

  /** {@link Spans#flags} bit: the token holds a word character ({@link #isWord}). */
  public static final int WORD = 1;
  /** {@link Spans#flags} bit: the token holds an alphabetic character ({@link #hasLetter}). */
  public static final int LETTER = 2;
  /** {@link Spans#flags} bit: a char of the token has {@link #lowerChar} -1, so {@link Spans#lowerHash} is void. */
  public static final int NOT_PLAIN = 4;

  /** Token boundaries of one text (see {@link #spans}): token {@code i} is {@code [start(i), end(i))}. */
  public static final class Spans {
    private int[] start;
    private int[] end;
    private int[] hash; // [count] String.hashCode of each token's chars; null for Spans.of
    private int[] codePoints; // [count] code points of each token; null for Spans.of
    private int[] lowerHash; // [count] hash of each token's lower case by lowerChar; null for Spans.of
    private int[] flags; // [count] WORD | LETTER | NOT_PLAIN; null for Spans.of
    private int count;

    Spans(int capacity) {
      start = new int[capacity];
      end = new int[capacity];
      hash = new int[capacity];
      codePoints = new int[capacity];
      lowerHash = new int[capacity];
      flags = new int[capacity];
    }

    /** Given boundaries (for tests and tools): token {@code i} is {@code [start[i], end[i])}. */
    public static Spans of(int[] start, int[] end) {
      if (start.length != end.length) {
        throw new IllegalArgumentException("start and end differ in length");
      }
      Spans s = new Spans(0);
      s.start = start.clone();
      s.end = end.clone();
      s.hash = null;
      s.codePoints = null;
      s.lowerHash = null;
      s.flags = null;
      s.count = start.length;
      return s;
    }

    /**
     * True when {@link #hash}, {@link #codePoints}, {@link #lowerHash} and {@link #flags} are known (spans from {@link
     * #spans}, not {@link #of}).
     */
    public boolean hasCounts() {
      return hash != null;
    }

    /** {@link String#hashCode} of token {@code i}'s chars (when {@link #hasCounts}). */
    public int hash(int i) {
      return hash[i];
    }

    /** Code points of token {@code i} (when {@link #hasCounts}). */
    public int codePoints(int i) {
      return codePoints[i];
    }

    /**
     * {@code h = 31 * h + lowerChar(c)} over token {@code i}'s chars: the {@link String#hashCode} of its lower case
     * under {@link java.util.Locale#ROOT} unless {@link #flags} has {@link #NOT_PLAIN} (when {@link #hasCounts}).
     */
    public int lowerHash(int i) {
      return lowerHash[i];
    }

    /** {@link #WORD}, {@link #LETTER} and {@link #NOT_PLAIN} of token {@code i} (when {@link #hasCounts}). */
    public int flags(int i) {
      return flags[i];
    }

    /** Number of tokens. */
    public int count() {
      return count;
    }

    /** Start (inclusive, a char index) of token {@code i}. */
    public int start(int i) {
      return start[i];
    }

    /** End (exclusive) of token {@code i}. */
    public int end(int i) {
      return end[i];
    }

    void add(int s, int e, int h, int cps, int lh, int f) {
      if (count == start.length) {
        int cap = Math.max(16, count * 2);
        start = java.util.Arrays.copyOf(start, cap);
        end = java.util.Arrays.copyOf(end, cap);
        hash = java.util.Arrays.copyOf(hash, cap);
        codePoints = java.util.Arrays.copyOf(codePoints, cap);
        lowerHash = java.util.Arrays.copyOf(lowerHash, cap);
        flags = java.util.Arrays.copyOf(flags, cap);
      }
      start[count] = s;
      hash[count] = h;
      codePoints[count] = cps;
      lowerHash[count] = lh;
      flags[count] = f;
      end[count++] = e;
    }
  }

  /** {@code Character.isWhitespace(cp) || Character.isSpaceChar(cp)}, the separator test of the rules. */
  private static boolean isSpace(int cp) {
    if (cp < 0x80) {
      // ASCII whitespace: \t \n \u000B \f \r, the separators U+001C..U+001F, and the space.
      return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
    }
    return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
  }

  /** {@link #isWordChar}; ASCII word characters are exactly [0-9A-Za-z] (no ASCII mark exists). */
  private static boolean isWordCharFast(int cp) {
    if (cp < 0x80) {
      return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    }
    return isWordChar(cp);
  }

  /** {@link Character#isDigit(int)}; ASCII digits are [0-9]. */
  private static boolean isDigitFast(int cp) {
    return cp < 0x80 ? cp >= '0' && cp <= '9' : Character.isDigit(cp);
  }

  /** True for a token that holds at least one word character (letter, digit or mark). */
  public static boolean isWord(String token) {
    for (int i = 0; i < token.length(); ) {
      int cp = token.codePointAt(i);
      if (isWordChar(cp)) {
        return true;
      }
      i += Character.charCount(cp);
    }
    return false;
  }

  /** True for a token with at least one alphabetic character (Gopher's "contains a letter"). */
  public static boolean hasLetter(String token) {
    for (int i = 0; i < token.length(); ) {
      int cp = token.codePointAt(i);
      if (Character.isAlphabetic(cp)) {
        return true;
      }
      i += Character.charCount(cp);
    }
    return false;
  }

  /** Letters and digits of any script, and combining marks. */
  public static boolean isWordChar(int cp) {
    if (Character.isLetterOrDigit(cp)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.NON_SPACING_MARK
        || type == Character.COMBINING_SPACING_MARK
        || type == Character.ENCLOSING_MARK;
  }
}
