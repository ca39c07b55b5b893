package org.verbo.prep.quality;

import java.io.Serializable;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.verbo.prep.text.WordTokenizer;

/**
 * Gopher repetition rules: Rae et al. 2021, appendix A.1.1 / Table A1; implementation after
 * datatrove {@code GopherRepetitionFilter}
 * (src/datatrove/pipeline/filters/gopher_repetition_filter.py). All fractions divide by the number
 * of characters of the whole text. Rules, in datatrove's order, with their reason suffix:
 *
 * <ul>
 *   <li>{@code dup_para_frac}, {@code dup_para_char_frac}: paragraphs (split on blank lines) seen
 *       before / paragraphs, and their characters / characters;
 *   <li>{@code dup_line_frac}, {@code dup_line_char_frac}: the same for non-blank lines;
 *   <li>{@code top_<n>gram}: for each configured n, (characters of the most frequent word n-gram,
 *       words joined by one space) × (its count) / characters. As in datatrove this is measured
 *       even when the top n-gram occurs once; ties go to the n-gram seen first;
 *   <li>{@code dup_<n>gram}: for each configured n, datatrove's {@code find_all_duplicate}: scan
 *       the words; an n-gram seen before adds the characters of its words (no spaces) and the scan
 *       jumps n words, otherwise it is remembered and the scan moves one word.
 * </ul>
 *
 * <p>Words are the tokens of {@link WordTokenizer}, punctuation tokens included (as NLTK tokens
 * are in datatrove).
 */
final class GopherRepetitionFilter implements Serializable {

  private static final long serialVersionUID = 1L;

  static final String NAME = "gopher_repetition";

  private final QualityConfig.GopherRepetition c;
  // The two n-gram maps as arrays, in key order: iterating the sorted maps (and unboxing) per document cost
  // as much as a filter rule.
  private final int[] topN;
  private final double[] topMax;
  private final int[] dupN;
  private final double[] dupMax;

  GopherRepetitionFilter(QualityConfig.GopherRepetition c) {
    this.c = c;
    topN = c.topNgramCharFrac().keySet().stream().mapToInt(Integer::intValue).toArray();
    topMax = c.topNgramCharFrac().values().stream().mapToDouble(Double::doubleValue).toArray();
    dupN = c.dupNgramCharFrac().keySet().stream().mapToInt(Integer::intValue).toArray();
    dupMax = c.dupNgramCharFrac().values().stream().mapToDouble(Double::doubleValue).toArray();
  }

  Verdict apply(String text) {
    return apply(text, WordTokenizer.spans(text));
  }

  /**
   * The rules on {@code text} whose tokens are {@code tokens} ({@link WordTokenizer#spans}). Paragraphs and
   * lines are ranges of the text ({@link TextStats#splitOnLineFeeds}, the pieces of datatrove's {@code
   * re.split} on {@code \n{2,}} and {@code \n+}), compared in place by a {@link SpanSet}.
   */
  Verdict apply(String text, WordTokenizer.Spans tokens) {
    return apply(text, text.toCharArray(), tokens);
  }

