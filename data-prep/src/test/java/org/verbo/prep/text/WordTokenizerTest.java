package org.verbo.prep.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {

  @Test
  void splitsWordsAndPunctuation() {
    assertEquals(
        List.of("Olá", ",", "mundo", "...", "é", "o", "#", "1", "d'água", "!"),
        WordTokenizer.tokenize("Olá, mundo... é o #1 d'água!"));
  }

  @Test
  void joinsHyphensAndDecimalNumbers() {
    assertEquals(
        List.of("guarda-chuva", "custa", "1.000,50", "-", "ok"),
        WordTokenizer.tokenize("guarda-chuva custa 1.000,50 - ok"));
  }

  @Test
  void decomposedAccentsStayInTheWord() {
    assertEquals(List.of("ac\u0327a\u0303o"), WordTokenizer.tokenize("ac\u0327a\u0303o"));
  }

  @Test
  void classifiesTokens() {
    assertTrue(WordTokenizer.isWord("12345"));
    assertFalse(WordTokenizer.hasLetter("12345"));
    assertTrue(WordTokenizer.hasLetter("ção"));
    assertFalse(WordTokenizer.isWord("..."));
  }
}
