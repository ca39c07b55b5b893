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
