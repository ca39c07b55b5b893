package org.verbo.models.train.sync;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeltaCodecTest {

    @Test
    void bf16RoundsToNearestEvenLikeTorch() {
        // Hand values: bf16 keeps 8 significant bits. 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the
        // even mantissa (1.0); 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to 1 + 2^-6.
        assertEquals(1.0f, DeltaCodec.fromBf16(DeltaCodec.toBf16(1.0f + 0x1p-8f)));
        assertEquals(1.0f + 0x1p-6f, DeltaCodec.fromBf16(DeltaCodec.toBf16(1.0f + 3 * 0x1p-8f)));
        assertEquals(1.0f + 0x1p-7f, DeltaCodec.fromBf16(DeltaCodec.toBf16(1.0f + 0x1p-7f + 0x1p-10f)));
        assertEquals(-0.0078125f, DeltaCodec.fromBf16(DeltaCodec.toBf16(-0.0078125f)));
        assertEquals((short) 0x3F80, DeltaCodec.toBf16(1.0f));
        assertEquals((short) 0xC000, DeltaCodec.toBf16(-2.0f));
        assertTrue(Float.isNaN(DeltaCodec.fromBf16(DeltaCodec.toBf16(Float.NaN))));
    }

    @Test
    void fp32IsExactAndTheOthersWithinTheirPrecision() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 1000;
        float[] global = new float[n];
        float[] local = new float[n];
        for (int i = 0; i < n; i++) {
            global[i] = (float) (rnd.nextGaussian() * 0.02);
            local[i] = global[i] + (float) (rnd.nextGaussian() * 1e-3);
        }
        int from = 100;
        int to = 900;
        for (DeltaCodec c : DeltaCodec.values()) {
            byte[] enc = c.encode(local, global, from, to);
            assertEquals(c.bytes(to - from), enc.length, c + " size");
            double[] sum = new double[to - from];
            c.addTo(enc, global, from, sum);
            double maxErr = 0;
            for (int i = 0; i < sum.length; i++) {
                double exact = (double) local[from + i] - global[from + i];
                if (c == DeltaCodec.FP32) {
                    assertEquals(exact, sum[i], 0.0, "fp32 is exact");
                    assertEquals(local[from + i], (float) (global[from + i] + sum[i]), 0.0f, "and restores θ_k");
                }
                maxErr = Math.max(maxErr, Math.abs(sum[i] - exact));
            }
            // bf16: relative error <= 2^-9 of |Δ| (|Δ| < 6e-3 here); int8: half a step of max|Δ|/127 per block
            double bound = switch (c) {
                case FP32 -> 0;
                case BF16 -> 6e-3 * 0x1p-8;
                case INT8 -> 6e-3 / 127 / 2 * 1.01;
            };
            assertTrue(maxErr <= bound, c + " max error " + maxErr + " > " + bound);
        }
        assertEquals(4 + 2 * 800, DeltaCodec.BF16.bytes(800));
        assertEquals(4 + 800 + 4 * 4, DeltaCodec.INT8.bytes(800));   // 4 blocks of <= 256, a float scale each
    }

    @Test
    void zeroDeltaEncodesToZero() {
        float[] g = {0.5f, -1f, 3f};
        for (DeltaCodec c : DeltaCodec.values()) {
            double[] sum = new double[3];
            c.addTo(c.encode(g.clone(), g, 0, 3), g, 0, sum);
            assertEquals(0.0, sum[0] + sum[1] + sum[2], 0.0, c.toString());
        }
    }
}
