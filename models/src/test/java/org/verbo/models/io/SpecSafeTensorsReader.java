package org.verbo.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An independent safetensors reader written only from the format specification
 * (https://github.com/huggingface/safetensors#format): 8 bytes little-endian u64 N, N bytes of JSON header,
 * then the byte buffer; each tensor's data_offsets are [begin, end) into that buffer, data little-endian.
 * Deliberately shares no code with {@link SafeTensors}.
 */
final class SpecSafeTensorsReader {
    record Tensor(String dtype, long[] shape, float[] values) {
    }

    static Map<String, Tensor> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        JsonNode root = new ObjectMapper().readTree(header);
        int base = 8 + (int) n;
        Map<String, Tensor> out = new LinkedHashMap<>();
        Iterator<String> names = root.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (name.equals("__metadata__")) {
                continue;
            }
            JsonNode t = root.get(name);
            if (!t.get("dtype").asText().equals("F32")) {
                throw new IOException("test reader handles F32 only");
            }
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).asLong();
            }
            int begin = t.get("data_offsets").get(0).asInt();
            int end = t.get("data_offsets").get(1).asInt();
            float[] v = new float[(end - begin) / 4];
            for (int i = 0; i < v.length; i++) {
                v[i] = Float.intBitsToFloat(bb.getInt(base + begin + 4 * i));
            }
            out.put(name, new Tensor(t.get("dtype").asText(), shape, v));
        }
        return out;
    }
}
