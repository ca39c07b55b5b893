package org.verbo.prep.quality;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Pattern;
import org.verbo.prep.text.TextNormalizer;

/**
 * C4 rules: Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified
 * Text-to-Text Transformer", section 2.2; implementation after datatrove {@code C4QualityFilter}
 * (src/datatrove/pipeline/filters/c4_filters.py), itself after TensorFlow Datasets' c4_utils.py.
 * FineWeb runs it with {@code filter_no_terminal_punct=False}, verbo's default.
 *
 * <p>Each non-blank line goes through these steps, in datatrove's order; the first that applies
 * decides:
 * <ol>
 *   <li>a whitespace-separated word longer than {@code max_word_length} code points: line removed
 *       (datatrove drops the line, not the document);
 *   <li>{@code remove_citations}: {@code [12]}, {@code []}, {@code [edit]}, {@code [citation needed]}
 *       are deleted from the line;
 *   <li>{@code filter_no_terminal_punct}: a line not ending in {@code . ? ! " '} (verbo adds the
 *       closing quotes {@code ” ’ »} used in Portuguese), or ending in {@code ...}: removed;
 *   <li>fewer than {@code min_words_per_line} words (counted before citation removal, as in
 *       datatrove; applies whatever filter_no_terminal_punct is): removed;
 *   <li>"lorem ipsum" (case-insensitive): the document is rejected, {@code c4.lorem_ipsum};
 *   <li>"javascript" (case-insensitive): removed;
 *   <li>a curly bracket {@code "{"}: the document is rejected, {@code c4.curly_bracket};
 *   <li>a policy phrase ({@code policy_substrings}, case-insensitive): removed;
 *   <li>otherwise the line is kept and its sentences are counted.
 * </ol>
 * Then fewer than {@code min_num_sentences} sentences in the kept lines rejects the document
 * ({@code c4.num_sentences}); a document all of whose lines were removed is rejected as {@code
 * c4.empty} even when min_num_sentences is 0.
 *
 * <p>Sentences (datatrove uses NLTK's punkt per line): a line is cut after each run of {@code . ! ?
 * …} (optionally followed by closing quotes or brackets) that is followed by whitespace; the
 * number of non-blank pieces is its sentence count. "Olá. Tudo bem? Sim" is 3 sentences, a line
 * without terminal punctuation is 1, "Sr. Silva chegou." is 2 (no abbreviation list).
 *
 * <p>Output text: the kept lines, one per line; where a blank line (paragraph break) separated two
 * kept lines in the input, the paragraph break is kept (datatrove joins everything with {@code
 * "\n"}; verbo keeps its paragraphs). The result is normalised again, so spaces left by a removed
 * citation collapse.
 */
final class C4QualityFilter implements Serializable {

  private static final long serialVersionUID = 1L;

  static final String NAME = "c4";

  private static final Pattern CITATION = Pattern.compile("\\[\\d*]|\\[edit]|\\[citation needed]");
  private static final String[] END_PUNCTUATION = {
    ".", "?", "!", "\"", "'", "\u201D", "\u2019", "\u00BB"
  };

  private final QualityConfig.C4 c;

  C4QualityFilter(QualityConfig.C4 c) {
    this.c = c;
  }

  /** {@link #apply(String, char[], boolean)} on a text not known to be normalised. */
  Verdict apply(String text) {
    return apply(text, text.toCharArray(), false);
  }

