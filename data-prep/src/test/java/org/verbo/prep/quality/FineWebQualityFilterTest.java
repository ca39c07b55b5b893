package org.verbo.prep.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.verbo.prep.quality.Fixtures.only;
import static org.verbo.prep.quality.Fixtures.uniq;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each rule at its default threshold; lines of distinct "w1234" tokens (6t - 1 characters). */
class FineWebQualityFilterTest {

  private static final QualityFilters FW = only("fineweb", "");

  private static void check(QualityFilters f, String pass, String fail, String reason, String detail) {
    Verdict ok = f.apply(pass);
    assertTrue(ok.kept(), () -> ok.rejectReason() + ": " + ok.detail());
    Verdict bad = f.apply(fail);
    assertEquals(reason, bad.rejectReason(), bad.detail());
    assertEquals(detail, bad.detail());
  }

  /** 25 lines of 8 tokens (47 chars); the first {@code p} end with ".". */
  private static String punctLines(int p) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      lines.add(uniq(1000 + 8 * i, 8) + (i < p ? "." : ""));
    }
    return String.join("\n", lines);
  }

  @Test
  void linePunctuationRatio() {
    // 4/25 = 0.16 passes; 3/25 = 0.12 is <= 0.12 and fails.
    check(FW, punctLines(4), punctLines(3), "fineweb.line_punct_ratio", "line_punct_ratio=0.1200 <= 0.12");
    assertEquals("fineweb.line_punct_ratio", FW.apply(punctLines(0)).rejectReason());
    assertTrue(only("fineweb", "fineweb.line_punct_exclude_zero = true").apply(punctLines(0)).kept());
  }

  /** 100 lines, all ending in "."; the first {@code s} are short (2 tokens + ".", 12 chars). */
  private static String shortLines(int s) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      lines.add(uniq(1000 + 8 * i, i < s ? 2 : 8) + ".");
    }
    return String.join("\n", lines);
  }

  @Test
  void shortLineRatio() {
    // 66/100 passes; 67/100 = 0.67 is >= 0.67 and fails.
    check(FW, shortLines(66), shortLines(67), "fineweb.short_line_ratio", "short_line_ratio=0.6700 >= 0.67");
  }

  /** 20 distinct 48-char lines, then {@code dup} twice. */
  private static String duplicated(String dup) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      lines.add(uniq(1000 + 8 * i, 8) + ".");
    }
    lines.add(dup);
    lines.add(dup);
    return String.join("\n", lines);
  }

  @Test
  void charDuplicatesRatio() {
    // 9-char duplicate: 9/(960+18) = 0.0092 passes; 10-char: 10/(960+20) = 0.0102 fails.
    check(FW, duplicated("Não, não."), duplicated("Sim e sim."), "fineweb.char_dup_ratio",
        "char_dup_ratio=0.0102 >= 0.01");
  }

  /** {@code n} lines "palavralongaNNN palavralongaMMM." (32 chars, 3 tokens each). */
  private static String listLines(int n) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      lines.add(String.format("palavralonga%03d palavralonga%03d.", 2 * i, 2 * i + 1));
    }
    return String.join("\n", lines);
  }

  @Test
  void newLineRatio() {
    // 10 lines: 9 breaks / 30 tokens = 0.3 passes; 11 lines: 10/33 = 0.3030 fails.
    check(FW, listLines(10), listLines(11), "fineweb.list_ratio", "list_ratio=0.3030 > 0.3");
  }

  @Test
  void paragraphBreaksAreNotShortLines() {
    // 3 lines in 3 paragraphs: blank separators are not counted as (short) lines.
    String text = uniq(1000, 8) + ".\n\n" + uniq(2000, 8) + ".\n\n" + uniq(3000, 8) + ".";
    assertTrue(FW.apply(text).kept());
  }
}
