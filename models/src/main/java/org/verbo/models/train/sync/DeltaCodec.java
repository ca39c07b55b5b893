package org.verbo.models.train.sync;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * How a worker's contribution to one chunk of the parameter vector travels to the task that combines it. The
 * contribution is the worker's parameter delta Δ = θ_k − θ (θ the round's global parameters):
 * <ul>
 *   <li>{@link #FP32}: the worker's float32 parameters themselves, 4 bytes a value; the combining task forms
 *       Δ = (double) θ_k − (double) θ, which is exact, so one worker averaged with nothing reproduces its own
 *       parameters to the bit;</li>
 *   <li>{@link #BF16}: Δ rounded to bfloat16 (round to nearest even), 2 bytes a value, as OpenDiLoCo sends
 *       its pseudo-gradients;</li>
 *   <li>{@link #INT8}: Δ in blocks of {@value #INT8_BLOCK} values, each block a float32 scale max|Δ| / 127 and
 *       one signed byte per value (round to nearest), about 1.02 bytes a value, as INTELLECT-1's int8 all-reduce.</li>
 * </ul>
 * Encoded chunks are little-endian and self-contained (value count in the first 4 bytes).
 */
public enum DeltaCodec {
    FP32, BF16, INT8;

    static final int INT8_BLOCK = 256;

    public static DeltaCodec parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "fp32", "f32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            case "int8" -> INT8;
            default -> throw new IllegalArgumentException("unknown delta codec '" + s + "'; expected bf16, fp32 or int8");
        };
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Encoded size of n values. */
    public long bytes(long n) {
        return 4 + switch (this) {
            case FP32 -> 4 * n;
            case BF16 -> 2 * n;
            case INT8 -> n + 4 * ((n + INT8_BLOCK - 1) / INT8_BLOCK);
        };
    }

    /**
     * Encodes values [from, to) of a worker's parameters {@code local} against the round's global parameters
     * {@code global} (same layout, same range).
     */
    public byte[] encode(float[] local, float[] global, int from, int to) {
        int n = to - from;
        ByteBuffer b = ByteBuffer.allocate((int) bytes(n)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(n);
        switch (this) {
            case FP32 -> {
                for (int i = from; i < to; i++) {
                    b.putFloat(local[i]);
                }
            }
            case BF16 -> {
                for (int i = from; i < to; i++) {
                    b.putShort(toBf16((float) ((double) local[i] - global[i])));
                }
            }
            case INT8 -> {
                for (int s = from; s < to; s += INT8_BLOCK) {
                    int e = Math.min(to, s + INT8_BLOCK);
                    double max = 0;
                    for (int i = s; i < e; i++) {
                        max = Math.max(max, Math.abs((double) local[i] - global[i]));
                    }
                    float scale = (float) (max / 127.0);
                    b.putFloat(scale);
                    for (int i = s; i < e; i++) {
                        double d = (double) local[i] - global[i];
                        long q = scale == 0f ? 0 : Math.round(d / scale);
                        b.put((byte) Math.max(-127, Math.min(127, q)));
                    }
                }
            }
        }
        return b.array();
    }

    /**
     * Adds the decoded delta to {@code sum} (double, length of the chunk): sum[i] += Δ[i], with {@code global} the
     * round's parameters for the same chunk starting at {@code globalFrom}.
     */
    public void addTo(byte[] encoded, float[] global, int globalFrom, double[] sum) {
        ByteBuffer b = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
        int n = b.getInt();
        if (n != sum.length) {
            throw new IllegalArgumentException("encoded chunk has " + n + " values, expected " + sum.length);
        }
        switch (this) {
            case FP32 -> {
                for (int i = 0; i < n; i++) {
                    sum[i] += (double) b.getFloat() - global[globalFrom + i];
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    sum[i] += fromBf16(b.getShort());
                }
            }
            case INT8 -> {
                for (int s = 0; s < n; s += INT8_BLOCK) {
                    int e = Math.min(n, s + INT8_BLOCK);
                    double scale = b.getFloat();
                    for (int i = s; i < e; i++) {
                        sum[i] += b.get() * scale;
                    }
                }
            }
        }
    }

    /** float32 → bfloat16 bits, round to nearest even (NaN stays NaN), as torch's {@code .to(torch.bfloat16)}. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }
}