  /**
   * The steps of the class comment on each line, found by position in {@code chars} (the chars of {@code
   * text}): one scan per line counts its words (runs of {@code \\s}, ASCII whitespace, as {@code
   * Pattern.compile("\\s+").split} cut them) and its sentences ({@link #sentenceCount}'s rule, which the scan
   * repeats only for a line that lost a citation); citations are only looked for in a line that holds a {@code
   * '['}. ReferenceQualityFilters keeps the regular-expression version; QualityFiltersParityTest compares.
   *
   * <p>The output is the kept lines normalised again. While every line is kept as it is and the lines sit in
   * the text joined exactly as the output joins them, the output would be the text itself: nothing is copied
   * then, and when the caller vouches that {@code text} is already normalised ({@code normalized}; normalising
   * is idempotent) it is returned as it is. On prose most documents lose no line, and copying and normalising
   * them again was a quarter of this filter's time.
   */
  Verdict apply(String text, char[] chars, boolean normalized) {
    StringBuilder kept = null; // the output so far, made once a line is dropped or changed
    int same = 0; // while kept is null: the output so far is text[0, same)
    boolean paragraphBreak = false;
    int sentences = 0;
    int n = text.length();
    int max = c.maxWordLength();
    for (int from = 0; from <= n; ) {
      int nl = text.indexOf('\n', from);
      int to = nl < 0 ? n : nl;
      int a = TextStats.stripStart(text, from, to);
      int b = TextStats.stripEnd(text, a, to);
      from = to + 1;
      if (a == b) {
        paragraphBreak = true;
        continue;
      }
      // The stripped line starts and ends with a non-\s char (every \s char is whitespace to strip()), so the
      // regex split gives exactly the scan's words.
      long scan = scanLine(text, chars, a, b, max);
      int words = (int) (scan & 0xFFFFFFFFL) >>> 1;
      int lineSentences = (int) (scan >>> 32);
      if ((scan & 1) != 0) { // a word longer than max
        kept = started(kept, text, same);
        continue;
      }
      String line = text.substring(a, b);
      if (c.removeCitations() && line.indexOf('[') >= 0) {
        String cleaned = CITATION.matcher(line).replaceAll("");
        if (!cleaned.equals(line)) {
          line = cleaned;
          lineSentences = sentenceCount(line);
          kept = started(kept, text, same);
        }
      }
      if (c.filterNoTerminalPunct()
          && (!TextStats.endsWithAny(line, END_PUNCTUATION) || line.endsWith("..."))) {
        kept = started(kept, text, same);
        continue;
      }
      if (words < c.minWordsPerLine()) {
        kept = started(kept, text, same);
        continue;
      }
      String lower = line.toLowerCase(Locale.ROOT);
      if (c.filterLoremIpsum() && lower.contains("lorem ipsum")) {
        return Verdict.reject(text, NAME + ".lorem_ipsum", "line contains \"lorem ipsum\"");
      }
      if (c.filterJavascript() && lower.contains("javascript")) {
        kept = started(kept, text, same);
        continue;
      }
      if (c.filterCurlyBracket() && line.indexOf('{') >= 0) {
        return Verdict.reject(text, NAME + ".curly_bracket", "line contains \"{\"");
      }
      if (c.filterPolicy() && containsPolicy(lower)) {
        kept = started(kept, text, same);
        continue;
      }
      sentences += lineSentences;
      // A kept line can be empty (all citations), and the output joins only after a non-empty one.
      int length = kept != null ? kept.length() : same;
      String separator = length > 0 ? (paragraphBreak ? "\n\n" : "\n") : "";
      if (kept == null && text.startsWith(separator, same) && same + separator.length() == a) {
        same = b; // the line and what joins it to the last kept one are the text's own chars
      } else {
        kept = started(kept, text, same).append(separator).append(line);
      }
      paragraphBreak = false;
    }
    String out;
    if (kept == null && same == n) {
      out = normalized ? text : TextNormalizer.normalize(text);
    } else {
      out = TextNormalizer.normalize(started(kept, text, same).toString());
    }
    if (sentences < c.minNumSentences()) {
      return Verdict.reject(
          out, NAME + ".num_sentences", "sentences=" + sentences + " < " + c.minNumSentences());
    }
    if (out.isEmpty()) {
      return Verdict.reject(out, NAME + ".empty", "all lines removed");
    }
    return Verdict.keep(out);
  }

  /** The output being built: {@code kept}, or the text's first {@code same} chars when none is yet. */
  private static StringBuilder started(StringBuilder kept, String text, int same) {
    return kept != null ? kept : new StringBuilder(text.length()).append(text, 0, same);
  }

