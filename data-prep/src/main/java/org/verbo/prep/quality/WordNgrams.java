package org.verbo.prep.quality;

import java.util.ArrayList;
import java.util.List;
import org.verbo.prep.text.WordTokenizer;

/**
 * The word n-gram measures of {@link GopherRepetitionFilter} on one document, without building a string per
 * n-gram or per word. Words become per-document ids once; then n-grams get ids level by level: the n-gram at
 * position i is the pair (id of the (n-1)-gram at i, id of word i + n - 1), interned in a table of pairs. By
 * induction two n-grams have the same id exactly when their words are equal, as their space-joined strings
 * were ({@link WordTokenizer} tokens hold no whitespace).
 *
 * <p>Only repeats matter to both measures, and an n-gram can only repeat if both its (n-1)-gram prefix and
 * its (n-1)-gram suffix do (a second occurrence of the n-gram holds a second occurrence of each): an n-gram
 * that occurs once gets no id (-1), and the next level looks up only the positions whose prefix and suffix
 * have one. In prose most 3-grams are already unique, so the long n-grams cost little; once no n-gram repeats, no
 * longer one does and the remaining levels are not built. The string versions stay in {@link
 * GopherRepetitionFilter} as the reference twin; WordNgramsTest compares the two.
 */
final class WordNgrams {

  private static final int[] NO_REPEAT = new int[0];

  private final int[] words; // [words] per-document word id
  private final int[] chars; // [words] code points of each word
  private final List<int[]> levels = new ArrayList<>(); // levels[n-1]: [words - n + 1] id, or -1 when unique;
  // NO_REPEAT when every n-gram is unique
  private final List<Integer> ids = new ArrayList<>(); // ids[n-1]: the level's ids are < ids[n-1]
  private final List<int[]> counts = new ArrayList<>(); // counts[n-1]: [ids[n-1]] occurrences of each id, or null
  // One pair table per thread, reused by every level of every document: allocating one per document was a
  // tenth of the filters' time. A generation stamp empties it.
  private static final ThreadLocal<PairTable> PAIRS = ThreadLocal.withInitial(() -> new PairTable(1024));
  /** Lookups a thread's table is kept for (about 8 MB); a longer document gets a table of its own. */
  private static final int RETAINED_LOOKUPS = 1 << 18;
  private PairTable pairs;

  /** The words of {@code text} (whose chars are {@code chars}) given by {@code tokens}. */
  WordNgrams(String text, char[] chars, WordTokenizer.Spans tokens) {
    int w = tokens.count();
    words = new int[w];
    this.chars = new int[w];
    SpanSet vocab = SpanSet.forThread(chars, w / 2);
    if (tokens.hasCounts()) { // the tokenizer hashed and counted each token on its way
      for (int i = 0; i < w; i++) {
        words[i] = vocab.add(tokens.start(i), tokens.end(i), tokens.hash(i));
        this.chars[i] = tokens.codePoints(i);
      }
    } else {
      for (int i = 0; i < w; i++) {
        int s = tokens.start(i);
        int e = tokens.end(i);
        words[i] = vocab.add(s, e);
        this.chars[i] = Character.codePointCount(chars, s, e - s);
      }
    }
    int[] count = new int[vocab.size()];
    for (int id : words) {
      count[id]++;
    }
    int[] level1 = new int[w];
    boolean repeat = false;
    for (int i = 0; i < w; i++) {
      boolean r = count[words[i]] > 1;
      level1[i] = r ? words[i] : -1;
      repeat |= r;
    }
    levels.add(repeat ? level1 : NO_REPEAT);
    ids.add(vocab.size());
    counts.add(repeat ? count : null);
  }

