package org.verbo.prep.quality;

import java.util.Arrays;

/**
 * A set of ranges of one text, equal when their characters are: the {@code HashSet<String>} of datatrove's
 * {@code find_duplicates} for lines, paragraphs and words, without a {@code String} per element (the
 * substrings were the filters' largest allocation). Open addressing with linear probing; the hash is {@link
 * String#hashCode}'s polynomial over the range, spread as {@link java.util.HashMap} spreads it.
 */
final class SpanSet {

  private final String text;
  private int[] slots; // [capacity] element index + 1, 0 = empty
  private int[] hashes; // [elements] hash of each element
  private int[] starts; // [elements]
  private int[] ends; // [elements]
  private int size;
  private int mask;

  /** @param expected about how many elements will be added (the table grows past it) */
  SpanSet(String text, int expected) {
    this.text = text;
    int cap = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1; // >= 2 x expected: load <= 1/2
    slots = new int[cap];
    mask = cap - 1;
    int n = Math.max(4, expected);
    hashes = new int[n];
    starts = new int[n];
    ends = new int[n];
  }

  /** Number of distinct elements. */
  int size() {
    return size;
  }

  /**
   * Index (0, 1, ... in first-seen order) of the element equal to {@code text[start, end)}, added when new;
   * {@link #size()} tells which: a new element gets index {@code size() - 1}.
   */
  int add(int start, int end) {
    int h = 0;
    for (int i = start; i < end; i++) {
      h = 31 * h + text.charAt(i);
    }
    int len = end - start;
    for (int slot = (h ^ (h >>> 16)) & mask; ; slot = (slot + 1) & mask) {
      int e = slots[slot] - 1;
      if (e < 0) {
        if (size == starts.length) {
          hashes = Arrays.copyOf(hashes, size * 2);
          starts = Arrays.copyOf(starts, size * 2);
          ends = Arrays.copyOf(ends, size * 2);
        }
        hashes[size] = h;
        starts[size] = start;
        ends[size] = end;
        slots[slot] = ++size;
        if (size * 2 > slots.length) {
          grow();
        }
        return size - 1;
      }
      if (hashes[e] == h && ends[e] - starts[e] == len && text.regionMatches(starts[e], text, start, len)) {
        return e;
      }
    }
  }

  private void grow() {
    int[] bigger = new int[slots.length * 2];
    int m = bigger.length - 1;
    for (int e = 0; e < size; e++) {
      int h = hashes[e];
      int slot = (h ^ (h >>> 16)) & m;
      while (bigger[slot] != 0) {
        slot = (slot + 1) & m;
      }
      bigger[slot] = e + 1;
    }
    slots = bigger;
    mask = m;
  }
}
