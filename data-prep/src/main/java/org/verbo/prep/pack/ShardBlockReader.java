package org.verbo.prep.pack;

import java.io.Closeable;
import java.io.IOException;

/**
 * Random access to the blocks of one {@link ShardFormat} file: block i is read from its offset
 * ({@code 32 + i x blockBytes}) with one positioned read, so a trainer reads only the blocks it was assigned
 * instead of streaming the shard from the start ({@link ShardReader}). The source is any positioned-read file
 * (Hadoop's {@code FSDataInputStream}, a {@code FileChannel}); this class closes it.
 */
public final class ShardBlockReader implements Closeable {

    /** A file that can be read at any offset. */
    public interface Source extends Closeable {
        /** Fills {@code buf} from byte {@code position}; fails if the file ends first. */
        void readFully(long position, byte[] buf) throws IOException;

        /** File length in bytes. */
        long length() throws IOException;
    }

    private final Source source;
    private final ShardFormat.Header header;
    private final long blocks;
    private final byte[] buf;

    /**
     * Reads and checks the header and the length.
     *
     * @throws ShardFormat.CorruptShardException on a bad header or a length that is not whole blocks
     */
    public ShardBlockReader(Source source) throws IOException {
        this.source = source;
        try {
            long length = source.length();
            if (length < ShardFormat.HEADER_SIZE) {
                throw new ShardFormat.CorruptShardException("shard is shorter than its " + ShardFormat.HEADER_SIZE
                        + "-byte header");
            }
            byte[] h = new byte[ShardFormat.HEADER_SIZE];
            source.readFully(0, h);
            this.header = ShardFormat.Header.parse(h);
            this.blocks = header.blockCount(length);
            this.buf = new byte[header.blockBytes()];
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    public ShardFormat.Header header() {
        return header;
    }

    /** Whole blocks in the file. */
    public long blocks() {
        return blocks;
    }

    /** Block {@code index} (0-based) as token ids. */
    public int[] block(long index) throws IOException {
        if (index < 0 || index >= blocks) {
            throw new IndexOutOfBoundsException("block " + index + " of a shard with " + blocks + " blocks");
        }
        source.readFully(header.blockOffset(index), buf);
        return header.decodeBlock(buf, index);
    }

    @Override
    public void close() throws IOException {
        source.close();
    }
}
