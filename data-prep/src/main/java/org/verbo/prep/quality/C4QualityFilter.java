package org.verbo.prep.quality;

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
final class C4QualityFilter {

  static final String NAME = "c4";

  private static final Pattern CITATION = Pattern.compile("\\[\\d*]|\\[edit]|\\[citation needed]");
  private static final String[] END_PUNCTUATION = {
    ".", "?", "!", "\"", "'", "\u201D", "\u2019", "\u00BB"
  };
  private static final Pattern SENTENCE_BREAK =
      Pattern.compile("(?<=[.!?\u2026][\"'\u201D\u2019\u00BB)\\]]{0,3})\\s+");
  private static final Pattern SPACES = Pattern.compile("\\s+");

  private final QualityConfig.C4 c;

  C4QualityFilter(QualityConfig.C4 c) {
    this.c = c;
  }

  Verdict apply(String text) {
    StringBuilder kept = new StringBuilder(text.length());
    boolean paragraphBreak = false;
    int sentences = 0;
    for (String raw : text.split("\n", -1)) {
      String line = raw.strip();
      if (line.isEmpty()) {
        paragraphBreak = true;
        continue;
      }
      String[] words = SPACES.split(line);
      if (c.maxWordLength() > 0 && hasLongWord(words)) {
        continue;
      }
      if (c.removeCitations()) {
        line = CITATION.matcher(line).replaceAll("");
      }
      if (c.filterNoTerminalPunct()
          && (!TextStats.endsWithAny(line, END_PUNCTUATION) || line.endsWith("..."))) {
        continue;
      }
      if (words.length < c.minWordsPerLine()) {
        continue;
      }
      String lower = line.toLowerCase(Locale.ROOT);
      if (c.filterLoremIpsum() && lower.contains("lorem ipsum")) {
        return Verdict.reject(text, NAME + ".lorem_ipsum", "line contains \"lorem ipsum\"");
      }
      if (c.filterJavascript() && lower.contains("javascript")) {
        continue;
      }
      if (c.filterCurlyBracket() && line.indexOf('{') >= 0) {
        return Verdict.reject(text, NAME + ".curly_bracket", "line contains \"{\"");
      }
      if (c.filterPolicy() && containsPolicy(lower)) {
        continue;
      }
      sentences += sentenceCount(line);
      if (kept.length() > 0) {
        kept.append(paragraphBreak ? "\n\n" : "\n");
      }
      kept.append(line);
      paragraphBreak = false;
    }
    String out = TextNormalizer.normalize(kept.toString());
    if (sentences < c.minNumSentences()) {
      return Verdict.reject(
          out, NAME + ".num_sentences", "sentences=" + sentences + " < " + c.minNumSentences());
    }
    if (out.isEmpty()) {
      return Verdict.reject(out, NAME + ".empty", "all lines removed");
    }
    return Verdict.keep(out);
  }

  /** Sentence count of one line, see the class comment. */
  static int sentenceCount(String line) {
    int n = 0;
    for (String piece : SENTENCE_BREAK.split(line)) {
      if (!piece.isBlank()) {
        n++;
      }
    }
    return n;
  }

  private boolean hasLongWord(String[] words) {
    for (String w : words) {
      if (w.length() > c.maxWordLength() && TextStats.chars(w) > c.maxWordLength()) {
        return true;
      }
    }
    return false;
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
