package org.verbo.prep.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.verbo.prep.quality.Fixtures.only;

import org.junit.jupiter.api.Test;

class C4QualityFilterTest {

  /** Five one-sentence lines. */
  private static final String FIVE =
      "O rio corre para o mar.\n"
          + "A cidade acordou cedo hoje.\n"
          + "Os alunos estudam na biblioteca.\n"
          + "O mercado abre às oito horas.\n"
          + "Choveu muito durante a noite.";

  private static final QualityFilters C4 = only("c4", "");

  private static Verdict kept(QualityFilters f, String text) {
    Verdict v = f.apply(text);
    assertTrue(v.kept(), () -> v.rejectReason() + ": " + v.detail());
    return v;
  }

  @Test
  void sentenceCount() {
    assertEquals(3, C4QualityFilter.sentenceCount("Olá. Tudo bem? Sim"));
    assertEquals(1, C4QualityFilter.sentenceCount("sem pontuação final"));
    assertEquals(2, C4QualityFilter.sentenceCount("Ele disse: \"Vou.\" E foi!"));
  }

  @Test
  void minNumSentences() {
    assertEquals(FIVE, kept(C4, FIVE).text());
    String four = FIVE.substring(0, FIVE.lastIndexOf('\n'));
    Verdict v = C4.apply(four);
    assertEquals("c4.num_sentences", v.rejectReason());
    assertEquals("sentences=4 < 5", v.detail());
    // Two sentences on one line count twice.
    kept(C4, four.replace("hoje.", "hoje. Fazia frio."));
  }

  @Test
  void loremIpsumRejectsTheDocument() {
    Verdict v = C4.apply(FIVE + "\nLorem ipsum dolor sit amet.");
    assertEquals("c4.lorem_ipsum", v.rejectReason());
    // As in datatrove, a line dropped earlier (fewer than 3 words) is never checked.
    kept(C4, FIVE + "\nLorem ipsum");
  }

  @Test
  void curlyBracketRejectsTheDocument() {
    assertEquals("c4.curly_bracket", C4.apply(FIVE + "\nfunction f() { return 1; }").rejectReason());
  }

  @Test
  void javascriptAndPolicyLinesAreRemoved() {
    String text =
        "Ative o JavaScript no seu navegador.\n"
            + FIVE
            + "\nSee our Privacy Policy for details.\n"
            + "Leia a nossa política de privacidade agora.";
    assertEquals(FIVE, kept(C4, text).text());
  }

  @Test
  void shortAndLongWordLinesAreRemoved() {
    String text = "Menu principal\n" + FIVE + "\nTrês palavras aqui\nPalavra " + "a".repeat(1001) + " fim.";
    assertEquals(FIVE + "\nTrês palavras aqui", kept(C4, text).text());
    String limit = FIVE + "\nPalavra " + "a".repeat(1000) + " fim.";
    assertEquals(limit, kept(C4, limit).text());
  }

  @Test
  void terminalPunctuationRuleIsOffByDefault() {
    String text = FIVE + "\nUma linha sem ponto final\nOutra linha com reticências...";
    assertEquals(text, kept(C4, text).text());
    QualityFilters strict = only("c4", "c4.filter_no_terminal_punct = true");
    assertEquals(FIVE, kept(strict, text).text());
    String quoted = FIVE + "\nEle respondeu: «Sim, claro»";
    assertEquals(quoted, kept(strict, quoted).text());
  }

  @Test
  void citationsAreRemovedAndParagraphsKept() {
    String text =
        "Lisboa é a capital de Portugal[1].\nO Porto fica no norte[citation needed].\n\n"
            + "Coimbra tem uma universidade antiga.\nFaro fica no Algarve[edit].\n"
            + "Braga é muito antiga também.";
    assertEquals(
        "Lisboa é a capital de Portugal.\nO Porto fica no norte.\n\n"
            + "Coimbra tem uma universidade antiga.\nFaro fica no Algarve.\nBraga é muito antiga também.",
        kept(C4, text).text());
  }

  @Test
  void everyLineRemovedIsEmpty() {
    Verdict v = only("c4", "c4.min_num_sentences = 0").apply("Menu\nInício\nContato");
    assertEquals("c4.empty", v.rejectReason());
  }
}
