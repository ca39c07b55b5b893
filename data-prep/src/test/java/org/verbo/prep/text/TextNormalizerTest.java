package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextNormalizerTest {

  @Test
  void lineBreaksBecomeLf() {
    assertEquals("a\nb\nc", TextNormalizer.normalize("a\r\nb\rc"));
    assertEquals("a\nb", TextNormalizer.normalize("a\u2028b"));
    assertEquals("a\nb", TextNormalizer.normalize("a\u0085b"));
    assertEquals("a\n\nb", TextNormalizer.normalize("a\u2029b"));
  }

  @Test
  void tabsAndOtherWhitespaceBecomeOneSpace() {
    assertEquals("a b c d", TextNormalizer.normalize("a\t\tb\u00A0\u00A0c\u202Fd"));
    assertEquals("a b", TextNormalizer.normalize("a\u000B\u000Cb"));
  }

  @Test
  void spacesCollapseAndLinesAreTrimmed() {
    assertEquals("Olá, mundo!", TextNormalizer.normalize("  Olá,   mundo!  "));
    assertEquals("a b\nc", TextNormalizer.normalize("  a   b  \n   c "));
  }

  @Test
  void blankLineRunsBecomeOneParagraphBreak() {
    assertEquals("p1\n\np2", TextNormalizer.normalize("p1\n\n\n\np2"));
    assertEquals("p1\n\np2", TextNormalizer.normalize("p1\n \t \n\u00A0\np2"));
    assertEquals("l1\nl2\n\np2", TextNormalizer.normalize("l1\nl2\n\np2"));
    assertEquals("a", TextNormalizer.normalize("\n\n  a \n\n \n"));
  }

  @Test
  void controlAndFormatCharactersAreRemoved() {
    assertEquals("abc", TextNormalizer.normalize("a\u0000b\u001Bc\u007F"));
    assertEquals("zero", TextNormalizer.normalize("\uFEFFze\u200Bro"));
    assertEquals("casa", TextNormalizer.normalize("ca\u00ADsa"));
    assertEquals("ab", TextNormalizer.normalize("a\u0090b"));
    assertEquals("xy", TextNormalizer.normalize("x\uD800y"), "lone surrogate");
    // ZWJ is kept: it holds emoji sequences together.
    assertEquals("\uD83D\uDC68\u200D\uD83D\uDCBB", TextNormalizer.normalize("\uD83D\uDC68\u200D\uD83D\uDCBB"));
  }

  @Test
  void composesToNfc() {
    String decomposed = "ac\u0327a\u0303o";
    String out = TextNormalizer.normalize(decomposed);
    assertEquals("ação", out);
    assertEquals(4, out.length());
    // a removed zero-width space no longer blocks composition
    assertEquals("á", TextNormalizer.normalize("a\u200B\u0301"));
  }

  @Test
  void emptyAndInvisibleInputGiveEmpty() {
    assertEquals("", TextNormalizer.normalize(""));
    assertEquals("", TextNormalizer.normalize(" \n\t\u200B\r\n "));
  }

  @Test
  void isIdempotent() {
    List<String> samples =
        List.of(
            "  Olá,\t\tmundo!  \r\n\r\n\r\n segunda  linha\u00A0\n",
            "ac\u0327a\u0303o\u200B e\u0301 \u2029 fim",
            "a\n \nb\n\n\nc\u2028d");
    for (String s : samples) {
      String once = TextNormalizer.normalize(s);
      assertEquals(once, TextNormalizer.normalize(once), s);
    }
    // Seeded random strings over a palette that exercises every rule.
    char[] palette = {'a', 'ç', 'e', '\u0301', ' ', '\t', '\n', '\r', '\u00A0', '\u200B', '\u0000',
        '\u2028', '\u2029', 'X', '.', '\uFEFF', '\u000B'};
    Random rnd = new Random(7);
    for (int t = 0; t < 500; t++) {
      StringBuilder sb = new StringBuilder();
      int len = rnd.nextInt(40);
      for (int i = 0; i < len; i++) {
        sb.append(palette[rnd.nextInt(palette.length)]);
      }
      String once = TextNormalizer.normalize(sb.toString());
      assertEquals(once, TextNormalizer.normalize(once), "input #" + t);
    }
  }
}