  /** {@link #apply(String, WordTokenizer.Spans)} given the text's chars. */
  Verdict apply(String text, char[] chars, WordTokenizer.Spans tokens) {
    int textChars = TextStats.chars(text);
    int from = TextStats.stripStart(text, 0, text.length());
    int to = TextStats.stripEnd(text, from, text.length());

    TextStats.Ranges paragraphs = TextStats.splitOnLineFeeds(text, from, to, 2);
    long[] dupPara = TextStats.duplicates(text, chars, paragraphs);
    double paraFrac = TextStats.ratio(dupPara[0], paragraphs.count());
    if (paraFrac > c.dupParaFrac()) {
      return reject(text, "dup_para_frac",
          "dup_para_frac=" + TextStats.fmt(paraFrac) + " > " + c.dupParaFrac());
    }
    double paraChars = TextStats.ratio(dupPara[1], textChars);
    if (paraChars > c.dupParaCharFrac()) {
      return reject(text, "dup_para_char_frac",
          "dup_para_char_frac=" + TextStats.fmt(paraChars) + " > " + c.dupParaCharFrac());
    }

    TextStats.Ranges lines = TextStats.splitOnLineFeeds(text, from, to, 1);
    // Text whose line feeds all come in pairs (paragraphs of one line) has its lines as paragraphs.
    long[] dupLine = lines.sameAs(paragraphs) ? dupPara : TextStats.duplicates(text, chars, lines);
    double lineFrac = TextStats.ratio(dupLine[0], lines.count());
    if (lineFrac > c.dupLineFrac()) {
      return reject(text, "dup_line_frac",
          "dup_line_frac=" + TextStats.fmt(lineFrac) + " > " + c.dupLineFrac());
    }
    double lineChars = TextStats.ratio(dupLine[1], textChars);
    if (lineChars > c.dupLineCharFrac()) {
      return reject(text, "dup_line_char_frac",
          "dup_line_char_frac=" + TextStats.fmt(lineChars) + " > " + c.dupLineCharFrac());
    }

    WordNgrams words = new WordNgrams(text, chars, tokens);
    for (int k = 0; k < topN.length; k++) {
      int n = topN[k];
      if (words.size() < n) {
        continue;
      }
      double frac = TextStats.ratio(words.topNgramChars(n), textChars);
      if (frac > topMax[k]) {
        return reject(text, "top_" + n + "gram",
            "top_" + n + "gram=" + TextStats.fmt(frac) + " > " + topMax[k]);
      }
    }
    for (int k = 0; k < dupN.length; k++) {
      int n = dupN[k];
      double frac = TextStats.ratio(words.duplicatedNgramChars(n), textChars);
      if (frac > dupMax[k]) {
        return reject(text, "dup_" + n + "gram",
            "dup_" + n + "gram=" + TextStats.fmt(frac) + " > " + dupMax[k]);
      }
    }
    return Verdict.keep(text);
  }

  /**
   * datatrove {@code find_top_duplicate}: len(top n-gram) × count; the first seen wins ties. The reference
   * twin of {@link WordNgrams#topNgramChars} (which {@link #apply} runs).
   */
  static long topNgramChars(List<String> words, int n) {
    Map<String, int[]> counts = new LinkedHashMap<>();
    for (int i = 0; i + n <= words.size(); i++) {
      counts.computeIfAbsent(String.join(" ", words.subList(i, i + n)), k -> new int[1])[0]++;
    }
    // Counter.most_common(1) returns, among equal counts, the n-gram inserted first.
    String best = null;
    int bestCount = 0;
    for (Map.Entry<String, int[]> e : counts.entrySet()) {
      if (e.getValue()[0] > bestCount) {
        bestCount = e.getValue()[0];
        best = e.getKey();
      }
    }
    return best == null ? 0 : (long) TextStats.chars(best) * bestCount;
  }

  /**
   * datatrove {@code find_all_duplicate}: characters (without spaces) of repeated n-grams. The reference
   * twin of {@link WordNgrams#duplicatedNgramChars} (which {@link #apply} runs).
   */
  static long duplicatedNgramChars(List<String> words, int n) {
    Set<String> seen = new HashSet<>();
    long repeated = 0;
    int idx = 0;
    while (idx < words.size() - n + 1) {
      List<String> gram = words.subList(idx, idx + n);
      // Joined with a space as key (datatrove joins with "", which can confuse "ab c" and "a bc").
      if (!seen.add(String.join(" ", gram))) {
        for (String w : gram) {
          repeated += TextStats.chars(w);
        }
        idx += n;
      } else {
        idx++;
      }
    }
    return repeated;
  }

  private static Verdict reject(String text, String rule, String detail) {
    return Verdict.reject(text, NAME + "." + rule, detail);
  }
}
