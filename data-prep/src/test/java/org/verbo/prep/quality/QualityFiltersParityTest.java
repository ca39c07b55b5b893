package org.verbo.prep.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.verbo.prep.text.TextNormalizer;

/**
 * Parity of {@link QualityFilters} (spans, one tokenisation, no regular expressions) with its reference twin
 * {@link ReferenceQualityFilters} (the filters as they were). Tolerance: none; the {@link Verdict}s must be
 * equal, text, reject reason and detail string included.
 *
 * <p>Inputs: seeded random documents built from the sentences of {@code bpe/corpus-train.txt} (real
 * Portuguese and English) and from pieces chosen to hit every rule and every special case of the fast paths
 * (bullets, ellipses, citations, curly brackets, "lorem ipsum", policy phrases, upper case and characters
 * whose lower case is not one char — U+0130, U+03A3, the Kelvin sign —, supplementary characters, lone
 * surrogates, combining marks, non-ASCII whitespace, repeated lines and paragraphs), half of them normalised
 * first as prepare does, half raw; run under the defaults and under seeded random configurations whose
 * thresholds let documents reach the later rules.
 */
class QualityFiltersParityTest {

  private static final String[] PIECES = {
    "a", "b", "o", "de", "the", "The", "THE", "and", "que", "Não", "ação", "gato", "casa", "d'água", "guarda-chuva",
    "3.14", "1.000,50", "#", "##", "...", "\u2026", ".", "!", "?", ",", ";", "\"", "'", "\u201D", "\u2019",
    "\u00BB", ")", "]", "[1]", "[12]", "[]", "[edit]", "[citation needed]", "{", "}", "lorem ipsum", "Lorem Ipsum",
    "JavaScript", "javascript", "Privacy Policy", "política de privacidade", "uses cookies", "\u2022", "-",
    "\u2022 item", "- item", "\u0130", "\u03A3", "\u03A3\u039F\u03A3", "\u212A", "\u00DF", "\u00B5", "𝔸", "😀",
    "\uD800", "\uDC00", "e\u0301", "\u0301", "\u00A0", "\u2003", "\u000B", "\u001C", "\t", " ", "  ", "\n", "\n\n",
    "\n\n\n", "\r\n", "\u2028", "\u200B", "\u200D", "\u00AD", "日本", "x".repeat(40), "y".repeat(1001),
    "\u0660\u0661", "\u2160", "\u02B0", "\u3007", "_", "@", "w1", "w2", "w3",
  };

  @Test
  void defaultsAgreeOnRandomAndRealDocuments() throws IOException {
    assertParity(QualityConfig.defaults(), 3000, 1);
  }

  @Test
  void randomConfigurationsAgree() throws IOException {
    Random rnd = new Random(20261202L);
    for (int k = 0; k < 60; k++) {
      assertParity(randomConfig(rnd), 200, 100 + k);
    }
  }

  @Test
  void everyRejectReasonIsReached() throws IOException {
    // The parity above is only as good as the rules it reaches: check that the random inputs and configurations
    // together produce every reason (the n-gram ones for the default sizes).
    Random rnd = new Random(20261203L);
    Map<String, Integer> reasons = new HashMap<>();
    List<String> sentences = sentences();
    for (int k = 0; k < 60; k++) {
      QualityConfig c = randomConfig(rnd);
      QualityFilters fast = new QualityFilters(c);
      for (int i = 0; i < 200; i++) {
        Verdict v = fast.apply(document(rnd, sentences));
        reasons.merge(v.kept() ? "kept" : v.rejectReason(), 1, Integer::sum);
      }
    }
    for (String r : new QualityFilters(QualityConfig.defaults()).rejectReasons()) {
      assertTrue(reasons.containsKey(r), () -> "never reached: " + r + " in " + reasons);
    }
    assertTrue(reasons.containsKey("kept"));
  }

  private static void assertParity(QualityConfig c, int docs, long seed) throws IOException {
    QualityFilters fast = new QualityFilters(c);
    ReferenceQualityFilters ref = new ReferenceQualityFilters(c);
    Random rnd = new Random(seed);
    List<String> sentences = sentences();
    for (int i = 0; i < docs; i++) {
      String doc = document(rnd, sentences);
      Verdict want = ref.apply(doc);
      Verdict got = fast.apply(doc);
      assertEquals(want, got, () -> "seed " + seed + ", document: " + escape(doc));
      if (TextNormalizer.normalize(doc).equals(doc)) {
        // What prepare runs: the caller vouches the text is normalised, and C4 keeps a text it kept whole as is.
        assertEquals(want, fast.apply(doc, true), () -> "normalized, seed " + seed + ", document: " + escape(doc));
      }
    }
  }

