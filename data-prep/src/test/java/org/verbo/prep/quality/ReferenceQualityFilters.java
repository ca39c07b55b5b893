package org.verbo.prep.quality;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.verbo.prep.text.TextNormalizer;
import org.verbo.prep.text.WordTokenizer;

/**
 * The reference twin of {@link QualityFilters}: the quality filters as they were before the per-byte work
 * (commit 2e8420e), kept verbatim except that the n-gram measures use the string-joining twins instead of
 * {@link WordNgrams}. Regular expressions, one {@code String} per token, line and paragraph, and one
 * tokenisation per filter: slow, and easy to check against datatrove line by line. {@link
 * QualityFiltersParityTest} asserts that {@link QualityFilters#apply} returns an equal {@link Verdict} (text,
 * reason and detail) on every input.
 */
final class ReferenceQualityFilters {

  private final QualityConfig config;
  private final Set<String> stopWords;

  ReferenceQualityFilters(QualityConfig c) {
    this.config = c;
    this.stopWords =
        c.stopWords().enabled() ? StopWordLists.union(c.stopWords().languages()) : Set.of();
  }

  Verdict apply(String normalizedText) {
    String text = normalizedText;
    if (config.gopherQuality().enabled()) {
      Verdict v =
          new GopherQualityFilter(config.gopherQuality(), config.stopWords(), stopWords).apply(text);
      if (!v.kept()) {
        return v;
      }
    }
    if (config.gopherRepetition().enabled()) {
      Verdict v = new GopherRepetitionFilter(config.gopherRepetition()).apply(text);
      if (!v.kept()) {
        return v;
      }
    }
    if (config.c4().enabled()) {
      Verdict v = new C4QualityFilter(config.c4()).apply(text);
      if (!v.kept()) {
        return v;
      }
      text = v.text();
    }
    if (config.fineWeb().enabled()) {
      Verdict v = new FineWebQualityFilter(config.fineWeb()).apply(text);
      if (!v.kept()) {
        return v;
      }
    }
    return Verdict.keep(text);
  }

  // ---- TextStats, as of commit 2e8420e ----
  static final class TextStats {

    private TextStats() {}

    /** Non-blank lines of {@code text}, stripped. */
    static List<String> nonBlankLines(String text) {
      List<String> lines = new ArrayList<>();
      for (String line : text.split("\n", -1)) {
        String s = line.strip();
        if (!s.isEmpty()) {
          lines.add(s);
        }
      }
      return lines;
    }

    /** Length in Unicode code points, as Python's {@code len(str)}. */
    static int chars(String s) {
      return s.codePointCount(0, s.length());
    }

    /**
     * datatrove {@code find_duplicates}: every element seen before counts as a duplicate, and its
     * characters as duplicated characters.
     *
     * @return {duplicate elements, duplicated characters}
     */
    static long[] duplicates(List<String> elements) {
      Set<String> seen = new HashSet<>();
      long count = 0;
      long chars = 0;
      for (String e : elements) {
        if (!seen.add(e)) {
          count++;
          chars += chars(e);
        }
      }
      return new long[] {count, chars};
    }

    /** Non-overlapping occurrences of {@code needle}, as Python's {@code str.count}. */
    static int count(String text, String needle) {
      int n = 0;
      int i = text.indexOf(needle);
      while (i >= 0) {
        n++;
        i = text.indexOf(needle, i + needle.length());
      }
      return n;
    }

    /** Safe ratio: 0 when the denominator is 0. */
    static double ratio(double num, double den) {
      return den == 0 ? 0 : num / den;
    }

    /** A measured ratio for a detail message. */
    static String fmt(double v) {
      return String.format(Locale.ROOT, "%.4f", v);
    }

    /** True when {@code line} ends with one of {@code suffixes}. */
    static boolean endsWithAny(String line, String[] suffixes) {
      for (String s : suffixes) {
        if (line.endsWith(s)) {
          return true;
        }
      }
      return false;
    }
  }

  // ---- GopherQualityFilter, as of commit 2e8420e ----
  static final class GopherQualityFilter {

    static final String NAME = "gopher_quality";

    private final QualityConfig.GopherQuality c;
    private final QualityConfig.StopWords sw;
    private final Set<String> stopWords;

    GopherQualityFilter(QualityConfig.GopherQuality c, QualityConfig.StopWords sw, Set<String> stopWords) {
      this.c = c;
      this.sw = sw;
      this.stopWords = stopWords;
    }

