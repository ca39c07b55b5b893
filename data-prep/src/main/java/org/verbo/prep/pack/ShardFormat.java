// VRBSHARD token shard, format version 1. All integers are little-endian.
//
//   offset  size  field
//        0     8  magic        ASCII "VRBSHARD"
//        8     4  version      uint32, 1
//       12     4  dtype        uint32, 1 = uint16 tokens, 2 = int32 tokens
//       16     4  blockLength  uint32, tokens per block (context_length + 1)
//       20     4  vocabSize    uint32, every token id is < vocabSize
//       24     8  reserved     zero
//       32     …  blocks       blockLength tokens each, back to back, no padding, no trailer
//
// dtype is uint16 when vocabSize <= 65536, else int32. The block count is not stored (a writer
// streams): blocks = (fileLength - 32) / (blockLength * bytesPerToken), and a non-zero remainder
// means the file was cut short. Block i starts at byte 32 + i * blockLength * bytesPerToken, so a
// reader can seek to any block (memory-map, random sampling) without an index.
package org.verbo.prep.pack;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The token shard file layout (see the comment at the top of this file):
 *
 * <pre>
 * offset size field
 *      0    8 magic       "VRBSHARD"
 *      8    4 version     uint32 LE = 1
 *     12    4 dtype       uint32 LE: 1 = uint16, 2 = int32
 *     16    4 blockLength uint32 LE (tokens per block = context_length + 1)
 *     20    4 vocabSize   uint32 LE
 *     24    8 reserved    0
 *     32    … blocks      blockLength little-endian tokens each, back to back
 * </pre>
 *
 * dtype is uint16 when {@code vocabSize <= 65536}, else int32; block count =
 * {@code (fileLength - 32) / (blockLength * bytesPerToken)}.
 */
public final class ShardFormat {

    /** The 8 magic bytes at offset 0. */
    public static final byte[] MAGIC = "VRBSHARD".getBytes(StandardCharsets.US_ASCII);
    /** The format version this code writes and reads. */
    public static final int VERSION = 1;
    /** Bytes before the first block. */
    public static final int HEADER_SIZE = 32;
    /** dtype code: unsigned 16-bit tokens. */
    public static final int DTYPE_UINT16 = 1;
    /** dtype code: signed 32-bit tokens. */
    public static final int DTYPE_INT32 = 2;
    /** Largest vocabulary stored as uint16. */
    public static final int MAX_UINT16_VOCAB = 65536;

    private ShardFormat() {}

    /** A shard file that does not follow the format (bad magic, version, truncated, bad token). */
    public static final class CorruptShardException extends IOException {
        private static final long serialVersionUID = 1L;

        public CorruptShardException(String message) {
            super(message);
        }
    }

    /** The dtype a writer uses for {@code vocabSize}. */
    public static int dtypeFor(int vocabSize) {
        return vocabSize <= MAX_UINT16_VOCAB ? DTYPE_UINT16 : DTYPE_INT32;
    }

    /**
     * The fixed header.
     *
     * @param version format version ({@link #VERSION})
     * @param dtype {@link #DTYPE_UINT16} or {@link #DTYPE_INT32}
     * @param blockLength tokens per block
     * @param vocabSize token ids are in {@code [0, vocabSize)}
     */
    public record Header(int version, int dtype, int blockLength, int vocabSize) {
        public Header {
            if (blockLength <= 0) {
                throw new IllegalArgumentException("blockLength must be > 0, got " + blockLength);
            }
            if (vocabSize <= 0) {
                throw new IllegalArgumentException("vocabSize must be > 0, got " + vocabSize);
            }
            if (dtype != dtypeFor(vocabSize)) {
                throw new IllegalArgumentException("dtype " + dtype + " does not match vocabSize " + vocabSize
                        + " (expected " + dtypeFor(vocabSize) + ")");
            }
            if ((long) blockLength * (dtype == DTYPE_UINT16 ? 2 : 4) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("blockLength " + blockLength + " is too large");
            }
        }

