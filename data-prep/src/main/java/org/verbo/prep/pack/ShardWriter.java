package org.verbo.prep.pack;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Streams fixed-length token blocks into a {@link ShardFormat} file: header first, then each block
 * as little-endian uint16 or int32 (chosen from the vocabulary size). {@link #close()} flushes and
 * closes the stream; the caller writes to a temp path and renames it when done, so a half-written
 * shard never looks whole.
 */
public final class ShardWriter implements Closeable {

    private final OutputStream out;
    private final ShardFormat.Header header;
    private final byte[] buf;
    private long blocks;
    private boolean closed;

    /**
     * Writes the header at once.
     *
     * @throws IllegalArgumentException if blockLength or vocabSize is not positive
     * @throws java.io.UncheckedIOException if the header cannot be written
     */
    public ShardWriter(OutputStream out, int blockLength, int vocabSize) {
        this.header = ShardFormat.Header.of(blockLength, vocabSize);
        this.out = out instanceof BufferedOutputStream ? out : new BufferedOutputStream(out, 1 << 16);
        this.buf = new byte[header.blockBytes()];
        try {
            header.write(this.out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write shard header", e);
        }
    }

    public ShardFormat.Header header() {
        return header;
    }

    /**
     * Appends one block.
     *
     * @throws IllegalArgumentException if the block has the wrong length or a token outside
     *     {@code [0, vocabSize)}
     * @throws java.io.UncheckedIOException on a write error
     */
    public void writeBlock(int[] block) {
        if (closed) {
            throw new IllegalStateException("shard writer is closed");
        }
        if (block.length != header.blockLength()) {
            throw new IllegalArgumentException("block has " + block.length + " tokens, shard blocks have "
                    + header.blockLength());
        }
        int vocab = header.vocabSize();
        boolean u16 = header.dtype() == ShardFormat.DTYPE_UINT16;
        int j = 0;
        for (int i = 0; i < block.length; i++) {
            int t = block[i];
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("token " + t + " at " + i + " is outside [0, " + vocab + ")");
            }
            buf[j++] = (byte) t;
            buf[j++] = (byte) (t >>> 8);
            if (!u16) {
                buf[j++] = (byte) (t >>> 16);
                buf[j++] = (byte) (t >>> 24);
            }
        }
        try {
            out.write(buf);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write shard block " + blocks, e);
        }
        blocks++;
    }

    /** Blocks written so far. */
    public long blocks() {
        return blocks;
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }
}