  /** A random document: real sentences, crafted pieces, repeats; normalised half of the time. */
  static String document(Random rnd, List<String> sentences) {
    StringBuilder sb = new StringBuilder();
    List<String> lines = new ArrayList<>();
    int nLines = rnd.nextInt(rnd.nextInt(8) == 0 ? 3 : 40);
    for (int l = 0; l < nLines; l++) {
      StringBuilder line = new StringBuilder();
      int kind = rnd.nextInt(10);
      if (kind < 4) {
        line.append(sentences.get(rnd.nextInt(sentences.size())));
        if (rnd.nextBoolean()) {
          line.append(' ').append(sentences.get(rnd.nextInt(sentences.size())));
        }
      } else if (kind < 5 && !lines.isEmpty()) {
        line.append(lines.get(rnd.nextInt(lines.size()))); // a repeated line
      } else {
        for (int p = 1 + rnd.nextInt(14); p > 0; p--) {
          line.append(PIECES[rnd.nextInt(PIECES.length)]);
          if (rnd.nextInt(3) > 0) {
            line.append(' ');
          }
        }
      }
      if (rnd.nextInt(4) == 0) {
        line.append(PIECES[rnd.nextInt(PIECES.length)]); // an odd ending
      }
      lines.add(line.toString());
    }
    for (String line : lines) {
      sb.append(line);
      int br = rnd.nextInt(10);
      sb.append(br < 6 ? "\n" : br < 9 ? "\n\n" : rnd.nextBoolean() ? "\n \n\n" : " ");
    }
    String raw = sb.toString();
    return rnd.nextBoolean() ? TextNormalizer.normalize(raw) : raw;
  }

  /** Random but valid settings, wide enough for documents of a few dozen words to reach every rule. */
  static QualityConfig randomConfig(Random rnd) {
    String hocon = String.join("\n",
        "gopher_quality.enabled = " + (rnd.nextInt(5) > 0),
        "gopher_quality.min_doc_words = " + rnd.nextInt(30),
        "gopher_quality.max_doc_words = " + (30 + rnd.nextInt(400)),
        "gopher_quality.min_avg_word_length = " + f(rnd.nextDouble() * 3),
        "gopher_quality.max_avg_word_length = " + f(3 + rnd.nextDouble() * 8),
        "gopher_quality.max_symbol_word_ratio = " + f(rnd.nextDouble() * 0.3),
        "gopher_quality.max_bullet_lines_ratio = " + f(rnd.nextDouble()),
        "gopher_quality.max_ellipsis_lines_ratio = " + f(rnd.nextDouble()),
        "gopher_quality.min_alpha_words_ratio = " + f(rnd.nextDouble()),
        "stop_words.enabled = " + rnd.nextBoolean(),
        "stop_words.languages = " + (rnd.nextBoolean() ? "[pt, en]" : "[en]"),
        "stop_words.min_stop_words = " + rnd.nextInt(6),
        "gopher_repetition.enabled = " + (rnd.nextInt(5) > 0),
        "gopher_repetition.dup_line_frac = " + f(rnd.nextDouble()),
        "gopher_repetition.dup_para_frac = " + f(rnd.nextDouble()),
        "gopher_repetition.dup_line_char_frac = " + f(rnd.nextDouble()),
        "gopher_repetition.dup_para_char_frac = " + f(rnd.nextDouble()),
        "gopher_repetition.top_ngram_char_frac { 2 = " + f(rnd.nextDouble() * 0.5) + ", 3 = "
            + f(rnd.nextDouble() * 0.5) + ", " + (1 + rnd.nextInt(12)) + " = " + f(rnd.nextDouble() * 0.5) + " }",
        "gopher_repetition.dup_ngram_char_frac { 5 = " + f(rnd.nextDouble() * 0.5) + ", "
            + (1 + rnd.nextInt(12)) + " = " + f(rnd.nextDouble() * 0.5) + ", 10 = " + f(rnd.nextDouble() * 0.3)
            + " }",
        "c4.enabled = " + (rnd.nextInt(5) > 0),
        "c4.filter_no_terminal_punct = " + rnd.nextBoolean(),
        "c4.min_words_per_line = " + rnd.nextInt(5),
        "c4.max_word_length = " + (rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(60)),
        "c4.min_num_sentences = " + rnd.nextInt(8),
        "c4.remove_citations = " + rnd.nextBoolean(),
        "c4.filter_lorem_ipsum = " + rnd.nextBoolean(),
        "c4.filter_javascript = " + rnd.nextBoolean(),
        "c4.filter_curly_bracket = " + (rnd.nextInt(3) == 0),
        "c4.filter_policy = " + rnd.nextBoolean(),
        "fineweb.enabled = " + (rnd.nextInt(5) > 0),
        "fineweb.line_punct_thr = " + f(rnd.nextDouble() * 0.5),
        "fineweb.line_punct_exclude_zero = " + rnd.nextBoolean(),
        "fineweb.short_line_thr = " + f(0.3 + rnd.nextDouble() * 0.7),
        "fineweb.short_line_length = " + rnd.nextInt(40),
        "fineweb.char_duplicates_ratio = " + f(rnd.nextDouble() * 0.5),
        "fineweb.new_line_ratio = " + f(rnd.nextDouble() * 0.5));
    return QualityConfig.from(ConfigFactory.parseString(hocon));
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  static List<String> sentences() throws IOException {
    List<String> out = new ArrayList<>();
    try (InputStream in = QualityFiltersParityTest.class.getResourceAsStream("/bpe/corpus-train.txt")) {
      for (String s : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!s.isBlank()) {
          out.add(s.strip());
        }
      }
    }
    return out;
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    s.chars().forEach(c -> sb.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\u%04X", c)));
    return sb.toString();
  }
}