    Verdict apply(String text) {
      List<String> tokens = WordTokenizer.tokenize(text);
      int nTokens = tokens.size();
      int nWords = 0;
      long wordChars = 0;
      int alpha = 0;
      int stops = 0;
      for (String t : tokens) {
        if (WordTokenizer.isWord(t)) {
          nWords++;
          wordChars += TextStats.chars(t);
        }
        if (WordTokenizer.hasLetter(t)) {
          alpha++;
        }
        if (stopWords.contains(t.toLowerCase(Locale.ROOT))) {
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
      List<String> lines = TextStats.nonBlankLines(text);
      int bullets = 0;
      int endEllipsis = 0;
      for (String line : lines) {
        if (line.startsWith("\u2022") || line.startsWith("-")) {
          bullets++;
        }
        if (line.endsWith("...") || line.endsWith("\u2026")) {
          endEllipsis++;
        }
      }
      double bulletRatio = TextStats.ratio(bullets, lines.size());
      if (bulletRatio > c.maxBulletLinesRatio()) {
        return reject(text, "bullet_lines",
            "bullet_lines=" + TextStats.fmt(bulletRatio) + " > " + c.maxBulletLinesRatio());
      }
      double ellipsisLines = TextStats.ratio(endEllipsis, lines.size());
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

  // ---- GopherRepetitionFilter, as of commit 2e8420e ----
  static final class GopherRepetitionFilter {

    static final String NAME = "gopher_repetition";

    private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\\n{2,}");
    private static final Pattern LINE_BREAKS = Pattern.compile("\\n+");

    private final QualityConfig.GopherRepetition c;

    GopherRepetitionFilter(QualityConfig.GopherRepetition c) {
      this.c = c;
    }

    Verdict apply(String text) {
      int textChars = TextStats.chars(text);
      String stripped = text.strip();

      List<String> paragraphs = Arrays.asList(PARAGRAPH_BREAK.split(stripped));
      long[] dupPara = TextStats.duplicates(paragraphs);
      double paraFrac = TextStats.ratio(dupPara[0], paragraphs.size());
      if (paraFrac > c.dupParaFrac()) {
        return reject(text, "dup_para_frac",
            "dup_para_frac=" + TextStats.fmt(paraFrac) + " > " + c.dupParaFrac());
      }
      double paraChars = TextStats.ratio(dupPara[1], textChars);
      if (paraChars > c.dupParaCharFrac()) {
        return reject(text, "dup_para_char_frac",
            "dup_para_char_frac=" + TextStats.fmt(paraChars) + " > " + c.dupParaCharFrac());
      }

      List<String> lines = Arrays.asList(LINE_BREAKS.split(stripped));
      long[] dupLine = TextStats.duplicates(lines);
      double lineFrac = TextStats.ratio(dupLine[0], lines.size());
      if (lineFrac > c.dupLineFrac()) {
        return reject(text, "dup_line_frac",
            "dup_line_frac=" + TextStats.fmt(lineFrac) + " > " + c.dupLineFrac());
      }
      double lineChars = TextStats.ratio(dupLine[1], textChars);
      if (lineChars > c.dupLineCharFrac()) {
        return reject(text, "dup_line_char_frac",
            "dup_line_char_frac=" + TextStats.fmt(lineChars) + " > " + c.dupLineCharFrac());
      }

      List<String> words = WordTokenizer.tokenize(text);
      for (Map.Entry<Integer, Double> e : c.topNgramCharFrac().entrySet()) {
        int n = e.getKey();
        if (words.size() < n) {
          continue;
        }
        double frac = TextStats.ratio(topNgramChars(words, n), textChars);
        if (frac > e.getValue()) {
          return reject(text, "top_" + n + "gram",
              "top_" + n + "gram=" + TextStats.fmt(frac) + " > " + e.getValue());
        }
      }
      for (Map.Entry<Integer, Double> e : c.dupNgramCharFrac().entrySet()) {
        int n = e.getKey();
        double frac = TextStats.ratio(duplicatedNgramChars(words, n), textChars);
        if (frac > e.getValue()) {
          return reject(text, "dup_" + n + "gram",
              "dup_" + n + "gram=" + TextStats.fmt(frac) + " > " + e.getValue());
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

  // ---- C4QualityFilter, as of commit 2e8420e ----
  static final class C4QualityFilter {

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

  // ---- FineWebQualityFilter, as of commit 2e8420e ----
  static final class FineWebQualityFilter {

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
}
