package org.verbo.prep.quality;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The bundled stop-word lists, {@code verbo/stopwords/<lang>.txt} on the classpath: UTF-8, one
 * lower-case word per line, {@code #} starts a comment. Words are compared lower-cased (root
 * locale) and NFC-composed, as the normaliser leaves text.
 */
public final class StopWordLists {

  private static final Pattern LANG = Pattern.compile("[a-z]{2,3}");
  private static final Map<String, Set<String>> CACHE = new ConcurrentHashMap<>();

  private StopWordLists() {}

  /** Classpath resource of a language's list. */
  public static String resource(String lang) {
    return "verbo/stopwords/" + lang + ".txt";
  }

  /** True when {@code lang} is a plausible code and its list is on the classpath. */
  public static boolean available(String lang) {
    return lang != null
        && LANG.matcher(lang).matches()
        && StopWordLists.class.getClassLoader().getResource(resource(lang)) != null;
  }

  /** The words of one language's list. */
  public static Set<String> load(String lang) {
    if (!available(lang)) {
      throw new IllegalArgumentException("no stop-word list for '" + lang + "'");
    }
    return CACHE.computeIfAbsent(lang, StopWordLists::read);
  }

  /** The union of several languages' lists. */
  public static Set<String> union(Collection<String> langs) {
    Set<String> all = new HashSet<>();
    for (String lang : langs) {
      all.addAll(load(lang));
    }
    return Set.copyOf(all);
  }

  private static Set<String> read(String lang) {
    Set<String> words = new HashSet<>();
    try (InputStream in = StopWordLists.class.getClassLoader().getResourceAsStream(resource(lang));
        BufferedReader r =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        int hash = line.indexOf('#');
        String w = (hash >= 0 ? line.substring(0, hash) : line).strip();
        if (!w.isEmpty()) {
          words.add(Normalizer.normalize(w.toLowerCase(Locale.ROOT), Normalizer.Form.NFC));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Set.copyOf(words);
  }
}
