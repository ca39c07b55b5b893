package org.verbo.prep.pack;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardBlockReaderTest {

    /** A byte array as a positioned-read file that counts the bytes read and whether it was closed. */
    static final class Bytes implements ShardBlockReader.Source {
        final byte[] data;
        long read;
        boolean closed;

        Bytes(byte[] data) {
            this.data = data;
        }

        @Override
        public void readFully(long position, byte[] buf) throws IOException {
            if (position + buf.length > data.length) {
                throw new java.io.EOFException("read past the end");
            }
            System.arraycopy(data, (int) position, buf, 0, buf.length);
            read += buf.length;
        }

        @Override
        public long length() {
            return data.length;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static byte[] shard(List<int[]> blocks, int len, int vocab) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ShardWriter w = new ShardWriter(out, len, vocab)) {
            for (int[] b : blocks) {
                w.writeBlock(b);
            }
        }
        return out.toByteArray();
    }

    @Test
    void readsAnyBlockAndOnlyThatBlock() throws IOException {
        for (int vocab : new int[]{300, 70_000}) {   // uint16 and int32 shards
            SplittableRandom rnd = new SplittableRandom(vocab);
            List<int[]> blocks = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                blocks.add(rnd.ints(7, 0, vocab).toArray());
            }
            Bytes src = new Bytes(shard(blocks, 7, vocab));
            try (ShardBlockReader r = new ShardBlockReader(src)) {
                assertEquals(9, r.blocks());
                long afterHeader = src.read;
                assertArrayEquals(blocks.get(6), r.block(6));
                assertArrayEquals(blocks.get(0), r.block(0));
                assertArrayEquals(blocks.get(8), r.block(8));
                int bytesPerToken = vocab <= 65536 ? 2 : 4;
                assertEquals(3L * 7 * bytesPerToken, src.read - afterHeader, "three blocks read, nothing else");
                assertThrows(IndexOutOfBoundsException.class, () -> r.block(9));
            }
            assertTrue(src.closed);
        }
    }

    @Test
    void rejectsTruncatedShardsAndClosesThem() throws IOException {
        byte[] whole = shard(List.of(new int[]{1, 2, 3}, new int[]{4, 5, 6}), 3, 10);
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 1);
        Bytes src = new Bytes(cut);
        ShardFormat.CorruptShardException e = assertThrows(ShardFormat.CorruptShardException.class,
                () -> new ShardBlockReader(src));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(src.closed, "a reader that fails to open closes its source");
    }
}
