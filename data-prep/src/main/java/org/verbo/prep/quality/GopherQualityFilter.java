package org.verbo.prep.quality;

import java.io.Serializable;
import org.verbo.prep.text.WordTokenizer;

/**
 * Gopher quality rules: Rae et al. 2021, "Scaling Language Models: Methods, Analysis &amp; Insights
 * from Training Gopher", appendix A.1.1 / Table A1; implementation after datatrove {@code
 * GopherQualityFilter} (src/datatrove/pipeline/filters/gopher_quality_filter.py).
 *
 * <p>Tokens come from {@link WordTokenizer} (datatrove uses NLTK's {@code word_tokenize}); as in
 * datatrove, "words" for the count and the mean length are the tokens that are not pure
 * punctuation, while the ratios (hash, ellipsis, alphabetic) divide by all tokens. Rules, in
 * datatrove's order, with their reason suffix:
 *
 * <ul>
 *   <li>{@code word_count}: words in [min_doc_words, max_doc_words]
 *   <li>{@code mean_word_length}: mean word length (code points) in [min, max]
 *   <li>{@code hash_ratio}: {@code '#'} occurrences / tokens &lt;= max_symbol_word_ratio
 *   <li>{@code ellipsis_ratio}: ({@code "..."} + {@code "…"}) occurrences / tokens &lt;=
 *       max_symbol_word_ratio
 *   <li>{@code bullet_lines}: lines starting with {@code •} or {@code -} / lines &lt;=
 *       max_bullet_lines_ratio
 *   <li>{@code ellipsis_lines}: lines ending with {@code ...} or {@code …} / lines &lt;=
 *       max_ellipsis_lines_ratio
 *   <li>{@code alpha_words}: tokens with a letter / tokens &gt;= min_alpha_words_ratio
 *   <li>{@code stop_words}: occurrences of stop words (lower-cased tokens in the configured lists)
 *       &gt;= min_stop_words. Gopher counts English "the, be, to, of, and, that, have, with";
 *       verbo takes the union of the configured languages' lists so Portuguese passes.
 * </ul>
 */
final class GopherQualityFilter implements Serializable {

  private static final long serialVersionUID = 1L;

  static final String NAME = "gopher_quality";

  private final QualityConfig.GopherQuality c;
  private final QualityConfig.StopWords sw;
  private final StopWordSet stopWords;

  GopherQualityFilter(QualityConfig.GopherQuality c, QualityConfig.StopWords sw, StopWordSet stopWords) {
    this.c = c;
    this.sw = sw;
    this.stopWords = stopWords;
  }

  Verdict apply(String text) {
    return apply(text, WordTokenizer.spans(text));
  }

  /**
   * The rules on {@code text} whose tokens are {@code tokens} ({@link WordTokenizer#spans}, shared with the
   * repetition filter). What each token needs ({@link WordTokenizer#isWord}, {@link WordTokenizer#hasLetter}, its
   * code points and the hash of its lower case) the tokenizer computed on its scan, so no token's chars are read
   * again here: a scan of its own cost about 5 % of the quality filters' CPU (scripts/bench.sh quality-ab).
   */
  Verdict apply(String text, WordTokenizer.Spans tokens) {
    return apply(text, text.toCharArray(), tokens);
  }

