package org.verbo.prep.quality;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Settings of the four heuristic filters and of the stop-word rule; HOCON block {@code
 * verbo.prepare.quality} (see reference.conf for every key, its default and its meaning). Each
 * compact constructor rejects a bad value with an {@link IllegalArgumentException} naming the key.
 *
 * @param gopherQuality {@code gopher_quality}
 * @param gopherRepetition {@code gopher_repetition}
 * @param c4 {@code c4}
 * @param fineWeb {@code fineweb}
 * @param stopWords {@code stop_words}
 */
public record QualityConfig(
    GopherQuality gopherQuality,
    GopherRepetition gopherRepetition,
    C4 c4,
    FineWeb fineWeb,
    StopWords stopWords)
    implements Serializable {

  /** Path of the block in the application config. */
  public static final String CONFIG_PATH = "verbo.prepare.quality";

  public QualityConfig {
    if (gopherQuality == null
        || gopherRepetition == null
        || c4 == null
        || fineWeb == null
        || stopWords == null) {
      throw new IllegalArgumentException("quality: every filter block must be set");
    }
  }

  /**
   * Gopher quality rules (Rae et al. 2021, "Scaling Language Models", Table A1; datatrove {@code
   * GopherQualityFilter}).
   *
   * @param enabled run the filter
   * @param minDocWords {@code min_doc_words}, >= 0
   * @param maxDocWords {@code max_doc_words}, >= min_doc_words
   * @param minAvgWordLength {@code min_avg_word_length}, >= 0
   * @param maxAvgWordLength {@code max_avg_word_length}, >= min_avg_word_length
   * @param maxSymbolWordRatio {@code max_symbol_word_ratio}, >= 0
   * @param maxBulletLinesRatio {@code max_bullet_lines_ratio}, in [0, 1]
   * @param maxEllipsisLinesRatio {@code max_ellipsis_lines_ratio}, in [0, 1]
   * @param minAlphaWordsRatio {@code min_alpha_words_ratio}, in [0, 1]
   */
  public record GopherQuality(
      boolean enabled,
      int minDocWords,
      int maxDocWords,
      double minAvgWordLength,
      double maxAvgWordLength,
      double maxSymbolWordRatio,
      double maxBulletLinesRatio,
      double maxEllipsisLinesRatio,
      double minAlphaWordsRatio)
      implements Serializable {
    public GopherQuality {
      String p = "gopher_quality.";
      atLeast(p + "min_doc_words", minDocWords, 0);
      atLeast(p + "max_doc_words", maxDocWords, minDocWords);
      atLeast(p + "min_avg_word_length", minAvgWordLength, 0);
      atLeast(p + "max_avg_word_length", maxAvgWordLength, minAvgWordLength);
      atLeast(p + "max_symbol_word_ratio", maxSymbolWordRatio, 0);
      fraction(p + "max_bullet_lines_ratio", maxBulletLinesRatio);
      fraction(p + "max_ellipsis_lines_ratio", maxEllipsisLinesRatio);
      fraction(p + "min_alpha_words_ratio", minAlphaWordsRatio);
    }
  }

  /**
   * The Gopher stop-word rule: at least {@code min_stop_words} occurrences of words from the union
   * of the lists {@code verbo/stopwords/<lang>.txt} of {@code languages}.
   *
   * @param enabled run the rule (only when gopher_quality is enabled)
   * @param languages codes of the bundled lists, e.g. {@code [pt, en]}; non-empty when enabled
   * @param minStopWords {@code min_stop_words}, >= 0
   */
  public record StopWords(boolean enabled, List<String> languages, int minStopWords)
      implements Serializable {
    public StopWords {
      if (languages == null) {
        throw new IllegalArgumentException("stop_words.languages must be set");
      }
      languages = List.copyOf(languages);
      if (enabled && languages.isEmpty()) {
        throw new IllegalArgumentException("stop_words.languages must not be empty when enabled");
      }
      for (String lang : languages) {
        if (!StopWordLists.available(lang)) {
          throw new IllegalArgumentException(
              "stop_words.languages: no stop-word list for '"
                  + lang
                  + "' (expected resource "
                  + StopWordLists.resource(lang)
                  + ")");
        }
      }
      atLeast("stop_words.min_stop_words", minStopWords, 0);
    }
  }

  /**
   * Gopher repetition rules (Rae et al. 2021, Table A1; datatrove {@code GopherRepetitionFilter}).
   *
   * @param enabled run the filter
   * @param dupLineFrac {@code dup_line_frac}, in [0, 1]
   * @param dupParaFrac {@code dup_para_frac}, in [0, 1]
   * @param dupLineCharFrac {@code dup_line_char_frac}, in [0, 1]
   * @param dupParaCharFrac {@code dup_para_char_frac}, in [0, 1]
   * @param topNgramCharFrac {@code top_ngram_char_frac}: n (>= 1) → max fraction (>= 0)
   * @param dupNgramCharFrac {@code dup_ngram_char_frac}: n (>= 1) → max fraction (>= 0)
   */
  public record GopherRepetition(
      boolean enabled,
      double dupLineFrac,
      double dupParaFrac,
      double dupLineCharFrac,
      double dupParaCharFrac,
      SortedMap<Integer, Double> topNgramCharFrac,
      SortedMap<Integer, Double> dupNgramCharFrac)
      implements Serializable {
    public GopherRepetition {
      String p = "gopher_repetition.";
      fraction(p + "dup_line_frac", dupLineFrac);
      fraction(p + "dup_para_frac", dupParaFrac);
      fraction(p + "dup_line_char_frac", dupLineCharFrac);
      fraction(p + "dup_para_char_frac", dupParaCharFrac);
      topNgramCharFrac = ngrams(p + "top_ngram_char_frac", topNgramCharFrac);
      dupNgramCharFrac = ngrams(p + "dup_ngram_char_frac", dupNgramCharFrac);
    }

    private static SortedMap<Integer, Double> ngrams(String key, SortedMap<Integer, Double> m) {
      if (m == null) {
        throw new IllegalArgumentException(key + " must be set");
      }
      TreeMap<Integer, Double> copy = new TreeMap<>();
      for (Map.Entry<Integer, Double> e : m.entrySet()) {
        if (e.getKey() == null || e.getKey() < 1) {
          throw new IllegalArgumentException(key + ": n must be >= 1, got " + e.getKey());
        }
        if (e.getValue() == null) {
          throw new IllegalArgumentException(key + "." + e.getKey() + " must be set");
        }
        atLeast(key + "." + e.getKey(), e.getValue(), 0);
        copy.put(e.getKey(), e.getValue());
      }
      return Collections.unmodifiableSortedMap(copy);
    }
  }

  /**
   * C4 rules (Raffel et al. 2020, section 2.2; datatrove {@code C4QualityFilter}), with FineWeb's
   * {@code filter_no_terminal_punct = false} as default.
   *
   * @param enabled run the filter
   * @param filterNoTerminalPunct remove lines without terminal punctuation
   * @param minWordsPerLine remove lines with fewer words, >= 0 (0 = off)
   * @param maxWordLength remove lines with a longer word, >= 0 (0 = off)
   * @param minNumSentences reject when fewer sentences remain, >= 0 (0 = off)
   * @param removeCitations strip Wikipedia citation marks
   * @param filterLoremIpsum reject documents with "lorem ipsum"
   * @param filterJavascript remove lines with "javascript"
   * @param filterCurlyBracket reject documents with "{"
   * @param filterPolicy remove lines with a policy phrase
   * @param policySubstrings the policy phrases (matched lower-case)
   */
  public record C4(
      boolean enabled,
      boolean filterNoTerminalPunct,
      int minWordsPerLine,
      int maxWordLength,
      int minNumSentences,
      boolean removeCitations,
      boolean filterLoremIpsum,
      boolean filterJavascript,
      boolean filterCurlyBracket,
      boolean filterPolicy,
      List<String> policySubstrings)
      implements Serializable {
    public C4 {
      atLeast("c4.min_words_per_line", minWordsPerLine, 0);
      atLeast("c4.max_word_length", maxWordLength, 0);
      atLeast("c4.min_num_sentences", minNumSentences, 0);
      if (policySubstrings == null) {
        throw new IllegalArgumentException("c4.policy_substrings must be set");
      }
      List<String> lower = new ArrayList<>();
      for (String s : policySubstrings) {
        if (s == null || s.isBlank()) {
          throw new IllegalArgumentException("c4.policy_substrings must not hold blank phrases");
        }
        lower.add(s.toLowerCase(Locale.ROOT));
      }
      policySubstrings = List.copyOf(lower);
    }
  }

  /**
   * FineWeb rules (Penedo et al. 2024, "The FineWeb Datasets"; datatrove {@code
   * FineWebQualityFilter}).
   *
   * @param enabled run the filter
   * @param linePunctThr {@code line_punct_thr}, in [0, 1]
   * @param linePunctExcludeZero {@code line_punct_exclude_zero}
   * @param shortLineThr {@code short_line_thr}, in [0, 1]
   * @param shortLineLength {@code short_line_length}, >= 0
   * @param charDuplicatesRatio {@code char_duplicates_ratio}, in [0, 1]
   * @param newLineRatio {@code new_line_ratio}, >= 0
   */
  public record FineWeb(
      boolean enabled,
      double linePunctThr,
      boolean linePunctExcludeZero,
      double shortLineThr,
      int shortLineLength,
      double charDuplicatesRatio,
      double newLineRatio)
      implements Serializable {
    public FineWeb {
      fraction("fineweb.line_punct_thr", linePunctThr);
      fraction("fineweb.short_line_thr", shortLineThr);
      atLeast("fineweb.short_line_length", shortLineLength, 0);
      fraction("fineweb.char_duplicates_ratio", charDuplicatesRatio);
      atLeast("fineweb.new_line_ratio", newLineRatio, 0);
    }
  }

  /** The reference.conf defaults. */
  public static QualityConfig defaults() {
    return from(ConfigFactory.empty());
  }

  /**
   * Reads the {@code verbo.prepare.quality} block; missing keys take their reference.conf default.
   *
   * @param quality the block itself (not the root config)
   * @throws IllegalArgumentException naming the key for an unknown key, a wrong type or a bad value
   */
  public static QualityConfig from(Config quality) {
    Config ref =
        ConfigFactory.defaultReference(QualityConfig.class.getClassLoader()).getConfig(CONFIG_PATH);
    for (Map.Entry<String, ConfigValue> e : quality.entrySet()) {
      List<String> path = ConfigUtil.splitPath(e.getKey());
      boolean ngramEntry =
          path.size() == 3
              && path.get(0).equals("gopher_repetition")
              && (path.get(1).equals("top_ngram_char_frac")
                  || path.get(1).equals("dup_ngram_char_frac"));
      if (!ngramEntry && !ref.hasPath(e.getKey())) {
        throw new IllegalArgumentException("unknown key quality." + e.getKey());
      }
    }
    Config c = quality.withFallback(ref);
    try {
      return new QualityConfig(
          new GopherQuality(
              c.getBoolean("gopher_quality.enabled"),
              c.getInt("gopher_quality.min_doc_words"),
              c.getInt("gopher_quality.max_doc_words"),
              c.getDouble("gopher_quality.min_avg_word_length"),
              c.getDouble("gopher_quality.max_avg_word_length"),
              c.getDouble("gopher_quality.max_symbol_word_ratio"),
              c.getDouble("gopher_quality.max_bullet_lines_ratio"),
              c.getDouble("gopher_quality.max_ellipsis_lines_ratio"),
              c.getDouble("gopher_quality.min_alpha_words_ratio")),
          new GopherRepetition(
              c.getBoolean("gopher_repetition.enabled"),
              c.getDouble("gopher_repetition.dup_line_frac"),
              c.getDouble("gopher_repetition.dup_para_frac"),
              c.getDouble("gopher_repetition.dup_line_char_frac"),
              c.getDouble("gopher_repetition.dup_para_char_frac"),
              ngramMap(c, "gopher_repetition.top_ngram_char_frac"),
              ngramMap(c, "gopher_repetition.dup_ngram_char_frac")),
          new C4(
              c.getBoolean("c4.enabled"),
              c.getBoolean("c4.filter_no_terminal_punct"),
              c.getInt("c4.min_words_per_line"),
              c.getInt("c4.max_word_length"),
              c.getInt("c4.min_num_sentences"),
              c.getBoolean("c4.remove_citations"),
              c.getBoolean("c4.filter_lorem_ipsum"),
              c.getBoolean("c4.filter_javascript"),
              c.getBoolean("c4.filter_curly_bracket"),
              c.getBoolean("c4.filter_policy"),
              c.getStringList("c4.policy_substrings")),
          new FineWeb(
              c.getBoolean("fineweb.enabled"),
              c.getDouble("fineweb.line_punct_thr"),
              c.getBoolean("fineweb.line_punct_exclude_zero"),
              c.getDouble("fineweb.short_line_thr"),
              c.getInt("fineweb.short_line_length"),
              c.getDouble("fineweb.char_duplicates_ratio"),
              c.getDouble("fineweb.new_line_ratio")),
          new StopWords(
              c.getBoolean("stop_words.enabled"),
              c.getStringList("stop_words.languages"),
              c.getInt("stop_words.min_stop_words")));
    } catch (ConfigException bad) {
      // Typesafe's message names the path, e.g. "fineweb.line_punct_thr has type STRING rather
      // than NUMBER"; callers only need to catch IllegalArgumentException.
      throw new IllegalArgumentException("quality: " + bad.getMessage(), bad);
    }
  }

  private static SortedMap<Integer, Double> ngramMap(Config c, String key) {
    Config block = c.getConfig(key);
    TreeMap<Integer, Double> m = new TreeMap<>();
    for (String n : block.root().keySet()) {
      int size;
      try {
        size = Integer.parseInt(n);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + ": key '" + n + "' is not an n-gram size");
      }
      m.put(size, block.getDouble(ConfigUtil.quoteString(n)));
    }
    return m;
  }

  static void atLeast(String key, double value, double min) {
    if (!(value >= min)) {
      throw new IllegalArgumentException(key + " must be >= " + min + ", got " + value);
    }
  }

  static void atLeast(String key, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(key + " must be >= " + min + ", got " + value);
    }
  }

  static void fraction(String key, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(key + " must be in [0, 1], got " + value);
    }
  }
}
