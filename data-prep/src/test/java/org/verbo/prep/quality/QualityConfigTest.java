package org.verbo.prep.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class QualityConfigTest {

  @Test
  void defaultsAreThePublishedValues() {
    // Values typed from Gopher Table A1, the C4 paper and the FineWeb recipe, not from reference.conf.
    QualityConfig c = QualityConfig.defaults();
    assertEquals(
        new QualityConfig.GopherQuality(true, 50, 100000, 3, 10, 0.1, 0.9, 0.3, 0.8), c.gopherQuality());
    assertEquals(
        new QualityConfig.GopherRepetition(
            true, 0.3, 0.3, 0.2, 0.2,
            new TreeMap<>(Map.of(2, 0.20, 3, 0.18, 4, 0.16)),
            new TreeMap<>(Map.of(5, 0.15, 6, 0.14, 7, 0.13, 8, 0.12, 9, 0.11, 10, 0.10))),
        c.gopherRepetition());
    QualityConfig.C4 c4 = c.c4();
    assertFalse(c4.filterNoTerminalPunct());
    assertEquals(3, c4.minWordsPerLine());
    assertEquals(1000, c4.maxWordLength());
    assertEquals(5, c4.minNumSentences());
    assertTrue(c4.policySubstrings().containsAll(
        List.of("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")));
    assertEquals(new QualityConfig.FineWeb(true, 0.12, false, 0.67, 30, 0.01, 0.3), c.fineWeb());
    assertEquals(new QualityConfig.StopWords(true, List.of("pt", "en"), 2), c.stopWords());
  }

  @Test
  void hoconOverridesAThreshold() {
    String twelveWords = Fixtures.deCasas(12);
    QualityFilters strict = Fixtures.only("gopher_quality", "");
    assertEquals("words=12 < 50", strict.apply(twelveWords).detail());
    QualityFilters lax = Fixtures.only("gopher_quality", "gopher_quality { min_doc_words = 10 }");
    assertEquals(10, lax.config().gopherQuality().minDocWords());
    assertTrue(lax.apply(twelveWords).kept());
  }

  @Test
  void ngramMapsMergeWithTheDefaults() {
    QualityConfig c =
        QualityConfig.from(ConfigFactory.parseString("gopher_repetition.top_ngram_char_frac { 2 = 0.5, 5 = 0.1 }"));
    assertEquals(
        new TreeMap<>(Map.of(2, 0.5, 3, 0.18, 4, 0.16, 5, 0.1)), c.gopherRepetition().topNgramCharFrac());
    assertTrue(new QualityFilters(c).rejectReasons().contains("gopher_repetition.top_5gram"));
  }

  @Test
  void badValuesNameTheKey() {
    assertKey("gopher_quality.min_doc_words = -5", "gopher_quality.min_doc_words");
    assertKey("gopher_quality.max_doc_words = 10", "gopher_quality.max_doc_words");
    assertKey("gopher_repetition.dup_line_frac = 1.5", "gopher_repetition.dup_line_frac");
    assertKey("gopher_repetition.dup_ngram_char_frac { 0 = 0.1 }", "gopher_repetition.dup_ngram_char_frac");
    assertKey("fineweb.line_punct_thr = abc", "fineweb.line_punct_thr");
    assertKey("c4.min_num_sentences = -1", "c4.min_num_sentences");
    assertKey("c4.min_word_per_line = 3", "c4.min_word_per_line");
    assertKey("stop_words.languages = [xx]", "stop_words.languages");
    assertKey("stop_words.languages = [\"../x\"]", "stop_words.languages");
  }

  private static void assertKey(String hocon, String key) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> QualityConfig.from(ConfigFactory.parseString(hocon)),
            hocon);
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }
}
