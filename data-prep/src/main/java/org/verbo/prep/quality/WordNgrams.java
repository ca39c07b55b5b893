package org.verbo.prep.quality;

import java.util.ArrayList;
import java.util.List;
import org.verbo.prep.text.WordTokenizer;

/**
 * The word n-gram measures of {@link GopherRepetitionFilter} on one document, without building a string per
 * n-gram or per word. Words become per-document ids (first-seen order) once; then each n-gram gets an id level
 * by level: the n-gram at position i is the pair (id of the (n-1)-gram at i, id of word i + n - 1), interned
 * in a table of pairs. By induction two n-grams have the same id exactly when their words are equal, as their
 * space-joined strings were ({@link WordTokenizer} tokens hold no whitespace), and ids are again in first-seen
 * order, which is the tie rule of {@code Counter.most_common}. Once a level has no repeated n-gram, no longer
 * n-gram repeats either (each extends a distinct shorter one), so the remaining levels are not built. The
 * string versions stay in {@link GopherRepetitionFilter} as the reference twin; WordNgramsTest compares the
 * two.
 */
final class WordNgrams {

  private final int[] chars; // [words] code points of each word
  private final List<int[]> levels = new ArrayList<>(); // levels[n-1]: [words - n + 1] id of the n-gram at i
  private final List<Integer> distinct = new ArrayList<>(); // distinct[n-1]: number of distinct n-grams
  private PairTable pairs; // reused by every level

  /** The words of {@code text} given by {@code tokens}. */
  WordNgrams(String text, WordTokenizer.Spans tokens) {
    int w = tokens.count();
    int[] ids = new int[w];
    chars = new int[w];
    SpanSet vocab = new SpanSet(text, Math.max(16, w / 4));
    for (int i = 0; i < w; i++) {
      int s = tokens.start(i);
      int e = tokens.end(i);
      ids[i] = vocab.add(s, e);
      chars[i] = text.codePointCount(s, e);
    }
    levels.add(ids);
    distinct.add(vocab.size());
  }

  /** A list of words (for tests and tools): the same as the tokens of their concatenation. */
  WordNgrams(List<String> words) {
    this(String.join("", words), spansOf(words));
  }

  private static WordTokenizer.Spans spansOf(List<String> words) {
    int[] start = new int[words.size()];
    int[] end = new int[words.size()];
    int pos = 0;
    for (int i = 0; i < words.size(); i++) {
      start[i] = pos;
      pos += words.get(i).length();
      end[i] = pos;
    }
    return WordTokenizer.Spans.of(start, end);
  }

  int size() {
    return chars.length;
  }

  /** {@link GopherRepetitionFilter#topNgramChars}: len(top n-gram joined by spaces) × count, first seen wins ties. */
  long topNgramChars(int n) {
    if (chars.length < n) {
      return 0;
    }
    int best;
    int bestCount;
    int[] ids = level(n);
    if (ids == null) {
      best = 0; // every n-gram once: the first one wins the tie
      bestCount = 1;
    } else {
      int[] count = new int[distinct.get(n - 1)];
      int[] first = new int[count.length];
      for (int i = 0; i < ids.length; i++) {
        if (count[ids[i]]++ == 0) {
          first[ids[i]] = i;
        }
      }
      // Ids are in first-seen order, so a strict ">" keeps the n-gram seen first among equal counts.
      int bestId = 0;
      for (int id = 1; id < count.length; id++) {
        if (count[id] > count[bestId]) {
          bestId = id;
        }
      }
      best = first[bestId];
      bestCount = count[bestId];
    }
    long len = n - 1; // the joining spaces
    for (int j = best; j < best + n; j++) {
      len += chars[j];
    }
    return len * bestCount;
  }

  /** {@link GopherRepetitionFilter#duplicatedNgramChars}: characters of repeated n-grams, the scan jumping past each. */
  long duplicatedNgramChars(int n) {
    if (chars.length - n + 1 <= 0) {
      return 0;
    }
    int[] ids = level(n);
    if (ids == null) {
      return 0; // no n-gram repeats
    }
    boolean[] seen = new boolean[distinct.get(n - 1)];
    long repeated = 0;
    int idx = 0;
    while (idx < ids.length) {
      if (seen[ids[idx]]) {
        for (int j = idx; j < idx + n; j++) {
          repeated += chars[j];
        }
        idx += n;
      } else {
        seen[ids[idx]] = true;
        idx++;
      }
    }
    return repeated;
  }

  /** Ids of the n-grams (1 <= n <= words), or null when every n-gram occurs once. */
  private int[] level(int n) {
    while (levels.size() < n) {
      int k = levels.size(); // build level k + 1 from level k
      int[] prev = levels.get(k - 1);
      if (prev == null || distinct.get(k - 1) == prev.length) {
        levels.add(null); // all distinct at k, hence at every longer n
        distinct.add(chars.length - k);
        continue;
      }
      int[] words = levels.get(0);
      int[] next = new int[prev.length - 1];
      if (pairs == null) {
        pairs = new PairTable(prev.length);
      }
      pairs.clear();
      for (int i = 0; i < next.length; i++) {
        next[i] = pairs.intern(prev[i], words[i + k]);
      }
      levels.add(next);
      distinct.add(pairs.size);
    }
    return levels.get(n - 1);
  }

  /**
   * Open addressing, linear probing: a pair of non-negative ids → a dense id in first-seen order. Cleared by a
   * generation stamp instead of a fill, so one table serves every level.
   */
  private static final class PairTable {
    final long[] keys;
    final int[] values;
    final int[] stamp;
    final int mask;
    int generation;
    int size;

    PairTable(int entries) {
      int cap = Integer.highestOneBit(Math.max(2, entries) * 2 - 1) << 1; // >= 2 × entries: load <= 1/2
      keys = new long[cap];
      values = new int[cap];
      stamp = new int[cap];
      mask = cap - 1;
    }

    void clear() {
      generation++;
      size = 0;
    }

    int intern(int a, int b) {
      long key = ((long) a << 32) | b;
      long h = key * 0x9E3779B97F4A7C15L; // Fibonacci hashing: the high bits mix both ids
      for (int slot = (int) (h >>> 32) & mask; ; slot = (slot + 1) & mask) {
        if (stamp[slot] != generation) {
          stamp[slot] = generation;
          keys[slot] = key;
          values[slot] = size;
          return size++;
        }
        if (keys[slot] == key) {
          return values[slot];
        }
      }
    }
  }
}