  /**
   * {@link #apply(String, WordTokenizer.Spans)} given the text's chars, which a stop-word candidate is compared
   * with.
   *
   * @throws IllegalArgumentException for spans without the tokenizer's counts ({@link WordTokenizer.Spans#of})
   */
  Verdict apply(String text, char[] chars, WordTokenizer.Spans tokens) {
    if (!tokens.hasCounts()) {
      throw new IllegalArgumentException("Gopher quality needs the tokenizer's spans (WordTokenizer.spans)");
    }
    int nTokens = tokens.count();
    int nWords = 0;
    long wordChars = 0;
    int alpha = 0;
    int stops = 0;
    for (int t = 0; t < nTokens; t++) {
      int f = tokens.flags(t);
      if ((f & WordTokenizer.WORD) != 0) {
        nWords++;
        wordChars += tokens.codePoints(t);
      }
      if ((f & WordTokenizer.LETTER) != 0) {
        alpha++;
      }
      if (stopWords.containsLowerCase(chars, tokens.start(t), tokens.end(t), tokens.lowerHash(t),
          (f & WordTokenizer.NOT_PLAIN) == 0)) {
        stops++;
      }
    }
    if (nWords < c.minDocWords()) {
      return reject(text, "word_count", "words=" + nWords + " < " + c.minDocWords());
    }
    if (nWords > c.maxDocWords()) {
      return reject(text, "word_count", "words=" + nWords + " > " + c.maxDocWords());
    }
    double mean = TextStats.ratio(wordChars, nWords);
    if (mean < c.minAvgWordLength()) {
      return reject(text, "mean_word_length",
          "mean_word_length=" + TextStats.fmt(mean) + " < " + c.minAvgWordLength());
    }
    if (mean > c.maxAvgWordLength()) {
      return reject(text, "mean_word_length",
          "mean_word_length=" + TextStats.fmt(mean) + " > " + c.maxAvgWordLength());
    }
    double hash = TextStats.ratio(TextStats.count(text, "#"), nTokens);
    if (hash > c.maxSymbolWordRatio()) {
      return reject(text, "hash_ratio",
          "hash_ratio=" + TextStats.fmt(hash) + " > " + c.maxSymbolWordRatio());
    }
    double ellipsis =
        TextStats.ratio(TextStats.count(text, "...") + TextStats.count(text, "\u2026"), nTokens);
    if (ellipsis > c.maxSymbolWordRatio()) {
      return reject(text, "ellipsis_ratio",
          "ellipsis_ratio=" + TextStats.fmt(ellipsis) + " > " + c.maxSymbolWordRatio());
    }
    TextStats.Ranges lines = TextStats.nonBlankLineRanges(text);
    int bullets = 0;
    int endEllipsis = 0;
    for (int l = 0; l < lines.count(); l++) {
      int a = lines.start(l);
      int b = lines.end(l);
      if (text.startsWith("\u2022", a) || text.startsWith("-", a)) {
        bullets++;
      }
      if (TextStats.endsWith(text, a, b, "...") || TextStats.endsWith(text, a, b, "\u2026")) {
        endEllipsis++;
      }
    }
    double bulletRatio = TextStats.ratio(bullets, lines.count());
    if (bulletRatio > c.maxBulletLinesRatio()) {
      return reject(text, "bullet_lines",
          "bullet_lines=" + TextStats.fmt(bulletRatio) + " > " + c.maxBulletLinesRatio());
    }
    double ellipsisLines = TextStats.ratio(endEllipsis, lines.count());
    if (ellipsisLines > c.maxEllipsisLinesRatio()) {
      return reject(text, "ellipsis_lines",
          "ellipsis_lines=" + TextStats.fmt(ellipsisLines) + " > " + c.maxEllipsisLinesRatio());
    }
    // An empty document has no tokens: its alphabetic ratio is taken as 1, not 0/0.
    double alphaRatio = nTokens == 0 ? 1 : (double) alpha / nTokens;
    if (alphaRatio < c.minAlphaWordsRatio()) {
      return reject(text, "alpha_words",
          "alpha_words=" + TextStats.fmt(alphaRatio) + " < " + c.minAlphaWordsRatio());
    }
    if (sw.enabled() && stops < sw.minStopWords()) {
      return reject(text, "stop_words", "stop_words=" + stops + " < " + sw.minStopWords());
    }
    return Verdict.keep(text);
  }

  private static Verdict reject(String text, String rule, String detail) {
    return Verdict.reject(text, NAME + "." + rule, detail);
  }
}
