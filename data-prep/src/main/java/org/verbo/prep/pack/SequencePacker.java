package org.verbo.prep.pack;

import java.util.function.Consumer;

/**
 * Packs documents into fixed-length training blocks (GPT-2/nanoGPT style): each document's tokens
 * are followed by the end-of-sequence id, everything is concatenated into one stream, and the
 * stream is cut into consecutive blocks of {@code blockLength = context_length + 1} tokens (the
 * extra token is the last target: inputs {@code block[0..T)}, targets {@code block[1..T+1)}).
 * A document may span blocks; no padding is ever added. The tokens after the last full block are
 * dropped, and counted by {@link #droppedTailTokens()}.
 *
 * <p>Invariant: {@code tokens() == blocks() * blockLength + droppedTailTokens()}. Not thread-safe
 * (one packer per partition).
 */
public final class SequencePacker {

    private final int blockLength;
    private final int eosId;
    private final Consumer<int[]> sink;
    private int[] block;
    private int fill;
    private long blocks;
    private long tokenCount;
    private long documents;

    /**
     * @param blockLength tokens per block ({@code context_length + 1}), > 1
     * @param eosId appended after every document
     * @param sink receives each full block as a fresh array it may keep
     */
    public SequencePacker(int blockLength, int eosId, Consumer<int[]> sink) {
        if (blockLength < 2) {
            throw new IllegalArgumentException("blockLength must be >= 2 (context_length + 1), got " + blockLength);
        }
        if (eosId < 0) {
            throw new IllegalArgumentException("eosId must be >= 0, got " + eosId);
        }
        this.blockLength = blockLength;
        this.eosId = eosId;
        this.sink = java.util.Objects.requireNonNull(sink, "sink");
        this.block = new int[blockLength];
    }

    /** Appends {@code tokens} and then the end-of-sequence id, emitting every block that fills up. */
    public void addDocument(int[] tokens) {
        int at = 0;
        while (at < tokens.length) {
            int n = Math.min(tokens.length - at, blockLength - fill);
            System.arraycopy(tokens, at, block, fill, n);
            fill += n;
            at += n;
            if (fill == blockLength) {
                emit();
            }
        }
        block[fill++] = eosId;
        if (fill == blockLength) {
            emit();
        }
        tokenCount += tokens.length + 1L;
        documents++;
    }

    private void emit() {
        int[] full = block;
        block = new int[blockLength];
        fill = 0;
        blocks++;
        sink.accept(full);
    }

    /** Full blocks emitted. */
    public long blocks() {
        return blocks;
    }

    /** Tokens added, end-of-sequence ids included. */
    public long tokens() {
        return tokenCount;
    }

    /** Documents added. */
    public long documents() {
        return documents;
    }

    /** Tokens waiting in the partial last block: dropped when the input ends. */
    public long droppedTailTokens() {
        return fill;
    }

    public int blockLength() {
        return blockLength;
    }
}
