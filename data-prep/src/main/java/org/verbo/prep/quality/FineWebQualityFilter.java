package org.verbo.prep.quality;

import java.io.Serializable;
import org.verbo.prep.text.WordTokenizer;

/**
 * FineWeb rules: Penedo et al. 2024, "The FineWeb Datasets: Decanting the Web for the Finest Text
 * Data at Scale", section 3.3.4 (custom filters); implementation after datatrove {@code
 * FineWebQualityFilter} (src/datatrove/pipeline/filters/fineweb_quality_filter.py). Rules, in
 * datatrove's order, with their reason suffix:
 *
 * <ul>
 *   <li>{@code line_punct_ratio}: lines ending in {@code . ' " ! ?} (verbo adds {@code ” ’ »}) /
 *       lines; rejected when &lt;= line_punct_thr, unless the ratio is 0 and
 *       line_punct_exclude_zero is set;
 *   <li>{@code short_line_ratio}: lines of at most short_line_length code points / lines; rejected
 *       when &gt;= short_line_thr;
 *   <li>{@code char_dup_ratio}: characters of lines seen before / characters of the text without
 *       line breaks; rejected when &gt;= char_duplicates_ratio;
 *   <li>{@code list_ratio}: line breaks / tokens; rejected when &gt; new_line_ratio.
 * </ul>
 *
 * <p>Lines are the non-blank lines and line breaks are counted between them (lines - 1): in the
 * FineWeb pipeline this filter runs after C4, whose output has no blank lines, so this measures
 * the same thing on verbo's paragraph-preserving text. Tokens come from {@link WordTokenizer}.
 */
final class FineWebQualityFilter implements Serializable {

  private static final long serialVersionUID = 1L;

  static final String NAME = "fineweb";

  private static final String[] STOP_CHARS = {".", "'", "\"", "!", "?", "\u201D", "\u2019", "\u00BB"};

  private final QualityConfig.FineWeb c;

  FineWebQualityFilter(QualityConfig.FineWeb c) {
    this.c = c;
  }

  Verdict apply(String text) {
    return apply(text, -1);
  }

  /**
   * The rules on {@code text}, whose {@link WordTokenizer} token count is {@code tokenCount} when the caller
   * already has it (-1: count here). Lines are ranges of the text, compared in place by a {@link SpanSet}.
   */
  Verdict apply(String text, int tokenCount) {
    TextStats.Ranges lines = TextStats.nonBlankLineRanges(text);
    int n = lines.count();
    int punct = 0;
    int shortLines = 0;
    for (int l = 0; l < n; l++) {
      int a = lines.start(l);
      int b = lines.end(l);
      if (TextStats.endsWithAny(text, a, b, STOP_CHARS)) {
        punct++;
      }
      // A line of more chars than short_line_length * 2 has more code points than short_line_length.
      if (b - a <= 2L * c.shortLineLength() && text.codePointCount(a, b) <= c.shortLineLength()) {
        shortLines++;
      }
    }
    double punctRatio = TextStats.ratio(punct, n);
    if (punctRatio <= c.linePunctThr() && !(punctRatio == 0 && c.linePunctExcludeZero())) {
      return reject(text, "line_punct_ratio",
          "line_punct_ratio=" + TextStats.fmt(punctRatio) + " <= " + c.linePunctThr());
    }
    double shortRatio = TextStats.ratio(shortLines, n);
    if (shortRatio >= c.shortLineThr()) {
      return reject(text, "short_line_ratio",
          "short_line_ratio=" + TextStats.fmt(shortRatio) + " >= " + c.shortLineThr());
    }
    long dupChars = TextStats.duplicates(text, lines)[1];
    double dupRatio = TextStats.ratio(dupChars, charsWithoutLineFeeds(text));
    if (dupRatio >= c.charDuplicatesRatio() && dupChars > 0) {
      return reject(text, "char_dup_ratio",
          "char_dup_ratio=" + TextStats.fmt(dupRatio) + " >= " + c.charDuplicatesRatio());
    }
    int tokens = tokenCount >= 0 ? tokenCount : WordTokenizer.spans(text).count();
    double listRatio = TextStats.ratio(Math.max(0, n - 1), tokens);
    if (listRatio > c.newLineRatio()) {
      return reject(text, "list_ratio",
          "list_ratio=" + TextStats.fmt(listRatio) + " > " + c.newLineRatio());
    }
    return Verdict.keep(text);
  }

  /**
   * {@code TextStats.chars(text.replace("\n", ""))} without the copy: the code points of the text less one per
   * line feed. Removing a line feed joins two code points only when it sat between a high and a low surrogate,
   * so a text with surrogates takes the copying way.
   */
  static int charsWithoutLineFeeds(String text) {
    int lineFeeds = 0;
    boolean surrogates = false;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch == '\n') {
        lineFeeds++;
      } else if (Character.isSurrogate(ch)) {
        surrogates = true;
        break;
      }
    }
    if (surrogates) {
      return TextStats.chars(text.replace("\n", ""));
    }
    return text.length() - lineFeeds;
  }

  private static Verdict reject(String text, String rule, String detail) {
    return Verdict.reject(text, NAME + "." + rule, detail);
  }
}
