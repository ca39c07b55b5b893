package org.verbo.prep.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.verbo.prep.quality.Fixtures.only;
import static org.verbo.prep.quality.Fixtures.rep;
import static org.verbo.prep.quality.Fixtures.uniq;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each rule at its default threshold with every other repetition rule relaxed, on synthetic text
 * of distinct 5-character tokens ("w1000"), so lengths are easy to count: t tokens joined by
 * spaces are 6t - 1 characters.
 */
class GopherRepetitionFilterTest {

  private static final String RELAXED =
      "gopher_repetition { dup_line_frac = 1, dup_para_frac = 1, dup_line_char_frac = 1,"
          + " dup_para_char_frac = 1, top_ngram_char_frac { 2 = 100, 3 = 100, 4 = 100 },"
          + " dup_ngram_char_frac { 5 = 100, 6 = 100, 7 = 100, 8 = 100, 9 = 100, 10 = 100 } }\n";

  private static QualityFilters rule(String setting) {
    return only("gopher_repetition", RELAXED + "gopher_repetition." + setting);
  }

  private static void check(QualityFilters f, String pass, String fail, String reason, String detail) {
    Verdict ok = f.apply(pass);
    assertTrue(ok.kept(), () -> ok.rejectReason() + ": " + ok.detail());
    Verdict bad = f.apply(fail);
    assertEquals(reason, bad.rejectReason(), bad.detail());
    assertEquals(detail, bad.detail());
  }

  /** Six distinct 30-token blocks, then {@code copies} copies of "ok", joined by {@code sep}. */
  private static String withCopies(int copies, String sep) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      parts.add(uniq(1000 + 30 * i, 30));
    }
    parts.addAll(Collections.nCopies(copies, "ok"));
    return String.join(sep, parts);
  }

  /** Blocks U1, U2 (20 tokens each, 119 chars) and twice D (d tokens, 6d - 1 chars). */
  private static String twoUniqueTwoSame(int d, String sep) {
    String dup = uniq(5000, d);
    return String.join(sep, uniq(1000, 20), uniq(2000, 20), dup, dup);
  }

  @Test
  void duplicateParagraphFraction() {
    // 10 paragraphs with 3 duplicates = 0.3 passes; 11 with 4 = 0.3636 fails.
    check(rule("dup_para_frac = 0.3"), withCopies(4, "\n\n"), withCopies(5, "\n\n"),
        "gopher_repetition.dup_para_frac", "dup_para_frac=0.3636 > 0.3");
  }

  @Test
  void duplicateParagraphCharFraction() {
    // len = 2*119 + 2*(6d-1) + 3*2 = 242 + 12d; d=13: 77/398 = 0.1935; d=14: 83/410 = 0.2024.
    check(rule("dup_para_char_frac = 0.2"), twoUniqueTwoSame(13, "\n\n"), twoUniqueTwoSame(14, "\n\n"),
        "gopher_repetition.dup_para_char_frac", "dup_para_char_frac=0.2024 > 0.2");
  }

  @Test
  void duplicateLineFraction() {
    check(rule("dup_line_frac = 0.3"), withCopies(4, "\n"), withCopies(5, "\n"),
        "gopher_repetition.dup_line_frac", "dup_line_frac=0.3636 > 0.3");
  }

  @Test
  void duplicateLineCharFraction() {
    // len = 2*119 + 2*(6d-1) + 3 = 239 + 12d; d=13: 77/395 = 0.1949; d=14: 83/407 = 0.2039.
    check(rule("dup_line_char_frac = 0.2"), twoUniqueTwoSame(13, "\n"), twoUniqueTwoSame(14, "\n"),
        "gopher_repetition.dup_line_char_frac", "dup_line_char_frac=0.2039 > 0.2");
  }

  @Test
  void topTwoGramCharFraction() {
    // f filler tokens then " x y" ten times: len = 6f - 1 + 40; top 2-gram "x y" (3 chars) x 10.
    // f=19: 30/153 = 0.1961 passes; f=18: 30/147 = 0.2041 fails.
    String tail = " " + rep("x y", 10);
    check(rule("top_ngram_char_frac.2 = 0.2"), uniq(1000, 19) + tail, uniq(1000, 18) + tail,
        "gopher_repetition.top_2gram", "top_2gram=0.2041 > 0.2");
  }

  @Test
  void duplicatedFiveGramCharFraction() {
    // f filler tokens then G G, G = 5 tokens: one repeated 5-gram of 25 chars (spaces not counted);
    // len = 6(f+10) - 1. f=18: 25/167 = 0.1497 passes; f=17: 25/161 = 0.1553 fails.
    String g = uniq(5000, 5);
    check(rule("dup_ngram_char_frac.5 = 0.15"), uniq(1000, 18) + " " + g + " " + g,
        uniq(1000, 17) + " " + g + " " + g, "gopher_repetition.dup_5gram", "dup_5gram=0.1553 > 0.15");
  }

  @Test
  void findAllDuplicateJumpsOverARepeat() {
    // datatrove find_all_duplicate on a b a b a b, n=2: "a b"(0) new, "b a"(1) new, "a b"(2) seen
    // -> +2 chars, jump to 4: "a b" seen -> +2 chars, jump to 6: end. Total 4.
    assertEquals(4, GopherRepetitionFilter.duplicatedNgramChars(List.of("a", "b", "a", "b", "a", "b"), 2));
    // find_top_duplicate: "a b" occurs 3 times, "b a" twice: 3 chars x 3.
    assertEquals(9, GopherRepetitionFilter.topNgramChars(List.of("a", "b", "a", "b", "a", "b"), 2));
  }
}
