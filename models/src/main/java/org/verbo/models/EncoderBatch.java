package org.verbo.models;

import java.util.List;

/**
 * A right-padded batch of B texts for the encoder view of the decoder ({@link LlamaModel#hiddenStates}): row b holds
 * its {@code lengths[b]} token ids at positions 0..lengths[b]-1 and padding after them. Padding ids are never seen by
 * a real position (the key-padding mask gives them zero attention weight), so any in-vocabulary id will do.
 *
 * @param batchSize B
 * @param seqLen    T, the padded length
 * @param tokens    [B*T] row-major (b-major), every id in [0, vocab)
 * @param lengths   [B] real tokens per row, each in [1, T]
 */
public record EncoderBatch(int batchSize, int seqLen, int[] tokens, int[] lengths) {
    /** Id written into padded slots by {@link #of}. */
    public static final int PAD_ID = 0;

    public EncoderBatch {
        if (batchSize < 1 || seqLen < 1) {
            throw new IllegalArgumentException("batch needs at least one row and one position, got " + batchSize + " x "
                    + seqLen);
        }
        if (tokens == null || tokens.length != batchSize * seqLen) {
            throw new IllegalArgumentException("expected " + batchSize * seqLen + " token ids, got "
                    + (tokens == null ? "null" : tokens.length));
        }
        if (lengths == null || lengths.length != batchSize) {
            throw new IllegalArgumentException("expected " + batchSize + " lengths, got "
                    + (lengths == null ? "null" : lengths.length));
        }
        for (int i = 0; i < batchSize; i++) {
            if (lengths[i] < 1 || lengths[i] > seqLen) {
                throw new IllegalArgumentException("row " + i + " has length " + lengths[i] + ", need 1.." + seqLen);
            }
        }
        for (int id : tokens) {
            if (id < 0) {
                throw new IllegalArgumentException("negative token id " + id + " (padding is given by lengths)");
            }
        }
    }

    /** Right-pads texts to the longest one with {@link #PAD_ID}. */
    public static EncoderBatch of(List<int[]> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int len = 0;
        for (int[] text : texts) {
            len = Math.max(len, text.length);
        }
        return of(texts, len);
    }

    /** Right-pads texts to seqLen (at least the longest text's length) with {@link #PAD_ID}. */
    public static EncoderBatch of(List<int[]> texts, int seqLen) {
        int b = texts.size();
        int[] tokens = new int[b * seqLen];
        int[] lengths = new int[b];
        for (int i = 0; i < b; i++) {
            int[] text = texts.get(i);
            if (text.length > seqLen) {
                throw new IllegalArgumentException("text " + i + " has " + text.length + " tokens, more than " + seqLen);
            }
            System.arraycopy(text, 0, tokens, i * seqLen, text.length);
            java.util.Arrays.fill(tokens, i * seqLen + text.length, (i + 1) * seqLen, PAD_ID);
            lengths[i] = text.length;
        }
        return new EncoderBatch(b, seqLen, tokens, lengths);
    }

    public int tokenCount() {
        return batchSize * seqLen;
    }
}