        /** The header a writer uses. */
        public static Header of(int blockLength, int vocabSize) {
            return new Header(VERSION, dtypeFor(vocabSize), blockLength, vocabSize);
        }

        /** 2 for uint16, 4 for int32. */
        public int bytesPerToken() {
            return dtype == DTYPE_UINT16 ? 2 : 4;
        }

        /** Bytes per block. */
        public int blockBytes() {
            return blockLength * bytesPerToken();
        }

        /** File offset of block {@code index}. */
        public long blockOffset(long index) {
            return HEADER_SIZE + index * blockBytes();
        }

        /**
         * Number of whole blocks in a file of {@code fileLength} bytes.
         *
         * @throws CorruptShardException if the length is not header + whole blocks
         */
        public long blockCount(long fileLength) throws CorruptShardException {
            long body = fileLength - HEADER_SIZE;
            if (body < 0 || body % blockBytes() != 0) {
                throw new CorruptShardException("shard length " + fileLength + " is not " + HEADER_SIZE
                        + " + a multiple of " + blockBytes() + " (truncated?)");
            }
            return body / blockBytes();
        }

        /**
         * Decodes one block's bytes ({@link #blockBytes()} of them) into token ids.
         *
         * @param index the block's number, for the error message
         * @throws CorruptShardException for a token outside {@code [0, vocabSize)}
         */
        public int[] decodeBlock(byte[] buf, long index) throws CorruptShardException {
            int[] block = new int[blockLength];
            if (dtype == DTYPE_UINT16) {
                for (int i = 0, j = 0; i < blockLength; i++, j += 2) {
                    block[i] = (buf[j] & 0xFF) | (buf[j + 1] & 0xFF) << 8;
                }
            } else {
                for (int i = 0, j = 0; i < blockLength; i++, j += 4) {
                    block[i] = (buf[j] & 0xFF) | (buf[j + 1] & 0xFF) << 8 | (buf[j + 2] & 0xFF) << 16 | buf[j + 3] << 24;
                }
            }
            for (int i = 0; i < blockLength; i++) {
                if (block[i] < 0 || block[i] >= vocabSize) {
                    throw new CorruptShardException("block " + index + " token " + i + " = " + block[i]
                            + " is outside [0, " + vocabSize + ")");
                }
            }
            return block;
        }

        /** The 32 header bytes. */
        public byte[] toBytes() {
            ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC).putInt(version).putInt(dtype).putInt(blockLength).putInt(vocabSize).putLong(0L);
            return b.array();
        }

        public void write(OutputStream out) throws IOException {
            out.write(toBytes());
        }

        /**
         * Reads and checks a header.
         *
         * @throws CorruptShardException on a short header, wrong magic, unknown version or dtype
         */
        public static Header read(InputStream in) throws IOException {
            byte[] bytes = new byte[HEADER_SIZE];
            try {
                new DataInputStream(in).readFully(bytes);
            } catch (EOFException e) {
                throw new CorruptShardException("shard is shorter than its " + HEADER_SIZE + "-byte header");
            }
            return parse(bytes);
        }

        /** Parses 32 header bytes. */
        public static Header parse(byte[] bytes) throws CorruptShardException {
            if (bytes.length < HEADER_SIZE) {
                throw new CorruptShardException("shard is shorter than its " + HEADER_SIZE + "-byte header");
            }
            if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                throw new CorruptShardException("not a verbo token shard: magic is not \"VRBSHARD\"");
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int version = b.getInt(8);
            int dtype = b.getInt(12);
            int blockLength = b.getInt(16);
            int vocabSize = b.getInt(20);
            if (version != VERSION) {
                throw new CorruptShardException("unsupported shard format version " + version + " (this reader: "
                        + VERSION + ")");
            }
            if (dtype != DTYPE_UINT16 && dtype != DTYPE_INT32) {
                throw new CorruptShardException("unknown shard dtype " + dtype);
            }
            try {
                return new Header(version, dtype, blockLength, vocabSize);
            } catch (IllegalArgumentException e) {
                throw new CorruptShardException("bad shard header: " + e.getMessage());
            }
        }
    }
}
