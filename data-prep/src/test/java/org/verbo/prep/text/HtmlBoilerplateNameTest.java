package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link HtmlTextExtractor#namesBoilerplate} (parts found by position) against its reference twin, the
 * {@code [-_]} regular-expression split: the same answer on hand-picked edge cases and on seeded random
 * tokens of boilerplate words, other words, separators and case variants.
 */
class HtmlBoilerplateNameTest {

  private static final String[] PIECES = {"nav", "NAV", "menu", "Footer", "sidebar", "cookie", "main", "x", "İ", "-",
    "_", "--", "_-", "navbar", "breadcrumbs", "item", ""};

  @Test
  void agreesWithTheRegexSplit() {
    for (String t : new String[] {"", "-", "--", "nav", "nav-", "-nav", "a--nav", "nav--a", "x-nav-", "_nav_", "a_b",
        "main-nav", "menu-item", "site-footer", "cookie-banner", "has-sidebar", "NAV", "-x-"}) {
      assertEquals(HtmlTextExtractor.namesBoilerplateByRegex(t), HtmlTextExtractor.namesBoilerplate(t), t);
    }
    Random rnd = new Random(20261212L);
    for (int trial = 0; trial < 100_000; trial++) {
      StringBuilder sb = new StringBuilder();
      for (int i = rnd.nextInt(6); i > 0; i--) {
        sb.append(PIECES[rnd.nextInt(PIECES.length)]);
      }
      String t = sb.toString();
      assertEquals(HtmlTextExtractor.namesBoilerplateByRegex(t), HtmlTextExtractor.namesBoilerplate(t), t);
    }
  }

  /** Class attributes: the runs {@link HtmlTextExtractor#classNamesBoilerplate} reads against jsoup's own split. */
  @Test
  void classNamesAgreeWithJsoupsSplit() {
    String[] spaces = {" ", "  ", "\t", "\n", "\u000B", "\f", "\r", "\u001C", "\u00A0", ""};
    Random rnd = new Random(20261213L);
    for (int trial = 0; trial < 50_000; trial++) {
      StringBuilder sb = new StringBuilder();
      for (int i = rnd.nextInt(5); i > 0; i--) {
        sb.append(spaces[rnd.nextInt(spaces.length)]).append(PIECES[rnd.nextInt(PIECES.length)]);
      }
      sb.append(spaces[rnd.nextInt(spaces.length)]);
      org.jsoup.nodes.Element e = new org.jsoup.nodes.Element("div").attr("class", sb.toString());
      boolean reference = false;
      for (String cls : e.classNames()) {
        reference |= HtmlTextExtractor.namesBoilerplate(cls);
      }
      assertEquals(reference, HtmlTextExtractor.classNamesBoilerplate(e.className()), sb.toString());
    }
  }
}
