package org.verbo.prep.bpe;

import java.util.Arrays;

/**
 * Open-addressing (linear probing) map from non-negative {@code long} keys to {@code int} values,
 * used for token-pair keys {@code (left << 32) | right}. Avoids boxing in the trainer's and the
 * encoder's hot loops. Not thread-safe for writes; safe to read concurrently once built.
 */
final class LongIntHashMap implements java.io.Serializable {

    private static final long serialVersionUID = 1L;
    private static final long EMPTY = -1L;

    private long[] keys;
    private int[] values;
    private int size;
    private int mask;

    LongIntHashMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, (int) Math.min(1 << 30, expected * 2L)) - 1) << 1;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    static int left(long pair) {
        return (int) (pair >>> 32);
    }

    static int right(long pair) {
        return (int) pair;
    }

    private static int mix(long k) {
        // MurmurHash3 fmix64 finalizer: spreads the two packed ids over all bits.
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return (int) k;
    }

    int size() {
        return size;
    }

    /** The value for {@code key}, or {@code missing}. */
    int get(long key, int missing) {
        int i = mix(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return missing;
            }
            i = (i + 1) & mask;
        }
    }

    /** Puts {@code key → value} and returns the previous value, or {@code missing}. */
    int put(long key, int value, int missing) {
        if (key < 0) {
            throw new IllegalArgumentException("negative key " + key);
        }
        int i = mix(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == key) {
                int old = values[i];
                values[i] = value;
                return old;
            }
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = value;
                if (++size * 2 > keys.length) {
                    grow();
                }
                return missing;
            }
            i = (i + 1) & mask;
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        size = 0;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != EMPTY) {
                put(oldKeys[j], oldValues[j], 0);
            }
        }
    }
}
