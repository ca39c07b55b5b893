package org.verbo.prep.quality;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Builders of crafted documents and single-filter configurations for the filter tests. */
final class Fixtures {

  private Fixtures() {}

  /** Filters from a HOCON snippet of the quality block. */
  static QualityFilters filters(String hocon) {
    return new QualityFilters(QualityConfig.from(ConfigFactory.parseString(hocon)));
  }

  /** Only {@code filter} enabled, plus {@code extra} settings. */
  static QualityFilters only(String filter, String extra) {
    String off =
        "gopher_quality.enabled = false\n"
            + "gopher_repetition.enabled = false\n"
            + "c4.enabled = false\n"
            + "fineweb.enabled = false\n";
    return filters(off + filter + ".enabled = true\n" + extra);
  }

  /** {@code count} distinct 5-character tokens "w1000", "w1001", ... from {@code start}. */
  static String uniq(int start, int count) {
    List<String> t = new ArrayList<>();
    for (int i = start; i < start + count; i++) {
      t.add("w" + i);
    }
    return String.join(" ", t);
  }

  /** {@code word} repeated {@code n} times, space-separated. */
  static String rep(String word, int n) {
    return String.join(" ", Collections.nCopies(n, word));
  }

  /** Words "de casas de casas ..." (n words, starting with "de"). */
  static String deCasas(int n) {
    List<String> t = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      t.add(i % 2 == 0 ? "de" : "casas");
    }
    return String.join(" ", t);
  }
}
