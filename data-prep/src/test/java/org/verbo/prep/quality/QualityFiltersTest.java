package org.verbo.prep.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.verbo.prep.text.TextNormalizer;

/** All four filters together, with the reference.conf defaults. */
class QualityFiltersTest {

  static final String ARTICLE =
      TextNormalizer.normalize(
          "A cidade de Lisboa recebeu ontem milhares de visitantes para o festival de música.\n"
              + "Os concertos começaram ao fim da tarde e prolongaram-se até depois da meia-noite.\n\n"
              + "Segundo a organização, a edição deste ano bateu todos os recordes de público.\n"
              + "Muitos moradores queixaram-se do ruído, mas os comerciantes celebraram as vendas.\n\n"
              + "A câmara municipal prometeu reforçar os transportes públicos no próximo ano.\n"
              + "O festival regressa em setembro com artistas de vários países da Europa e da África.");

  private final QualityFilters defaults = new QualityFilters(QualityConfig.defaults());

  @Test
  void naturalPortugueseTextPassesUnchanged() {
    Verdict v = defaults.apply(ARTICLE);
    assertTrue(v.kept(), () -> v.rejectReason() + ": " + v.detail());
    assertEquals(ARTICLE, v.text());
  }

  @Test
  void repeatedSpamFailsOnDuplicateLines() {
    // Ten identical lines: 9 of 10 are duplicates.
    String spam =
        String.join("\n", Collections.nCopies(10, "Compre agora o melhor produto do mercado com desconto."));
    Verdict v = defaults.apply(spam);
    assertEquals("gopher_repetition.dup_line_frac", v.rejectReason());
    assertEquals("dup_line_frac=0.9000 > 0.3", v.detail());
  }

  @Test
  void firstFailingFilterWins() {
    // Too short for Gopher (12 words) and also under C4's 5 sentences: Gopher runs first.
    assertEquals("gopher_quality.word_count", defaults.apply(Fixtures.deCasas(12)).rejectReason());
  }

  @Test
  void c4LineRemovalReachesTheVerdict() {
    Verdict v = defaults.apply(ARTICLE + "\nEste site usa cookies para melhorar a sua experiência.");
    assertTrue(v.kept(), () -> v.rejectReason() + ": " + v.detail());
    assertEquals(ARTICLE, v.text());
  }

  @Test
  void rejectReasonsListEveryRule() {
    assertEquals(8 + 4 + 3 + 6 + 4 + 4, defaults.rejectReasons().size());
    assertTrue(defaults.rejectReasons().contains("gopher_repetition.dup_10gram"));
  }

  @Test
  void survivesJavaSerializationForSparkClosures() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(defaults);
    }
    QualityFilters back;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (QualityFilters) in.readObject();
    }
    assertEquals(defaults.config(), back.config());
    assertEquals(defaults.apply(ARTICLE), back.apply(ARTICLE));
  }
}
