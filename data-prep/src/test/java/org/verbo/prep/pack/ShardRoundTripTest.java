package org.verbo.prep.pack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShardRoundTripTest {

    private static byte[] write(int blockLength, int vocabSize, List<int[]> blocks) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ShardWriter w = new ShardWriter(bytes, blockLength, vocabSize)) {
            for (int[] b : blocks) {
                w.writeBlock(b);
            }
            assertEquals(blocks.size(), w.blocks());
        }
        return bytes.toByteArray();
    }

    private static List<int[]> read(byte[] shard) throws IOException {
        List<int[]> out = new ArrayList<>();
        try (ShardReader r = new ShardReader(new ByteArrayInputStream(shard))) {
            while (r.hasNext()) {
                out.add(r.next());
            }
        }
        return out;
    }

    private static List<int[]> randomBlocks(int n, int blockLength, int vocabSize, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<int[]> blocks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] b = rnd.ints(blockLength, 0, vocabSize).toArray();
            b[0] = vocabSize - 1; // the largest id must survive
            b[1] = 0;
            blocks.add(b);
        }
        return blocks;
    }

    @Test
    void headerAndTokenBytesAreExactlyAsDocumented() throws IOException {
        byte[] shard = write(3, 5000, List.of(new int[] {0x1234, 1, 999}));
        byte[] expected = {
            'V', 'R', 'B', 'S', 'H', 'A', 'R', 'D',
            1, 0, 0, 0, // version 1
            1, 0, 0, 0, // dtype uint16
            3, 0, 0, 0, // block length
            (byte) 0x88, 0x13, 0, 0, // vocab 5000 = 0x1388
            0, 0, 0, 0, 0, 0, 0, 0, // reserved
            0x34, 0x12, 1, 0, (byte) 0xE7, 3 // 0x1234, 1, 999 little-endian uint16
        };
        assertArrayEquals(expected, shard);

        byte[] wide = write(2, 70000, List.of(new int[] {69999, 7}));
        assertEquals(32 + 2 * 4, wide.length);
        assertEquals(2, wide[12], "dtype int32");
        // 69999 = 0x1116F little-endian int32
        assertArrayEquals(new byte[] {0x6F, 0x11, 0x01, 0x00}, Arrays.copyOfRange(wide, 32, 36));
    }

    @Test
    void uint16RoundTripIsBitExact() throws IOException {
        List<int[]> blocks = randomBlocks(50, 129, 65536, 1);
        byte[] shard = write(129, 65536, blocks);
        assertEquals(ShardFormat.HEADER_SIZE + 50L * 129 * 2, shard.length);
        ShardFormat.Header h = ShardFormat.Header.parse(shard);
        assertEquals(ShardFormat.DTYPE_UINT16, h.dtype());
        assertEquals(50, h.blockCount(shard.length));
        List<int[]> back = read(shard);
        assertEquals(blocks.size(), back.size());
        for (int i = 0; i < blocks.size(); i++) {
            assertArrayEquals(blocks.get(i), back.get(i));
        }
        assertArrayEquals(shard, write(129, 65536, back), "rewrite is byte-identical");
    }

    @Test
    void int32RoundTripIsBitExact() throws IOException {
        List<int[]> blocks = randomBlocks(20, 65, 1 << 20, 2);
        byte[] shard = write(65, 1 << 20, blocks);
        assertEquals(ShardFormat.HEADER_SIZE + 20L * 65 * 4, shard.length);
        try (ShardReader r = new ShardReader(new ByteArrayInputStream(shard))) {
            assertEquals(65, r.blockLength());
            assertEquals(1 << 20, r.vocabSize());
            for (int[] expected : blocks) {
                assertArrayEquals(expected, r.next());
            }
            assertFalse(r.hasNext());
        }
    }

    @Test
    void truncatedShardGivesAClearError() throws IOException {
        byte[] shard = write(16, 500, randomBlocks(3, 16, 500, 3));
        byte[] cut = Arrays.copyOf(shard, shard.length - 5);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> read(cut));
        assertInstanceOf(ShardFormat.CorruptShardException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("truncated shard: block 2"), e.getCause().getMessage());
        assertThrows(ShardFormat.CorruptShardException.class,
                () -> ShardFormat.Header.parse(shard).blockCount(cut.length));

        ShardFormat.CorruptShardException header = assertThrows(ShardFormat.CorruptShardException.class,
                () -> new ShardReader(new ByteArrayInputStream(Arrays.copyOf(shard, 20))));
        assertTrue(header.getMessage().contains("header"), header.getMessage());
        byte[] bad = shard.clone();
        bad[0] = 'X';
        assertThrows(ShardFormat.CorruptShardException.class, () -> new ShardReader(new ByteArrayInputStream(bad)));
        byte[] badToken = shard.clone();
        badToken[33] = (byte) 0xFF; // token 0 >= 0xFF00 > vocab 500
        e = assertThrows(UncheckedIOException.class, () -> read(badToken));
        assertTrue(e.getCause().getMessage().contains("outside"), e.getCause().getMessage());
    }

    @Test
    void writerRejectsBadBlocks() throws IOException {
        try (ShardWriter w = new ShardWriter(new ByteArrayOutputStream(), 4, 100)) {
            assertThrows(IllegalArgumentException.class, () -> w.writeBlock(new int[] {1, 2, 3}));
            assertThrows(IllegalArgumentException.class, () -> w.writeBlock(new int[] {1, 2, 3, 100}));
            assertThrows(IllegalArgumentException.class, () -> w.writeBlock(new int[] {1, 2, -1, 3}));
        }
        assertEquals(ShardFormat.DTYPE_UINT16, ShardFormat.dtypeFor(65536));
        assertEquals(ShardFormat.DTYPE_INT32, ShardFormat.dtypeFor(65537));
    }

    @Test
    void packerFeedsWriterEndToEnd() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ShardWriter w = new ShardWriter(bytes, 5, 50)) {
            SequencePacker p = new SequencePacker(5, 2, w::writeBlock);
            p.addDocument(new int[] {10, 11, 12});
            p.addDocument(new int[] {13, 14, 15, 16, 17, 18});
            assertEquals(2, p.blocks());
            assertEquals(1, p.droppedTailTokens());
        }
        List<int[]> back = read(bytes.toByteArray());
        assertArrayEquals(new int[] {10, 11, 12, 2, 13}, back.get(0));
        assertArrayEquals(new int[] {14, 15, 16, 17, 18}, back.get(1));
    }
}
