package org.verbo.prep.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class MinHashConfigTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    MinHashConfig d = MinHashConfig.defaults();
    assertEquals(new MinHashConfig(5, 14, 8, 0.8, 42L), d);
    assertEquals(112, d.numPermutations());
  }

  @Test
  void badValuesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new MinHashConfig(0, 14, 8, 0.8, 1));
    assertThrows(IllegalArgumentException.class, () -> new MinHashConfig(5, 0, 8, 0.8, 1));
    assertThrows(IllegalArgumentException.class, () -> new MinHashConfig(5, 14, 0, 0.8, 1));
    assertThrows(IllegalArgumentException.class, () -> new MinHashConfig(5, 14, 8, 0.0, 1));
    assertThrows(IllegalArgumentException.class, () -> new MinHashConfig(5, 14, 8, 1.01, 1));
    assertThrows(IllegalArgumentException.class, () -> new MinHashConfig(5, 14, 8, Double.NaN, 1));
    assertThrows(IllegalArgumentException.class, () -> new MinHashConfig(5, 1 << 16, 1 << 16, 0.8, 1));
    new MinHashConfig(1, 1, 1, 1.0, -7); // the boundary values are accepted
  }

  @Test
  void readsTypesafeConfigWithDefaultsForMissingKeys() {
    MinHashConfig c =
        MinHashConfig.from(ConfigFactory.parseString("ngram = 3, bands = 20, threshold = 0.7, other = x"));
    assertEquals(new MinHashConfig(3, 20, 8, 0.7, 42L), c);
    assertEquals(
        new MinHashConfig(4, 9, 13, 0.9, 12345678901L),
        MinHashConfig.from(
            ConfigFactory.parseString("ngram=4\nbands=9\nrows=13\nthreshold=0.9\nseed=12345678901")));
    assertEquals(MinHashConfig.defaults(), MinHashConfig.from(ConfigFactory.empty()));
  }

  @Test
  void badConfigValuesNameTheKey() {
    IllegalArgumentException wrongType =
        assertThrows(
            IllegalArgumentException.class,
            () -> MinHashConfig.from(ConfigFactory.parseString("bands = many")));
    assertTrue(wrongType.getMessage().contains("bands"), wrongType.getMessage());
    IllegalArgumentException outOfRange =
        assertThrows(
            IllegalArgumentException.class,
            () -> MinHashConfig.from(ConfigFactory.parseString("threshold = 1.5")));
    assertTrue(outOfRange.getMessage().contains("threshold"), outOfRange.getMessage());
  }
}