  /** A list of words (for tests and tools): the same as the tokens of their concatenation. */
  WordNgrams(List<String> words) {
    this(String.join("", words), String.join("", words).toCharArray(), spansOf(words));
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
    int best = 0; // when every n-gram occurs once, the first one wins the tie
    int bestCount = 1;
    int[] level = level(n);
    if (level != NO_REPEAT) {
      int[] count = counts.get(n - 1);
      // Scanning positions in order meets each n-gram first at its first occurrence, so a strict ">" keeps the
      // n-gram seen first among equal counts (Counter.most_common's order).
      for (int i = 0; i < level.length; i++) {
        int id = level[i];
        if (id >= 0 && count[id] > bestCount) {
          bestCount = count[id];
          best = i;
        }
      }
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
    int[] level = level(n);
    if (level == NO_REPEAT) {
      return 0;
    }
    boolean[] seen = new boolean[ids.get(n - 1)];
    long repeated = 0;
    int idx = 0;
    while (idx < level.length) {
      int id = level[idx];
      if (id >= 0 && seen[id]) {
        for (int j = idx; j < idx + n; j++) {
          repeated += chars[j];
        }
        idx += n;
      } else {
        if (id >= 0) {
          seen[id] = true;
        }
        idx++; // an n-gram that occurs once is new wherever the scan meets it
      }
    }
    return repeated;
  }

  /** Ids of the n-grams (1 <= n <= words; -1 for one that occurs once), or NO_REPEAT. */
  private int[] level(int n) {
    while (levels.size() < n) {
      int k = levels.size(); // build level k + 1 from level k
      int[] prev = levels.get(k - 1);
      if (prev == NO_REPEAT) {
        levels.add(NO_REPEAT);
        ids.add(0);
        counts.add(null);
        continue;
      }
      int[] next = new int[prev.length - 1];
      int lookups = 0;
      for (int i = 0; i < next.length; i++) {
        lookups += prev[i] >= 0 && prev[i + 1] >= 0 ? 1 : 0;
      }
      if (pairs == null) {
        pairs = PAIRS.get();
      }
      if (pairs.capacityFor() < lookups) {
        pairs = new PairTable(lookups);
        if (lookups <= RETAINED_LOOKUPS) {
          PAIRS.set(pairs); // larger tables live with their document only
        }
      }
      pairs.clear();
      for (int i = 0; i < next.length; i++) {
        next[i] = prev[i] < 0 || prev[i + 1] < 0 ? -1 : pairs.intern(prev[i], words[i + k]);
      }
      int[] count = pairs.counts(); // the table counted each id's occurrences as it interned them
      boolean repeat = false;
      for (int i = 0; i < next.length; i++) {
        if (next[i] >= 0) {
          if (count[next[i]] == 1) {
            next[i] = -1;
          } else {
            repeat = true;
          }
        }
      }
      levels.add(repeat ? next : NO_REPEAT);
      ids.add(pairs.size);
      counts.add(repeat ? count : null);
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
    final int[] occurrences; // [entries] by id: how often intern met it since the last clear
    final int mask;
    int generation;
    int size;

    /** Entries this table holds at a load of at most 1/2. */
    int capacityFor() {
      return keys.length / 2;
    }

    PairTable(int entries) {
      int cap = Integer.highestOneBit(Math.max(2, entries) * 2 - 1) << 1; // >= 2 × entries: load <= 1/2
      keys = new long[cap];
      values = new int[cap];
      stamp = new int[cap];
      occurrences = new int[cap];
      mask = cap - 1;
    }

    /** Occurrences of ids 0 .. size - 1 since the last clear, a copy. */
    int[] counts() {
      return java.util.Arrays.copyOf(occurrences, size);
    }

    void clear() {
      if (++generation == 0) { // wrapped: stamps of 2^32 levels ago could read as current
        java.util.Arrays.fill(stamp, 0);
        generation = 1;
      }
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
          occurrences[size] = 1;
          return size++;
        }
        if (keys[slot] == key) {
          int id = values[slot];
          occurrences[id]++;
          return id;
        }
      }
    }
  }
}
