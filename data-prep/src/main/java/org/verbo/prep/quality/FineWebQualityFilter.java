package org.verbo.prep.quality;

import java.util.List;
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
final class FineWebQualityFilter {

  static final String NAME = "fineweb";

  private static final String[] STOP_CHARS = {".", "'", "\"", "!", "?", "\u201D", "\u2019", "\u00BB"};

  private final QualityConfig.FineWeb c;

  FineWebQualityFilter(QualityConfig.FineWeb c) {
    this.c = c;
  }

  Verdict apply(String text) {
    List<String> lines = TextStats.nonBlankLines(text);
    int n = lines.size();
    int punct = 0;
    int shortLines = 0;
    for (String line : lines) {
      if (TextStats.endsWithAny(line, STOP_CHARS)) {
        punct++;
      }
      if (TextStats.chars(line) <= c.shortLineLength()) {
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
    long dupChars = TextStats.duplicates(lines)[1];
    double dupRatio = TextStats.ratio(dupChars, TextStats.chars(text.replace("\n", "")));
    if (dupRatio >= c.charDuplicatesRatio() && dupChars > 0) {
      return reject(text, "char_dup_ratio",
          "char_dup_ratio=" + TextStats.fmt(dupRatio) + " >= " + c.charDuplicatesRatio());
    }
    int tokens = WordTokenizer.tokenize(text).size();
    double listRatio = TextStats.ratio(Math.max(0, n - 1), tokens);
    if (listRatio > c.newLineRatio()) {
      return reject(text, "list_ratio",
          "list_ratio=" + TextStats.fmt(listRatio) + " > " + c.newLineRatio());
    }
    return Verdict.keep(text);
  }

  private static Verdict reject(String text, String rule, String detail) {
    return Verdict.reject(text, NAME + "." + rule, detail);
  }
}
