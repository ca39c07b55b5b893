package org.verbo.prep.quality;

import java.util.Arrays;

/**
 * A set of ranges of one text, equal when their characters are: the {@code HashSet<String>} of datatrove's
 * {@code find_duplicates} for lines, paragraphs and words, without a {@code String} per element (the
 * substrings were the filters' largest allocation). Open addressing with linear probing; the hash is {@link
 * String#hashCode}'s polynomial over the range, spread as {@link java.util.HashMap} spreads it. The text is
 * read as a {@code char[]} (one copy per document): the per-char loops then run without {@code charAt}'s
 * checks, and equal hashes are confirmed by {@link Arrays#equals(char[], int, int, char[], int, int)}.
 *
 * <p>One set per thread is reused from document to document ({@link #forThread}): allocating and growing a
 * table per document cost more than the lookups. Emptying it clears only the slots in use.
 */
final class SpanSet {

  private static final ThreadLocal<SpanSet> PER_THREAD = ThreadLocal.withInitial(SpanSet::new);
  /** Elements a thread's set keeps room for between documents (a few MB of arrays); larger is freed. */
  private static final int RETAINED_ELEMENTS = 1 << 18;

  private char[] text;
  private int[] slots = new int[16]; // [capacity] element index + 1, 0 = empty
  private int mask = 15;
  private int[] hashes = new int[8]; // [elements] hash of each element
  private int[] starts = new int[8]; // [elements]
  private int[] ends = new int[8]; // [elements]
  private int[] slotOf = new int[8]; // [elements] the slot holding each element, to empty the table
  private int size;

  /**
   * This thread's set, emptied and reading {@code text}. Valid until the thread's next call: one set in use
   * at a time.
   *
   * @param expected about how many elements will be added (the table grows past it)
   */
  static SpanSet forThread(char[] text, int expected) {
    return PER_THREAD.get().reset(text, expected);
  }

  /** A set of its own (for tests). */
  SpanSet(char[] text, int expected) {
    reset(text, expected);
  }

  private SpanSet() {}

  private SpanSet reset(char[] text, int expected) {
    for (int e = 0; e < size; e++) {
      slots[slotOf[e]] = 0;
    }
    size = 0;
    this.text = text;
    if ((starts.length > RETAINED_ELEMENTS || slots.length > 4 * RETAINED_ELEMENTS)
        && expected <= RETAINED_ELEMENTS) {
      // One huge document must not pin its table in every thread for good: back to the small arrays.
      slots = new int[16];
      mask = 15;
      hashes = new int[8];
      starts = new int[8];
      ends = new int[8];
      slotOf = new int[8];
    }
    if (slots.length < 2 * expected) {
      int cap = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1; // >= 2 x expected: load <= 1/2
      slots = new int[cap];
      mask = cap - 1;
    }
    return this;
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
    return add(start, end, hash(text, start, end));
  }

  /** {@link #add(int, int)} given {@code h}, the range's {@link #hash} (computed by the caller's own scan). */
  int add(int start, int end, int h) {
    int len = end - start;
    for (int slot = (h ^ (h >>> 16)) & mask; ; slot = (slot + 1) & mask) {
      int e = slots[slot] - 1;
      if (e < 0) {
        if (size == starts.length) {
          hashes = Arrays.copyOf(hashes, size * 2);
          starts = Arrays.copyOf(starts, size * 2);
          ends = Arrays.copyOf(ends, size * 2);
          slotOf = Arrays.copyOf(slotOf, size * 2);
        }
        hashes[size] = h;
        starts[size] = start;
        ends[size] = end;
        slotOf[size] = slot;
        slots[slot] = ++size;
        if (size * 2 > slots.length) {
          grow();
        }
        return size - 1;
      }
      if (hashes[e] == h && ends[e] - starts[e] == len && sameChars(starts[e], start, len)) {
        return e;
      }
    }
  }

  /**
   * {@code 31^(n-1) c[0] + ... + 31 c[n-2] + c[n-1]} (mod 2^32), the polynomial of {@link String#hashCode},
   * four chars a step: {@code h·31^4 + c0·31^3 + c1·31^2 + c2·31 + c3} is the same sum regrouped, with
   * the four products independent of each other instead of one chain of multiply-adds.
   */
  static int hash(char[] c, int from, int to) {
    int h = 0;
    int i = from;
    for (; i + 4 <= to; i += 4) {
      h = 923521 * h + 29791 * c[i] + 961 * c[i + 1] + 31 * c[i + 2] + c[i + 3];
    }
    for (; i < to; i++) {
      h = 31 * h + c[i];
    }
    return h;
  }

  /** Equal chars at {@code a} and {@code b} for {@code len}; a plain loop for words, the intrinsic for lines. */
  private boolean sameChars(int a, int b, int len) {
    if (len > 16) {
      return Arrays.equals(text, a, a + len, text, b, b + len);
    }
    for (int k = 0; k < len; k++) {
      if (text[a + k] != text[b + k]) {
        return false;
      }
    }
    return true;
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
      slotOf[e] = slot;
    }
    slots = bigger;
    mask = m;
  }
}
