package org.verbo.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian unsigned header
 * length N, N bytes of UTF-8 JSON mapping tensor names to {@code {"dtype", "shape", "data_offsets": [begin, end]}}
 * (offsets relative to the byte buffer after the header) plus an optional {@code "__metadata__"} string map,
 * then the raw little-endian row-major data. Writes F32 or F64; reads F32, F64, F16 and BF16.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Refuse absurd headers before allocating (the reference implementation caps at 100 MB). */
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {
    }

    /** Data of one tensor to write; exactly one of f32 / f64 is non-null. */
    public record Tensor(long[] shape, float[] f32, double[] f64) {
        public static Tensor of(long[] shape, float[] data) {
            return new Tensor(shape, data, null);
        }

        public static Tensor of(long[] shape, double[] data) {
            return new Tensor(shape, null, data);
        }

        long byteSize() {
            return f32 != null ? 4L * f32.length : 8L * f64.length;
        }
    }

    /** Source of tensor data, fetched one tensor at a time so large models are never held twice. */
    public interface TensorSource {
        Tensor get(String name);
    }

    /** Header entry of a tensor in a file. */
    public record Info(String name, String dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Writes the tensors in the given order with 8-byte aligned header. */
    public static void write(Path file, List<String> names, Map<String, long[]> shapes, Map<String, String> dtypes,
                             TensorSource source, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (String name : names) {
            long[] shape = shapes.get(name);
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            String dtype = dtypes.get(name);
            long bytes = n * ("F64".equals(dtype) ? 8 : 4);
            ObjectNode t = header.putObject(name);
            t.put("dtype", dtype);
            var arr = t.putArray("shape");
            for (long d : shape) {
                arr.add(d);
            }
            var off = t.putArray("data_offsets");
            off.add(offset);
            off.add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            len.flip();
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(headerBytes));
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (String name : names) {
                Tensor t = source.get(name);
                long expected = header.get(name).get("data_offsets").get(1).asLong()
                        - header.get(name).get("data_offsets").get(0).asLong();
                if (t.byteSize() != expected || ("F64".equals(dtypes.get(name)) != (t.f64() != null))) {
                    throw new IllegalArgumentException("tensor " + name + " data does not match its declared shape/dtype");
                }
                if (t.f32() != null) {
                    for (float v : t.f32()) {
                        if (buf.remaining() < 4) {
                            flush(ch, buf);
                        }
                        buf.putFloat(v);
                    }
                } else {
                    for (double v : t.f64()) {
                        if (buf.remaining() < 8) {
                            flush(ch, buf);
                        }
                        buf.putDouble(v);
                    }
                }
            }
            flush(ch, buf);
            ch.force(true);
        }
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        writeFully(ch, buf);
        buf.clear();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** An open safetensors file; validates the header against the file size on open. */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel ch;
        private final long dataStart;
        private final Map<String, Info> infos = new LinkedHashMap<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();

        public Reader(Path file) {
            this.file = file;
            try {
                this.ch = FileChannel.open(file, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new CheckpointException("cannot open " + file + ": " + e.getMessage(), e);
            }
            try {
                long size = ch.size();
                if (size < 8) {
                    throw new CheckpointException(file + " is truncated: " + size + " bytes, shorter than the 8-byte header length");
                }
                ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                readFully(0, lenBuf);
                long headerLen = lenBuf.flip().getLong();
                if (headerLen < 2 || headerLen > MAX_HEADER) {
                    throw new CheckpointException(file + " is not a safetensors file: header length " + headerLen);
                }
                if (8 + headerLen > size) {
                    throw new CheckpointException(file + " is truncated: header needs " + headerLen + " bytes, file has "
                            + (size - 8) + " after the length");
                }
                ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
                readFully(8, hb);
                JsonNode root;
                try {
                    root = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8).trim());
                } catch (IOException e) {
                    throw new CheckpointException(file + " has a malformed safetensors JSON header: " + e.getMessage(), e);
                }
                if (root == null || !root.isObject()) {
                    throw new CheckpointException(file + " has a safetensors header that is not a JSON object");
                }
                this.dataStart = 8 + headerLen;
                long dataLen = size - dataStart;
                Iterator<Map.Entry<String, JsonNode>> it = root.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> f = it.next();
                    if (f.getKey().equals("__metadata__")) {
                        f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                        continue;
                    }
                    JsonNode t = f.getValue();
                    JsonNode shapeNode = t.get("shape");
                    JsonNode offs = t.get("data_offsets");
                    if (t.get("dtype") == null || shapeNode == null || offs == null || offs.size() != 2) {
                        throw new CheckpointException(file + ": tensor '" + f.getKey() + "' has an incomplete header entry");
                    }
                    long[] shape = new long[shapeNode.size()];
                    for (int i = 0; i < shape.length; i++) {
                        shape[i] = shapeNode.get(i).asLong();
                    }
                    Info info = new Info(f.getKey(), t.get("dtype").asText(), shape, offs.get(0).asLong(), offs.get(1).asLong());
                    long width = width(info.dtype());
                    if (width > 0 && info.end() - info.begin() != info.elements() * width) {
                        throw new CheckpointException(file + ": tensor '" + info.name() + "' declares shape "
                                + Arrays.toString(shape) + " " + info.dtype() + " but spans " + (info.end() - info.begin()) + " bytes");
                    }
                    if (info.end() > dataLen || info.begin() < 0 || info.begin() > info.end()) {
                        throw new CheckpointException(file + " is truncated: tensor '" + info.name() + "' needs bytes ["
                                + info.begin() + ", " + info.end() + ") of the data section but it has " + dataLen + " bytes");
                    }
                    infos.put(info.name(), info);
                }
            } catch (IOException e) {
                close();
                throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private static long width(String dtype) {
            return switch (dtype) {
                case "F64", "I64", "U64" -> 8;
                case "F32", "I32", "U32" -> 4;
                case "F16", "BF16", "I16", "U16" -> 2;
                case "I8", "U8", "BOOL" -> 1;
                default -> -1;
            };
        }

        private void readFully(long pos, ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                int n = ch.read(b, pos);
                if (n < 0) {
                    throw new IOException("unexpected end of file");
                }
                pos += n;
            }
        }

        public Path file() {
            return file;
        }

        public List<String> names() {
            return Collections.unmodifiableList(new ArrayList<>(infos.keySet()));
        }

        public boolean contains(String name) {
            return infos.containsKey(name);
        }

        public Info info(String name) {
            Info i = infos.get(name);
            if (i == null) {
                throw new CheckpointException(file + " is missing tensor '" + name + "'");
            }
            return i;
        }

        public Map<String, String> metadata() {
            return Collections.unmodifiableMap(metadata);
        }

        /** Reads a floating-point tensor as float32 (F16/BF16 widened, F64 narrowed). */
        public float[] readFloats(String name) {
            Info info = info(name);
            ByteBuffer raw = readRaw(info);
            int n = Math.toIntExact(info.elements());
            float[] out = new float[n];
            switch (info.dtype()) {
                case "F32" -> raw.asFloatBuffer().get(out);
                case "F64" -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) raw.getDouble();
                    }
                }
                case "BF16" -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = Float.intBitsToFloat((raw.getShort() & 0xFFFF) << 16);
                    }
                }
                case "F16" -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = halfToFloat(raw.getShort());
                    }
                }
                default -> throw new CheckpointException(file + ": tensor '" + name + "' has dtype " + info.dtype()
                        + "; only F32, F64, F16 and BF16 are supported");
            }
            return out;
        }

        /** Reads a floating-point tensor as float64 (exact for F64 and F32). */
        public double[] readDoubles(String name) {
            Info info = info(name);
            if (!info.dtype().equals("F64")) {
                float[] f = readFloats(name);
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    d[i] = f[i];
                }
                return d;
            }
            ByteBuffer raw = readRaw(info);
            double[] out = new double[Math.toIntExact(info.elements())];
            raw.asDoubleBuffer().get(out);
            return out;
        }

        private ByteBuffer readRaw(Info info) {
            long len = info.end() - info.begin();
            if (len > Integer.MAX_VALUE) {
                throw new CheckpointException(file + ": tensor '" + info.name() + "' is larger than 2 GiB");
            }
            ByteBuffer b = ByteBuffer.allocate((int) len).order(ByteOrder.LITTLE_ENDIAN);
            try {
                readFully(dataStart + info.begin(), b);
            } catch (IOException e) {
                throw new CheckpointException(file + " is truncated or unreadable at tensor '" + info.name() + "': "
                        + e.getMessage(), e);
            }
            b.flip();
            return b;
        }

        @Override
        public void close() {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing useful to do on close of a read-only channel
            }
        }
    }

    /** IEEE 754 binary16 -> binary32. */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0) {
            float v = mant * 0x1p-24f;   // subnormal
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
