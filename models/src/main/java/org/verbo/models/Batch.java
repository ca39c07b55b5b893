package org.verbo.models;

import java.util.List;

/**
 * A micro-batch of B equal-length blocks. A block of length T+1 gives inputs block[0..T) and next-token
 * targets block[1..T+1). Negative ids are padding: as an input they read embedding row 0 (causality means
 * they never affect earlier positions), as a target they are ignored by the loss.
 *
 * @param inputs  [B*T] row-major (b-major)
 * @param targets [B*T]
 */
public record Batch(int batchSize, int seqLen, int[] inputs, int[] targets) {

    public static Batch of(List<int[]> blocks, int vocabSize, int contextLength) {
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int len = blocks.get(0).length;
        if (len < 2) {
            throw new IllegalArgumentException("a block needs at least 2 tokens (input + next-token target), got " + len);
        }
        if (len - 1 > contextLength) {
            throw new IllegalArgumentException("block of " + len + " tokens exceeds context length " + contextLength
                    + " + 1");
        }
        int t = len - 1;
        int b = blocks.size();
        int[] in = new int[b * t];
        int[] tg = new int[b * t];
        for (int i = 0; i < b; i++) {
            int[] blk = blocks.get(i);
            if (blk.length != len) {
                throw new IllegalArgumentException("blocks in one batch must have equal length: " + len + " vs " + blk.length);
            }
            for (int j = 0; j < len; j++) {
                if (blk[j] >= vocabSize) {
                    throw new IllegalArgumentException("token id " + blk[j] + " is outside the vocabulary of size " + vocabSize);
                }
            }
            for (int j = 0; j < t; j++) {
                in[i * t + j] = Math.max(0, blk[j]);
                tg[i * t + j] = blk[j + 1] < 0 ? -1 : blk[j + 1];
            }
        }
        return new Batch(b, t, in, tg);
    }

    public int tokenCount() {
        return batchSize * seqLen;
    }
}
