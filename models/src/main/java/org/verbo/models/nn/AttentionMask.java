package org.verbo.models.nn;

import java.util.Arrays;

/**
 * The attention mask of one forward pass: a {@link AttentionMode} plus an optional key-padding mask for right-padded
 * batches. Row b holds {@code lengths[b]} real tokens at positions 0..lengths[b]-1 and padding after them; no query
 * attends to a padded key (its weight is exactly 0, so padding ids and padding length never change a real position).
 * Padded query rows still attend to the real keys, so their outputs are finite (never NaN) but carry no meaning.
 *
 * @param mode    causal or bidirectional
 * @param lengths per row of the batch, the number of real tokens (1..T); null when every row is T real tokens
 */
public record AttentionMask(AttentionMode mode, int[] lengths) {
    /** The language model's mask: causal, no padding. */
    public static final AttentionMask CAUSAL = new AttentionMask(AttentionMode.CAUSAL, null);

    public AttentionMask {
        if (mode == null) {
            throw new IllegalArgumentException("attention mode is null");
        }
        if (lengths != null) {
            lengths = lengths.clone();
            for (int i = 0; i < lengths.length; i++) {
                if (lengths[i] < 1) {
                    // a row without a real key would have nothing to attend to (softmax over an empty set)
                    throw new IllegalArgumentException("row " + i + " has " + lengths[i] + " real tokens; need >= 1");
                }
            }
        }
    }

    public static AttentionMask of(AttentionMode mode, int... lengths) {
        return new AttentionMask(mode, lengths);
    }

    public boolean causal() {
        return mode == AttentionMode.CAUSAL;
    }

    /** Whether some row has padding in a batch of sequences of length len. */
    public boolean padded(int len) {
        if (lengths == null) {
            return false;
        }
        for (int l : lengths) {
            if (l < len) {
                return true;
            }
        }
        return false;
    }

    /** Rejects a mask that does not fit a batch of {@code batch} rows of length {@code len}. */
    public void check(int batch, int len) {
        if (lengths == null) {
            return;
        }
        if (lengths.length != batch) {
            throw new IllegalArgumentException("key-padding mask has " + lengths.length + " rows, batch has " + batch);
        }
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] > len) {
                throw new IllegalArgumentException("row " + i + " has " + lengths[i] + " real tokens, more than the "
                        + "sequence length " + len);
            }
        }
    }

    /** Real tokens of row b (T when there is no padding). */
    public int length(int b, int len) {
        return lengths == null ? len : lengths[b];
    }

    /** Real tokens in a batch of {@code batch} rows of length {@code len}. */
    public long realTokens(int batch, int len) {
        if (lengths == null) {
            return (long) batch * len;
        }
        long n = 0;
        for (int l : lengths) {
            n += l;
        }
        return n;
    }

    /**
     * Where token (b, t) of a [batch, len] batch sits when only the real tokens are kept, sequence after sequence:
     * index b*len + t holds its row, or -1 for padding.
     */
    int[] packedRows(int batch, int len) {
        int[] rowOf = new int[batch * len];
        int row = 0;
        for (int b = 0; b < batch; b++) {
            int real = length(b, len);
            for (int t = 0; t < len; t++) {
                rowOf[b * len + t] = t < real ? row++ : -1;
            }
        }
        return rowOf;
    }

    /** The lengths array itself, not a copy, for the kernels (do not modify); null without padding. */
    int[] keyLengths() {
        return lengths;
    }

    @Override
    public int[] lengths() {
        return lengths == null ? null : lengths.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttentionMask m && m.mode == mode && Arrays.equals(m.lengths, lengths);
    }

    @Override
    public int hashCode() {
        return 31 * mode.hashCode() + Arrays.hashCode(lengths);
    }

    @Override
    public String toString() {
        return "AttentionMask[" + mode + (lengths == null ? "" : ", lengths=" + Arrays.toString(lengths)) + "]";
    }
}
