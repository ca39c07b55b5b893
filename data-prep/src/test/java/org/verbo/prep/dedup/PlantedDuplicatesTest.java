package org.verbo.prep.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlantedDuplicatesTest {

  private static final double[] RATES = {0.0, 0.02, 0.1, 0.3};

  @Test
  void deterministicGivenTheSeed() {
    PlantedDuplicates.Corpus a = PlantedDuplicates.generate(15, 120, RATES, 7L);
    PlantedDuplicates.Corpus b = PlantedDuplicates.generate(15, 120, RATES, 7L);
    assertEquals(a, b);
    PlantedDuplicates.Corpus c = PlantedDuplicates.generate(15, 120, RATES, 8L);
    assertNotEquals(a.docs(), c.docs());
  }

  @Test
  void shapeAndIds() {
    PlantedDuplicates.Corpus c = PlantedDuplicates.generate(10, 50, RATES, 1L);
    assertEquals(10 * 5, c.docs().size());
    Set<String> ids = new HashSet<>();
    for (PlantedDuplicates.Doc d : c.docs()) {
      ids.add(d.id());
    }
    assertEquals(50, ids.size());
    assertTrue(ids.contains("f000009-base") && ids.contains("f000009-v3"));
    // every pair within a family: C(5, 2) = 10 per family
    assertEquals(10 * 10, c.planted().size());
    assertEquals(new PlantedDuplicates.Pair("f000000-base", "f000000-v0", 1.0), c.planted().get(0));
    // base documents have exactly wordsPerDoc words
    for (PlantedDuplicates.Doc d : c.docs()) {
      if (d.id().endsWith("-base")) {
        assertEquals(50, Shingler.wordList(d.text()).size());
      }
    }
    assertThrows(IllegalArgumentException.class, () -> PlantedDuplicates.generate(1, 0, RATES, 1L));
    assertThrows(IllegalArgumentException.class, () -> PlantedDuplicates.generate(1, 5, new double[] {1.5}, 1L));
  }

  @Test
  void plantedJaccardDecreasesWithEditRateAndIsExact() {
    int families = 40;
    PlantedDuplicates.Corpus c = PlantedDuplicates.generate(families, 200, RATES, 3L);
    Map<String, String> text = new HashMap<>();
    for (PlantedDuplicates.Doc d : c.docs()) {
      text.put(d.id(), d.text());
    }
    double[] mean = new double[RATES.length];
    for (PlantedDuplicates.Pair p : c.planted()) {
      // the recorded value is the exact 5-gram Jaccard of the two texts
      double exact =
          Shingler.jaccard(Shingler.shingles(text.get(p.a()), 5), Shingler.shingles(text.get(p.b()), 5));
      assertEquals(exact, p.jaccard());
      if (p.a().endsWith("-base")) {
        int v = Integer.parseInt(p.b().substring(p.b().indexOf("-v") + 2));
        mean[v] += p.jaccard() / families;
      }
    }
    assertEquals(1.0, mean[0], 1e-12); // edit rate 0: exact copies
    for (int v = 1; v < RATES.length; v++) {
      assertTrue(mean[v] < mean[v - 1], "mean J at rate " + RATES[v] + " = " + mean[v]);
    }
    assertTrue(mean[1] > 0.75 && mean[1] < 0.98, "rate 0.02: " + mean[1]);
    assertTrue(mean[3] < 0.3, "rate 0.3: " + mean[3]);
  }

  @Test
  void differentFamiliesShareNoShingle() {
    PlantedDuplicates.Corpus c = PlantedDuplicates.generate(40, 150, new double[] {0.05, 0.2}, 5L);
    Map<Integer, String> owner = new HashMap<>();
    for (PlantedDuplicates.Doc d : c.docs()) {
      String family = d.id().substring(0, d.id().indexOf('-'));
      for (int s : Shingler.shingles(d.text(), 5)) {
        String prev = owner.putIfAbsent(s, family);
        assertTrue(prev == null || prev.equals(family), d.id() + " shares a 5-gram with " + prev);
      }
    }
    List<PlantedDuplicates.Doc> docs = c.docs();
    // shuffled: the first documents are not one family in generation order
    assertNotEquals("f000000-base", docs.get(0).id() + docs.get(1).id());
  }
}
