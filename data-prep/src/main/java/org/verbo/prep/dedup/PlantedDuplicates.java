package org.verbo.prep.dedup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Synthetic corpus with planted near-duplicates, for dedup tests and benchmarks.
 *
 * <p>Each of {@code numBase} <i>families</i> holds one base document of {@code wordsPerDoc} words
 * drawn uniformly from a synthetic vocabulary of {@value #VOCABULARY_SIZE} distinct words
 * (lower-case Latin letters plus Portuguese accented vowels and "ç", 2–11 letters), and one variant
 * per edit rate {@code r}: every word of the base is, with probability {@code r}, substituted by a
 * random word, followed by an inserted random word, or deleted (each a third of the time). Two
 * random 5-grams coincide with probability {@code 20000^-5 ≈ 3e-22}, so documents of different
 * families share no 5-gram in practice, while the members of one family (base and variants, and
 * variants among themselves) are related. The text is rendered as sentences of 6–17 words, first
 * word capitalised, ending with a period; {@link Shingler} ignores case and punctuation.
 *
 * <p>Ids: {@code f000042-base} for the base of family 42 and {@code f000042-v1} for its variant at
 * {@code editRates[1]}. Documents are returned in a seeded shuffled order (family members are not
 * adjacent). {@link Corpus#planted()} lists every pair within a family with its exact Jaccard
 * similarity of 5-gram shingle sets: first the (base, variant) pairs in edit-rate order, then the
 * (variant, variant) pairs. Deterministic given the arguments.
 */
public final class PlantedDuplicates {

  /** Number of distinct words in the synthetic vocabulary. */
  public static final int VOCABULARY_SIZE = 20_000;

  /** Shingle size of the planted pairs' Jaccard values. */
  public static final int PAIR_NGRAM = 5;

  private static final String LETTERS = "abcdefghijklmnopqrstuvwxyzaeiouaeiouáéíóúãõâêôç";

  private PlantedDuplicates() {}

  /** A document. */
  public record Doc(String id, String text) {}

  /** Two related documents and the exact Jaccard similarity of their 5-gram shingle sets. */
  public record Pair(String a, String b, double jaccard) {}

  /** The documents (shuffled) and all related pairs. */
  public record Corpus(List<Doc> docs, List<Pair> planted) {
    public Corpus {
      docs = List.copyOf(docs);
      planted = List.copyOf(planted);
    }
  }

  /** Id of the base document of family {@code family}. */
  public static String baseId(int family) {
    return String.format(Locale.ROOT, "f%06d-base", family);
  }

  /** Id of the variant of family {@code family} at {@code editRates[rateIndex]}. */
  public static String variantId(int family, int rateIndex) {
    return String.format(Locale.ROOT, "f%06d-v%d", family, rateIndex);
  }

  /**
   * Generates the corpus; see the class comment.
   *
   * @param numBase number of families (base documents), {@code >= 0}
   * @param wordsPerDoc words per base document, {@code >= 1}
   * @param editRates per-word edit probability of each variant, each in {@code [0, 1]}
   * @param seed seed of the vocabulary, texts, edits and shuffle
   */
  public static Corpus generate(int numBase, int wordsPerDoc, double[] editRates, long seed) {
    if (numBase < 0) {
      throw new IllegalArgumentException("numBase must be >= 0, got " + numBase);
    }
    if (wordsPerDoc < 1) {
      throw new IllegalArgumentException("wordsPerDoc must be >= 1, got " + wordsPerDoc);
    }
    for (double r : editRates) {
      if (!(r >= 0.0 && r <= 1.0)) {
        throw new IllegalArgumentException("edit rates must be in [0, 1], got " + r);
      }
    }
    SplittableRandom root = new SplittableRandom(seed);
    String[] vocab = vocabulary(root.split());
    SplittableRandom textRnd = root.split();
    SplittableRandom shuffleRnd = root.split();

    List<Doc> docs = new ArrayList<>(numBase * (1 + editRates.length));
    List<Pair> pairs = new ArrayList<>();
    for (int f = 0; f < numBase; f++) {
      // Each family draws from its own split stream, so a family's text does not depend on how
      // many families came before it.
      SplittableRandom rnd = textRnd.split();
      List<String> base = new ArrayList<>(wordsPerDoc);
      for (int w = 0; w < wordsPerDoc; w++) {
        base.add(vocab[rnd.nextInt(vocab.length)]);
      }
      List<String> ids = new ArrayList<>();
      List<int[]> shingles = new ArrayList<>();
      String baseText = render(base, rnd);
      docs.add(new Doc(baseId(f), baseText));
      ids.add(baseId(f));
      shingles.add(Shingler.shingles(baseText, PAIR_NGRAM));
      for (int v = 0; v < editRates.length; v++) {
        String text = render(edit(base, editRates[v], vocab, rnd), rnd);
        docs.add(new Doc(variantId(f, v), text));
        ids.add(variantId(f, v));
        shingles.add(Shingler.shingles(text, PAIR_NGRAM));
      }
      for (int v = 1; v < ids.size(); v++) {
        pairs.add(new Pair(ids.get(0), ids.get(v), Shingler.jaccard(shingles.get(0), shingles.get(v))));
      }
      for (int i = 1; i < ids.size(); i++) {
        for (int j = i + 1; j < ids.size(); j++) {
          pairs.add(new Pair(ids.get(i), ids.get(j), Shingler.jaccard(shingles.get(i), shingles.get(j))));
        }
      }
    }
    // Fisher–Yates with the seeded stream (Collections.shuffle would need a java.util.Random).
    for (int i = docs.size() - 1; i > 0; i--) {
      Collections.swap(docs, i, shuffleRnd.nextInt(i + 1));
    }
    return new Corpus(docs, pairs);
  }

  private static String[] vocabulary(SplittableRandom rnd) {
    Set<String> seen = new HashSet<>();
    String[] vocab = new String[VOCABULARY_SIZE];
    int n = 0;
    StringBuilder sb = new StringBuilder();
    while (n < vocab.length) {
      sb.setLength(0);
      int len = 2 + rnd.nextInt(10);
      for (int i = 0; i < len; i++) {
        sb.append(LETTERS.charAt(rnd.nextInt(LETTERS.length())));
      }
      String w = sb.toString();
      if (seen.add(w)) {
        vocab[n++] = w;
      }
    }
    return vocab;
  }

  private static List<String> edit(List<String> base, double rate, String[] vocab, SplittableRandom rnd) {
    List<String> out = new ArrayList<>(base.size() + 8);
    for (String w : base) {
      if (rnd.nextDouble() >= rate) {
        out.add(w);
        continue;
      }
      switch (rnd.nextInt(3)) {
        case 0 -> out.add(vocab[rnd.nextInt(vocab.length)]); // substitution
        case 1 -> { // insertion after the kept word
          out.add(w);
          out.add(vocab[rnd.nextInt(vocab.length)]);
        }
        default -> { } // deletion
      }
    }
    if (out.isEmpty()) {
      out.add(vocab[rnd.nextInt(vocab.length)]); // a document keeps at least one word
    }
    return out;
  }

  private static String render(List<String> words, SplittableRandom rnd) {
    StringBuilder sb = new StringBuilder(words.size() * 8);
    int untilEnd = 6 + rnd.nextInt(12);
    boolean startOfSentence = true;
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (i > 0) {
        sb.append(' ');
      }
      if (startOfSentence) {
        sb.append(w.substring(0, 1).toUpperCase(Locale.ROOT)).append(w, 1, w.length());
        startOfSentence = false;
      } else {
        sb.append(w);
      }
      if (--untilEnd == 0 || i == words.size() - 1) {
        sb.append('.');
        startOfSentence = true;
        untilEnd = 6 + rnd.nextInt(12);
      }
    }
    return sb.toString();
  }
}
