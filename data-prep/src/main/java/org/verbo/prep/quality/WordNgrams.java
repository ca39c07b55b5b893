package org.verbo.prep.quality;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The word n-gram measures of {@link GopherRepetitionFilter} on one document, without building a string per
 * n-gram: words become per-document ids once, and each n-gram is a start position in an open-addressing table
 * keyed by its id sequence. Two n-grams are equal exactly when their id sequences are, as they were equal
 * exactly when their space-joined strings were ({@link org.verbo.prep.text.WordTokenizer} tokens hold no
 * whitespace). The string versions stay in {@link GopherRepetitionFilter} as the reference twin; a parity test
 * compares the two.
 */
final class WordNgrams {

  private final int[] ids; // [words] per-document word id, in first-seen order
  private final int[] chars; // [words] code points of each word

  WordNgrams(List<String> words) {
    ids = new int[words.size()];
    chars = new int[words.size()];
    Map<String, Integer> vocab = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      String w = words.get(i);
      Integer id = vocab.putIfAbsent(w, vocab.size());
      ids[i] = id == null ? vocab.size() - 1 : id;
      chars[i] = TextStats.chars(w);
    }
  }

  int size() {
    return ids.length;
  }

  /** {@link GopherRepetitionFilter#topNgramChars}: len(top n-gram joined by spaces) × count, first seen wins ties. */
  long topNgramChars(int n) {
    if (ids.length < n) {
      return 0;
    }
    Table t = new Table(ids.length - n + 1);
    int best = -1;
    int bestCount = 0;
    // Counts only grow, so the running maximum with a strict ">" settles ties on the n-gram seen first, as
    // iterating an insertion-ordered map of final counts does.
    int[] order = new int[ids.length - n + 1];
    int distinct = 0;
    for (int i = 0; i + n <= ids.length; i++) {
      int slot = t.find(i, n);
      if (t.start[slot] < 0) {
        t.start[slot] = i;
        order[distinct++] = slot;
      }
      t.count[slot]++;
    }
    for (int k = 0; k < distinct; k++) {
      int slot = order[k];
      if (t.count[slot] > bestCount) {
        bestCount = t.count[slot];
        best = t.start[slot];
      }
    }
    if (best < 0) {
      return 0;
    }
    long len = n - 1; // the joining spaces
    for (int j = best; j < best + n; j++) {
      len += chars[j];
    }
    return len * bestCount;
  }

  /** {@link GopherRepetitionFilter#duplicatedNgramChars}: characters of repeated n-grams, the scan jumping past each. */
  long duplicatedNgramChars(int n) {
    if (ids.length - n + 1 <= 0) {
      return 0;
    }
    Table t = new Table(ids.length - n + 1);
    long repeated = 0;
    int idx = 0;
    while (idx < ids.length - n + 1) {
      int slot = t.find(idx, n);
      if (t.start[slot] >= 0) {
        for (int j = idx; j < idx + n; j++) {
          repeated += chars[j];
        }
        idx += n;
      } else {
        t.start[slot] = idx;
        idx++;
      }
    }
    return repeated;
  }

  /** Open addressing, linear probing: slot → first start position of its n-gram (-1 empty) and a count. */
  private final class Table {
    final int[] start;
    final int[] count;
    final int mask;

    Table(int entries) {
      int cap = Integer.highestOneBit(Math.max(2, entries) * 2 - 1) << 1; // >= 2 × entries: load <= 1/2
      start = new int[cap];
      count = new int[cap];
      java.util.Arrays.fill(start, -1);
      mask = cap - 1;
    }

    /** The slot of the n-gram at {@code pos}: its own when present, else the empty one it would take. */
    int find(int pos, int n) {
      int h = 1;
      for (int j = pos; j < pos + n; j++) {
        h = 31 * h + ids[j];
      }
      h ^= h >>> 16;
      h *= 0x85ebca6b;
      h ^= h >>> 13;
      for (int slot = h & mask; ; slot = (slot + 1) & mask) {
        int s = start[slot];
        if (s < 0 || java.util.Arrays.equals(ids, s, s + n, ids, pos, pos + n)) {
          return slot;
        }
      }
    }
  }
}
