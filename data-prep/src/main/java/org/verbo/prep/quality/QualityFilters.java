package org.verbo.prep.quality;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.verbo.prep.text.WordTokenizer;

/**
 * The heuristic quality filters of a {@link QualityConfig}, run in the order gopher_quality,
 * gopher_repetition, c4, fineweb (the enabled ones); the first failing rule wins. C4 may remove
 * lines: later filters, and {@link Verdict#text()}, see the shortened text.
 *
 * <p>Reject reasons, {@code <filter>.<rule>}:
 * <ul>
 *   <li>{@code gopher_quality.}{word_count, mean_word_length, hash_ratio, ellipsis_ratio,
 *       bullet_lines, ellipsis_lines, alpha_words, stop_words} ({@link GopherQualityFilter})
 *   <li>{@code gopher_repetition.}{dup_para_frac, dup_para_char_frac, dup_line_frac,
 *       dup_line_char_frac, top_&lt;n&gt;gram, dup_&lt;n&gt;gram} ({@link GopherRepetitionFilter})
 *   <li>{@code c4.}{lorem_ipsum, curly_bracket, num_sentences, empty} ({@link C4QualityFilter})
 *   <li>{@code fineweb.}{line_punct_ratio, short_line_ratio, char_dup_ratio, list_ratio} ({@link
 *       FineWebQualityFilter})
 * </ul>
 *
 * <p>Stateless after construction: thread-safe, and serializable for a Spark closure.
 */
public final class QualityFilters implements Serializable {

  private static final long serialVersionUID = 1L;

  private final QualityConfig config;
  private final GopherQualityFilter gopherQuality;
  private final GopherRepetitionFilter gopherRepetition;
  private final C4QualityFilter c4;
  private final FineWebQualityFilter fineWeb;

  /** Loads the configured stop-word lists and builds the (stateless) filters once. */
  public QualityFilters(QualityConfig c) {
    this.config = Objects.requireNonNull(c, "config");
    StopWordSet stopWords =
        new StopWordSet(c.stopWords().enabled() ? StopWordLists.union(c.stopWords().languages()) : Set.of());
    this.gopherQuality = new GopherQualityFilter(c.gopherQuality(), c.stopWords(), stopWords);
    this.gopherRepetition = new GopherRepetitionFilter(c.gopherRepetition());
    this.c4 = new C4QualityFilter(c.c4());
    this.fineWeb = new FineWebQualityFilter(c.fineWeb());
  }

  /** The configuration these filters run. */
  public QualityConfig config() {
    return config;
  }

  /**
   * Runs the enabled filters on one document.
   *
   * @param normalizedText text as produced by {@link org.verbo.prep.text.TextNormalizer}
   * @return kept (with the possibly shortened text) or the first failing rule with its measurement
   */
  public Verdict apply(String normalizedText) {
    return apply(normalizedText, false);
  }

  /**
   * {@link #apply(String)}; {@code normalized} says that {@code text} is an output of {@link
   * org.verbo.prep.text.TextNormalizer#normalize} (as every text of a prepare run is), so C4, which normalises
   * what it keeps, need not check again a text it kept whole. The verdict is the same either way.
   */
  public Verdict apply(String text, boolean normalized) {
    Objects.requireNonNull(text, "text");
    // Both Gopher filters read the same tokens, and FineWeb counts them again when C4 left the text as it was
    // (the common case): tokenise once. The tokenizer, both Gopher filters and C4 scan the same chars.
    char[] chars = text.toCharArray();
    WordTokenizer.Spans tokens = null;
    if (config.gopherQuality().enabled()) {
      tokens = WordTokenizer.spans(chars);
      Verdict v = gopherQuality.apply(text, chars, tokens);
      if (!v.kept()) {
        return v;
      }
    }
    if (config.gopherRepetition().enabled()) {
      if (tokens == null) {
        tokens = WordTokenizer.spans(chars);
      }
      Verdict v = gopherRepetition.apply(text, chars, tokens);
      if (!v.kept()) {
        return v;
      }
    }
    if (config.c4().enabled()) {
      Verdict v = c4.apply(text, chars, normalized);
      if (!v.kept()) {
        return v;
      }
      if (tokens != null && !v.text().equals(text)) {
        tokens = null; // C4 removed or changed lines: FineWeb counts the tokens of its text
      }
      text = v.text();
    }
    if (config.fineWeb().enabled()) {
      Verdict v = fineWeb.apply(text, tokens == null ? -1 : tokens.count());
      if (!v.kept()) {
        return v;
      }
    }
    return Verdict.keep(text);
  }

  /** Every reason {@link #apply(String)} can return under this configuration, for reports. */
  public List<String> rejectReasons() {
    List<String> r = new ArrayList<>();
    for (String rule :
        List.of("word_count", "mean_word_length", "hash_ratio", "ellipsis_ratio", "bullet_lines",
            "ellipsis_lines", "alpha_words", "stop_words")) {
      r.add(GopherQualityFilter.NAME + "." + rule);
    }
    for (String rule :
        List.of("dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac")) {
      r.add(GopherRepetitionFilter.NAME + "." + rule);
    }
    for (int n : config.gopherRepetition().topNgramCharFrac().keySet()) {
      r.add(GopherRepetitionFilter.NAME + ".top_" + n + "gram");
    }
    for (int n : config.gopherRepetition().dupNgramCharFrac().keySet()) {
      r.add(GopherRepetitionFilter.NAME + ".dup_" + n + "gram");
    }
    for (String rule : List.of("lorem_ipsum", "curly_bracket", "num_sentences", "empty")) {
      r.add(C4QualityFilter.NAME + "." + rule);
    }
    for (String rule : List.of("line_punct_ratio", "short_line_ratio", "char_dup_ratio", "list_ratio")) {
      r.add(FineWebQualityFilter.NAME + "." + rule);
    }
    return List.copyOf(r);
  }
}
