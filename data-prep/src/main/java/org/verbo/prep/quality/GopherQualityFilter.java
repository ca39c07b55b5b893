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
   * repetition filter). Per token, one scan of its chars answers {@link WordTokenizer#isWord}, {@link
   * WordTokenizer#hasLetter} and the code point count; ASCII chars are answered inline.
   */
  Verdict apply(String text, WordTokenizer.Spans tokens) {
    return apply(text, text.toCharArray(), tokens);
  }

  /** {@link #apply(String, WordTokenizer.Spans)} given the text's chars, which the per-token scans read. */
  Verdict apply(String text, char[] chars, WordTokenizer.Spans tokens) {
    int nTokens = tokens.count();
    int nWords = 0;
    long wordChars = 0;
    int alpha = 0;
    int stops = 0;
    for (int t = 0; t < nTokens; t++) {
      int start = tokens.start(t);
      int end = tokens.end(t);
      boolean word = false;
      boolean letter = false;
      int codePoints = 0;
      int lowerHash = 0; // the stop-word lookup's hash of the token's lower case (StopWordSet.lowerChar)
      boolean plain = true;
      for (int i = start; i < end; codePoints++) {
        char ch = chars[i];
        if (ch < 0x80) {
          boolean isLetter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
          word |= isLetter || (ch >= '0' && ch <= '9');
          letter |= isLetter;
          lowerHash = 31 * lowerHash + StopWordSet.lowerChar(ch);
          i++;
        } else {
          // A token never ends inside a surrogate pair (the tokenizer steps by code points).
          int cp = Character.codePointAt(chars, i);
          word = word || WordTokenizer.isWordChar(cp);
          letter = letter || Character.isAlphabetic(cp);
          for (int k = Character.charCount(cp); k > 0; k--, i++) {
            int lower = StopWordSet.lowerChar(chars[i]);
            plain &= lower >= 0;
            lowerHash = 31 * lowerHash + lower;
          }
        }
      }
      if (word) {
        nWords++;
        wordChars += codePoints;
      }
      if (letter) {
        alpha++;
      }
      if (stopWords.containsLowerCase(chars, start, end, lowerHash, plain)) {
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
