package org.verbo.prep.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.verbo.prep.quality.Fixtures.deCasas;
import static org.verbo.prep.quality.Fixtures.only;
import static org.verbo.prep.quality.Fixtures.rep;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Thresholds at their reference.conf defaults; each case computed by hand in its comment. */
class GopherQualityFilterTest {

  private static final QualityFilters GOPHER = only("gopher_quality", "");

  private static void assertRejected(String text, String reason, String detail) {
    Verdict v = GOPHER.apply(text);
    assertEquals(reason, v.rejectReason(), v.detail());
    assertEquals(detail, v.detail());
  }

  private static void assertKept(String text) {
    Verdict v = GOPHER.apply(text);
    assertTrue(v.kept(), () -> v.rejectReason() + ": " + v.detail());
  }

  @Test
  void wordCount() {
    // 25 "de" + 25 "casas": 50 words, mean (50+125)/50 = 3.5, "de" is a stop word.
    assertKept(deCasas(50));
    assertRejected(deCasas(49), "gopher_quality.word_count", "words=49 < 50");
    QualityFilters max60 = only("gopher_quality", "gopher_quality.max_doc_words = 60");
    assertTrue(max60.apply(deCasas(60)).kept());
    assertEquals("words=61 > 60", max60.apply(deCasas(61)).detail());
  }

  @Test
  void punctuationIsNotAWord() {
    // 49 words and 10 commas: still 49 words.
    assertRejected(deCasas(49) + rep(" ,", 10), "gopher_quality.word_count", "words=49 < 50");
  }

  @Test
  void meanWordLength() {
    // k "de" + (50-k) "casas": mean = (2k + 5(50-k))/50; k=33 -> 3.02, k=34 -> 2.96.
    assertKept(rep("de", 33) + " " + rep("casas", 17));
    assertRejected(
        rep("de", 34) + " " + rep("casas", 16),
        "gopher_quality.mean_word_length",
        "mean_word_length=2.9600 < 3.0");
    // "paralelepípedos" has 15 letters: k=20 -> (40+450)/50 = 9.8, k=19 -> (38+465)/50 = 10.06.
    assertKept(rep("de", 20) + " " + rep("paralelepípedos", 30));
    assertRejected(
        rep("de", 19) + " " + rep("paralelepípedos", 31),
        "gopher_quality.mean_word_length",
        "mean_word_length=10.0600 > 10.0");
  }

  @Test
  void hashRatio() {
    // h "#" tokens + 50 words: h/(50+h); 5/55 = 0.0909 passes, 6/56 = 0.1071 fails.
    assertKept(rep("#", 5) + " " + deCasas(50));
    assertRejected(rep("#", 6) + " " + deCasas(50), "gopher_quality.hash_ratio", "hash_ratio=0.1071 > 0.1");
  }

  @Test
  void ellipsisRatio() {
    // Same counts with "..." tokens (mid-line, so no line ends with an ellipsis).
    assertKept(rep("...", 5) + " " + deCasas(50));
    assertRejected(
        rep("...", 6) + " " + deCasas(50), "gopher_quality.ellipsis_ratio", "ellipsis_ratio=0.1071 > 0.1");
  }

  @Test
  void bulletLines() {
    // 20 lines of 5 words; b of them start with a bullet: 18/20 = 0.9 passes, 19/20 = 0.95 fails.
    assertKept(bulleted(18, "-"));
    assertKept(bulleted(18, "\u2022"));
    assertRejected(bulleted(19, "-"), "gopher_quality.bullet_lines", "bullet_lines=0.9500 > 0.9");
    assertRejected(bulleted(19, "\u2022"), "gopher_quality.bullet_lines", "bullet_lines=0.9500 > 0.9");
  }

  private static String bulleted(int bullets, String mark) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      lines.add((i < bullets ? mark + " " : "") + deCasas(5));
    }
    return String.join("\n", lines);
  }

  @Test
  void ellipsisLines() {
    // 10 lines of 6 words; e end with "...": 3/10 passes, 4/10 fails.
    // (ellipsis_ratio 4/64 = 0.0625 stays under 0.1)
    assertKept(ellipsisEnded(3));
    assertRejected(ellipsisEnded(4), "gopher_quality.ellipsis_lines", "ellipsis_lines=0.4000 > 0.3");
  }

  private static String ellipsisEnded(int e) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      lines.add(deCasas(6) + (i < e ? "..." : ""));
    }
    return String.join("\n", lines);
  }

  @Test
  void alphaWords() {
    // 40 alphabetic words + d numbers: 40/50 = 0.8 passes, 40/51 = 0.7843 fails.
    assertKept(deCasas(40) + " " + rep("12345", 10));
    assertRejected(
        deCasas(40) + " " + rep("12345", 11), "gopher_quality.alpha_words", "alpha_words=0.7843 < 0.8");
  }

  @Test
  void stopWords() {
    // "gato" is in neither list, "de" is Portuguese.
    assertKept(rep("gato", 48) + " de de");
    assertRejected(rep("gato", 49) + " de", "gopher_quality.stop_words", "stop_words=1 < 2");
    // English only: "de" no longer counts; Gopher's "the"/"of" count whatever their case.
    QualityFilters en = only("gopher_quality", "stop_words.languages = [en]");
    assertEquals("stop_words=0 < 2", en.apply(rep("gato", 48) + " de de").detail());
    assertTrue(en.apply(rep("gato", 48) + " The of").kept());
    // Rule switched off.
    assertTrue(only("gopher_quality", "stop_words.enabled = false").apply(rep("gato", 50)).kept());
  }

  @Test
  void disabledFilterLetsEverythingPass() {
    QualityFilters off = Fixtures.filters(
        "gopher_quality.enabled = false, gopher_repetition.enabled = false, c4.enabled = false,"
            + " fineweb.enabled = false");
    Verdict v = off.apply("de");
    assertTrue(v.kept());
    assertEquals("de", v.text());
  }
}
