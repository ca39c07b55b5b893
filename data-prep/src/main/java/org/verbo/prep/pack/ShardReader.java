package org.verbo.prep.pack;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Reads a {@link ShardFormat} file block by block through a buffered stream; memory use is one
 * block, whatever the shard size. {@link #hasNext()} and {@link #next()} throw an
 * {@link UncheckedIOException} wrapping a {@link ShardFormat.CorruptShardException} for a truncated
 * final block or a token outside the vocabulary.
 */
public final class ShardReader implements Iterator<int[]>, Closeable {

    private final InputStream in;
    private final ShardFormat.Header header;
    private final byte[] buf;
    private int[] pending;
    private long blocksRead;
    private boolean eof;

    /**
     * Reads and checks the header.
     *
     * @throws ShardFormat.CorruptShardException if the header is short or invalid
     */
    public ShardReader(InputStream in) throws IOException {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
        this.header = ShardFormat.Header.read(this.in);
        this.buf = new byte[header.blockBytes()];
    }

    public ShardFormat.Header header() {
        return header;
    }

    public int blockLength() {
        return header.blockLength();
    }

    public int vocabSize() {
        return header.vocabSize();
    }

    /** Blocks returned by {@link #next()} so far. */
    public long blocksRead() {
        return blocksRead;
    }

    @Override
    public boolean hasNext() {
        if (pending == null && !eof) {
            try {
                pending = readBlock();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            eof = pending == null;
        }
        return pending != null;
    }

    @Override
    public int[] next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more blocks after " + blocksRead);
        }
        int[] b = pending;
        pending = null;
        blocksRead++;
        return b;
    }

    private int[] readBlock() throws IOException {
        int n = in.readNBytes(buf, 0, buf.length);
        if (n == 0) {
            return null;
        }
        if (n < buf.length) {
            throw new ShardFormat.CorruptShardException("truncated shard: block " + blocksRead + " has " + n
                    + " of " + buf.length + " bytes");
        }
        return header.decodeBlock(buf, blocksRead);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