  /**
   * Sentence count of one line, see the class comment: the non-blank pieces of {@code line} cut at each run of
   * {@code \\s} (ASCII whitespace) that follows one of {@code . ! ? …} and at most three closing quotes or
   * brackets. That is the split on {@code (?<=[.!?…]["'”’»)\]]{0,3})\s+} (the reference twin, in
   * ReferenceQualityFilters): the regex finds whole runs, since inside a run the look-behind sees a space; and
   * as the closers and the terminal marks are disjoint, the look-behind holds exactly when the run is
   * preceded by m <= 3 closers and then a terminal mark. Empty pieces the split would keep or drop are blank
   * and never counted.
   */
  static int sentenceCount(String line) {
    return (int) (scanLine(line, line.toCharArray(), 0, line.length(), 0) >>> 32);
  }

  /**
   * One scan of the line {@code text[a, b)} (whose chars are {@code chars}) for what {@link #apply} decides on: its
   * words, the maximal runs of {@code \s}-free chars; whether one of them is longer than {@code maxWordLength} code
   * points (0: no limit); and its sentences, {@link #sentenceCount}'s rule (the non-blank pieces between the {@code
   * \s} runs that follow a terminal mark). Packed, as the scan runs per line of every document: sentences in the
   * high 32 bits, the words shifted left by one in the low 32, the long-word flag in bit 0.
   */
  private static long scanLine(String text, char[] chars, int a, int b, int maxWordLength) {
    int words = 0;
    boolean longWord = false;
    int sentences = 0;
    int pieceStart = a;
    for (int i = a; i < b; ) {
      int w = i;
      while (i < b && !isRegexSpace(chars[i])) {
        i++;
      }
      if (i > w) {
        words++;
        longWord |= maxWordLength > 0 && i - w > maxWordLength
            && Character.codePointCount(chars, w, i - w) > maxWordLength;
      }
      if (i == b) {
        break;
      }
      int runEnd = i;
      while (runEnd < b && isRegexSpace(chars[runEnd])) {
        runEnd++;
      }
      if (followsTerminal(chars, a, i)) {
        if (!isBlank(text, pieceStart, i)) {
          sentences++;
        }
        pieceStart = runEnd;
      }
      i = runEnd;
    }
    if (!isBlank(text, pieceStart, b)) {
      sentences++;
    }
    return (long) sentences << 32 | (long) words << 1 | (longWord ? 1 : 0);
  }

  /**
   * The look-behind {@code [.!?…]["'”’»)\]]{0,3}} ending at {@code pos} in {@code chars}, whose line starts at
   * {@code lineStart}.
   */
  private static boolean followsTerminal(char[] chars, int lineStart, int pos) {
    char last = pos > lineStart ? chars[pos - 1] : 0;
    if ((last >= 'a' && last <= 'z') || (last >= 'A' && last <= 'Z') || (last >= '0' && last <= '9')) {
      return false; // most words end in a letter or digit: neither a closer nor a terminal mark
    }
    int m = 0;
    while (m < 4 && pos - 1 - m >= lineStart && isCloser(chars[pos - 1 - m])) {
      m++;
    }
    if (m > 3 || pos - 1 - m < lineStart) {
      return false;
    }
    char t = chars[pos - 1 - m];
    return t == '.' || t == '!' || t == '?' || t == '\u2026';
  }

  private static boolean isCloser(char c) {
    return c == '"' || c == '\'' || c == '\u201D' || c == '\u2019' || c == '\u00BB' || c == ')' || c == ']';
  }

  /** The chars of {@code \\s} without UNICODE_CHARACTER_CLASS: {@code [ \t\n\x0B\f\r]}. */
  private static boolean isRegexSpace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
  }

  /** {@link String#isBlank} of {@code s[from, to)}. */
  private static boolean isBlank(String s, int from, int to) {
    return TextStats.stripStart(s, from, to) == to;
  }

  private boolean containsPolicy(String lower) {
    for (String p : c.policySubstrings()) {
      if (lower.contains(p)) {
        return true;
      }
    }
    return false;
  }
}
