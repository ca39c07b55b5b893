package org.verbo.models.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Fused float32 kernels over ND4J's off-heap buffers, written with the JDK Vector API (AVX-512 gives 16 lanes; exp is
 * SVML's). Each kernel does in one or two passes what its block's reference path does in several ND4J ops; the
 * reference paths stay beside the calls and {@code VectorKernelsTest} holds both equal. Only loaded when
 * {@link Kernels#applies} said yes, so a JVM without the incubator module never links this class.
 *
 * <p>Indices are element offsets into the buffers (int: {@link Kernels#applies} caps arrays at 2^29 floats). Work is
 * split over {@link Kernels#parallel} by rows; reductions across rows keep one partial per part and add them in part
 * order, so a result depends only on the inputs and the thread count.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorKernels() {
    }

    /** Float lanes per vector on this CPU (16 with AVX-512, 8 with AVX2). */
    static int lanes() {
        return L;
    }

    // exp(x) = 2^n exp(r), n = round(x log2 e), r = x - n ln 2 (ln 2 split in two), exp(r) by Cephes' expf polynomial
    // (about 1 ulp). Why not VectorOperators.EXP: its result depends on whether C2 has compiled the loop (SVML) or not
    // (a Java fallback), so a run's bits would depend on JIT timing, and resuming from a checkpoint would not
    // reproduce the uninterrupted run. These are plain IEEE adds and multiplies, identical in every tier, and
    // expScalar is the same sequence for the loops' scalar tails.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;                 // 1.5 * 2^23: x + ROUND rounds x to an integer
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float EXP_MIN = -87.3365448f;            // below: 0 (flushed; exp is under the normal range)
    private static final float EXP_MAX = 88.0f;                   // above: +infinity (keeps n <= 127; true overflow at 88.72)
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = xc.mul(LOG2E).add(ROUND);
        FloatVector n = t.sub(ROUND);                                              // round(x log2 e)
        FloatVector r = xc.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.mul(P0).add(P1).mul(r).add(P2).mul(r).add(P3).mul(r).add(P4).mul(r).add(P5);
        FloatVector er = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n: n sits in t's low mantissa bits; move n + 127 into the exponent field (n <= 127 after the clamp)
        FloatVector pow2 = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        FloatVector e = er.mul(pow2);
        e = e.blend(0f, x.compare(VectorOperators.LT, EXP_MIN));
        return e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX));
    }

    /** The same arithmetic as {@link #exp(FloatVector)} on one float. */
    static float expScalar(float x) {
        if (x < EXP_MIN) {
            return 0f;
        }
        if (x > EXP_MAX) {
            return Float.POSITIVE_INFINITY;
        }
        float t = x * LOG2E + ROUND;
        float n = t - ROUND;
        float r = x - n * LN2_HI - n * LN2_LO;
        float p = ((((r * P0 + P1) * r + P2) * r + P3) * r + P4) * r + P5;
        float er = p * (r * r) + r + 1f;
        return er * Float.intBitsToFloat((Float.floatToRawIntBits(t) - (ROUND_BITS - 127)) << 23);
    }

    /** Lane sum in lane order (reduceLanes(ADD) leaves the order to the implementation, which differs by JIT tier). */
    private static float laneSum(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < L; i++) {
            s += v.lane(i);
        }
        return s;
    }

    // Vector loads and stores call the JDK's @ForceInline methods (FloatVector.fromByteBuffer, intoByteBuffer)
    // directly, never through a helper of ours: once a compilation reaches C2's NodeCountInliningCutoff, C2 inlines
    // only @ForceInline methods, and a helper left out of line boxes the vector it passes. With load/store helpers,
    // JFR counted about 200 MB of boxed vectors per bench-7m training step, from the SwiGLU and softmax kernels
    // (-XX:+PrintInlining: "store ... NodeCountInliningCutoff"; docs/PERFORMANCE.md).

    private static float get(ByteBuffer b, int i) {
        return b.getFloat(i << 2);
    }

    private static void put(ByteBuffer b, int i, float x) {
        b.putFloat(i << 2, x);
    }

    /** b[from, to) = x. */
    static void fill(ByteBuffer b, int from, int to, float x) {
        FloatVector xv = FloatVector.broadcast(S, x);
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            xv.intoByteBuffer(b, i << 2, ORDER);
        }
        for (; i < to; i++) {
            put(b, i, x);
        }
    }

    /** b[from, to) *= x. */
    static void scale(ByteBuffer b, int from, int to, float x) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            FloatVector.fromByteBuffer(S, b, i << 2, ORDER).mul(x).intoByteBuffer(b, i << 2, ORDER);
        }
        for (; i < to; i++) {
            put(b, i, get(b, i) * x);
        }
    }

    private static float max(ByteBuffer b, int from, int to) {
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            mv = mv.max(FloatVector.fromByteBuffer(S, b, i << 2, ORDER));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < to; i++) {
            max = Math.max(max, get(b, i));
        }
        return max;
    }

    /** Sum of exp(scale (b[i] - shift)) over [from, to); with write, b[i] becomes that exp. */
    private static double expShifted(ByteBuffer b, int from, int to, float shift, float scale, boolean write) {
        FloatVector sv = FloatVector.zero(S);
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            FloatVector e = exp(FloatVector.fromByteBuffer(S, b, i << 2, ORDER).sub(shift).mul(scale));
            if (write) {
                e.intoByteBuffer(b, i << 2, ORDER);
            }
            sv = sv.add(e);
        }
        double sum = laneSum(sv);
        for (; i < to; i++) {
            float e = expScalar((get(b, i) - shift) * scale);
            if (write) {
                put(b, i, e);
            }
            sum += e;
        }
        return sum;
    }

    /** out = x + y over n elements (residual connections). */
    static void add(ByteBuffer x, ByteBuffer y, ByteBuffer out, int n) {
        Kernels.parallel(n, 1 << 14, (part, from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector xv = FloatVector.fromByteBuffer(S, x, i << 2, ORDER);
                FloatVector yv = FloatVector.fromByteBuffer(S, y, i << 2, ORDER);
                xv.add(yv).intoByteBuffer(out, i << 2, ORDER);
            }
            for (; i < to; i++) {
                put(out, i, get(x, i) + get(y, i));
            }
        });
    }

    /** x = 0 over n elements. */
    static void zero(ByteBuffer x, int n) {
        Kernels.parallel(n, 1 << 16, (part, from, to) -> fill(x, from, to, 0f));
    }

    // ---------------------------------------------------------------------------------------------- cross-entropy

    /**
     * Next-token cross-entropy over z [n, v] (row r scored against targets[r], negative = ignored). Returns the sum
     * of the counted rows' losses. With grad, z is overwritten by dL/dz for the loss gradScale * sum: gradScale
     * (softmax - onehot) on counted rows, 0 on ignored ones. Per row: max, one exp pass that also sums, one scaling
     * pass; a row of 8,192 floats (32 KiB) stays in cache across the three.
     */
    static double crossEntropy(ByteBuffer z, int n, int v, int[] targets, float gradScale, boolean grad) {
        checkTargets(targets, n, v);
        double[] rowLoss = new double[n];
        Kernels.parallel(n, 8, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * v;
                int target = targets[r];
                if (target < 0) {
                    if (grad) {
                        fill(z, base, base + v, 0f);
                    }
                    continue;
                }
                float max = max(z, base, base + v);
                float zt = get(z, base + target) - max;
                double sum = expShifted(z, base, base + v, max, 1f, grad);
                if (grad) {
                    scale(z, base, base + v, (float) (gradScale / sum));
                    put(z, base + target, get(z, base + target) - gradScale);
                }
                rowLoss[r] = Math.log(sum) - zt;                   // -log softmax(z)[target]
            }
        });
        return crossEntropySum(rowLoss, targets, n);
    }

    /**
     * {@link #crossEntropy}'s per-row work on rows r0..r0+rows-1 held in a heap array z [rows, v] (a chunk of the LM
     * head's product, {@link PackedGemm#gemmCrossEntropy}): the same vector ops in the same order as on the buffer, so
     * the same dlogits bits; row r's loss goes to rowLoss[r] (0 for an ignored target), for {@link #crossEntropySum}.
     * Targets are checked by the caller before the product.
     */
    static void crossEntropyRows(float[] z, int r0, int rows, int v, int[] targets, float gradScale, double[] rowLoss) {
        for (int i = 0; i < rows; i++) {
            int base = i * v;
            int target = targets[r0 + i];
            if (target < 0) {
                java.util.Arrays.fill(z, base, base + v, 0f);
                rowLoss[r0 + i] = 0.0;
                continue;
            }
            float max = max(z, base, base + v);
            float zt = z[base + target] - max;
            double sum = expShifted(z, base, base + v, max);
            scale(z, base, base + v, (float) (gradScale / sum));
            z[base + target] = z[base + target] - gradScale;
            rowLoss[r0 + i] = Math.log(sum) - zt;                  // -log softmax(z)[target]
        }
    }

    /**
     * The loss sum of both cross-entropy paths from per-row losses, in one fixed order: the rows split into the parts
     * {@link Kernels#parallel} gives n rows (at least 8 a part, at most {@link Kernels#threads()} parts, the order in
     * which crossEntropy added per-part sums before it kept per-row losses), each part's counted rows added in row
     * order from 0, then the parts in order.
     */
    static double crossEntropySum(double[] rowLoss, int[] targets, int n) {
        int parts = (int) Math.max(1, Math.min(Kernels.threads(), n / 8L));
        double total = 0;
        for (int p = 0; p < parts; p++) {
            int from = (int) ((long) n * p / parts);
            int to = (int) ((long) n * (p + 1) / parts);
            double loss = 0;
            for (int r = from; r < to; r++) {
                if (targets[r] >= 0) {
                    loss += rowLoss[r];
                }
            }
            total += loss;
        }
        return total;
    }

    /** Checks crossEntropy's targets: an id at or above v is refused before any work. */
    static void checkTargets(int[] targets, int n, int v) {
        for (int r = 0; r < n; r++) {
            if (targets[r] >= v) {
                throw new IllegalArgumentException("target id " + targets[r] + " at row " + r + " outside vocabulary of "
                        + v);
            }
        }
    }

    private static float max(float[] b, int from, int to) {
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            mv = mv.max(FloatVector.fromArray(S, b, i));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < to; i++) {
            max = Math.max(max, b[i]);
        }
        return max;
    }

    /** {@link #expShifted(ByteBuffer, int, int, float, float, boolean)} with scale 1 and write, on a heap array. */
    private static double expShifted(float[] b, int from, int to, float shift) {
        FloatVector sv = FloatVector.zero(S);
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            FloatVector e = exp(FloatVector.fromArray(S, b, i).sub(shift));   // times 1: exact
            e.intoArray(b, i);
            sv = sv.add(e);
        }
        double sum = laneSum(sv);
        for (; i < to; i++) {
            float e = expScalar(b[i] - shift);
            b[i] = e;
            sum += e;
        }
        return sum;
    }

    private static void scale(float[] b, int from, int to, float x) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            FloatVector.fromArray(S, b, i).mul(x).intoArray(b, i);
        }
        for (; i < to; i++) {
            b[i] = b[i] * x;
        }
    }

    // ------------------------------------------------------------------------------------------ masked softmax

    /**
     * In place over s [rows, cols]: row r holds the scores of query position offset + (r mod qLen) against keys
     * 0..cols-1; it becomes softmax over the keys j <= that position of scale * s, and 0 for the later keys (the
     * causal mask without materialising it).
     */
    static void causalSoftmax(ByteBuffer s, int rows, int cols, int qLen, int offset, float scale) {
        maskedSoftmax(s, rows, cols, qLen, offset, scale, true, null, rows);
    }

    /**
     * Softmax backward for {@link #causalSoftmax}, in place into dp: ds = scale * p * (dp - sum_j dp_j p_j) over the
     * visible keys, 0 elsewhere.
     */
    static void causalSoftmaxBackward(ByteBuffer p, ByteBuffer dp, int rows, int cols, int qLen, int offset,
                                      float scale) {
        maskedSoftmaxBackward(p, dp, rows, cols, qLen, offset, scale, true, null, rows);
    }

    /**
     * Keys 0..valid-1 are visible to row r, the rest masked: with causal, keys up to the row's query position
     * offset + (r mod qLen); with keyLen, only the first keyLen[r / rowsPerSeq] keys of the row's sequence (right
     * padding); both masks may apply.
     */
    private static int visible(int r, int cols, int qLen, int offset, boolean causal, int[] keyLen, int rowsPerSeq) {
        int valid = causal ? Math.min(cols, offset + r % qLen + 1) : cols;
        return keyLen == null ? valid : Math.min(valid, keyLen[r / rowsPerSeq]);
    }

    /**
     * {@link #causalSoftmax} with the mask of {@link #visible}: causal or bidirectional, optionally key-padded. Row r
     * belongs to sequence r / rowsPerSeq (rows ordered [B, H, T] give rowsPerSeq = H T). Masked keys get exactly 0;
     * a row with no visible key (keyLen 0) would be all zeros, never NaN.
     */
    static void maskedSoftmax(ByteBuffer s, int rows, int cols, int qLen, int offset, float scale, boolean causal,
                              int[] keyLen, int rowsPerSeq) {
        Kernels.parallel(rows, 32, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * cols;
                int valid = visible(r, cols, qLen, offset, causal, keyLen, rowsPerSeq);
                if (valid > 0) {
                    float max = max(s, base, base + valid);       // scale > 0: max of scale*s is scale*max
                    double sum = expShifted(s, base, base + valid, max, scale, true);
                    scale(s, base, base + valid, (float) (1.0 / sum));
                }
                fill(s, base + valid, base + cols, 0f);
            }
        });
    }

    /**
     * Softmax backward for {@link #maskedSoftmax}, in place into dp: ds = scale * p * (dp - sum_j dp_j p_j) over the
     * visible keys, 0 elsewhere.
     */
    static void maskedSoftmaxBackward(ByteBuffer p, ByteBuffer dp, int rows, int cols, int qLen, int offset,
                                      float scale, boolean causal, int[] keyLen, int rowsPerSeq) {
        Kernels.parallel(rows, 32, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * cols;
                int valid = visible(r, cols, qLen, offset, causal, keyLen, rowsPerSeq);
                int bound = base + S.loopBound(valid);
                FloatVector acc = FloatVector.zero(S);
                int j = base;
                for (; j < bound; j += L) {
                    FloatVector dpv = FloatVector.fromByteBuffer(S, dp, j << 2, ORDER);
                    acc = dpv.fma(FloatVector.fromByteBuffer(S, p, j << 2, ORDER), acc);
                }
                float dot = laneSum(acc);
                for (; j < base + valid; j++) {
                    dot += get(dp, j) * get(p, j);
                }
                j = base;
                for (; j < bound; j += L) {
                    FloatVector dpv = FloatVector.fromByteBuffer(S, dp, j << 2, ORDER);
                    FloatVector pv = FloatVector.fromByteBuffer(S, p, j << 2, ORDER);
                    dpv.sub(dot).mul(pv).mul(scale).intoByteBuffer(dp, j << 2, ORDER);
                }
                for (; j < base + valid; j++) {
                    put(dp, j, (get(dp, j) - dot) * get(p, j) * scale);
                }
                fill(dp, base + valid, base + cols, 0f);
            }
        });
    }

    // ------------------------------------------------------------------------------------------------- RMSNorm

    /**
     * Sum over x[base, base + c) of (x - centre)^2, the vector lanes in lane order and then the scalar tail: RMSNorm's
     * sum of squares (centre 0, where x - 0 is x bit for bit) and LayerNorm's centred one.
     */
    private static double rowSquares(ByteBuffer x, int base, int c, float centre) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(c); j < bound; j += L) {
            FloatVector d = FloatVector.fromByteBuffer(S, x, (base + j) << 2, ORDER).sub(centre);
            acc = d.fma(d, acc);
        }
        double ss = laneSum(acc);
        for (; j < c; j++) {
            float d = get(x, base + j) - centre;
            ss += d * d;
        }
        return ss;
    }

    /** y = x * inv * w per row of x [n, c], inv[r] = 1 / sqrt(mean(x_r^2) + eps) (kept for backward). */
    static void rmsNormForward(ByteBuffer x, ByteBuffer w, ByteBuffer y, float[] inv, int n, int c, double eps) {
        int bound = S.loopBound(c);
        Kernels.parallel(n, 16, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * c;
                float ir = (float) (1.0 / Math.sqrt(rowSquares(x, base, c, 0f) / c + eps));
                inv[r] = ir;
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector xv = FloatVector.fromByteBuffer(S, x, (base + j) << 2, ORDER);
                    FloatVector wv = FloatVector.fromByteBuffer(S, w, j << 2, ORDER);
                    xv.mul(ir).mul(wv).intoByteBuffer(y, (base + j) << 2, ORDER);
                }
                for (; j < c; j++) {
                    put(y, base + j, get(x, base + j) * ir * get(w, j));
                }
            }
        });
    }

    /**
     * RMSNorm backward: dx = inv * (dy w) - x * inv^3 * sum(dy w x) / c per row; dw += sum over rows of dy * x * inv
     * (one partial per part, added in part order).
     */
    static void rmsNormBackward(ByteBuffer dy, ByteBuffer x, ByteBuffer w, float[] inv, ByteBuffer dx, ByteBuffer dw,
                                int n, int c) {
        int bound = S.loopBound(c);
        int maxParts = Kernels.threads();
        float[][] partial = new float[maxParts][];
        int parts = Kernels.parallel(n, 16, maxParts, (part, from, to) -> {
            float[] acc = new float[c];
            for (int r = from; r < to; r++) {
                int base = r * c;
                float ir = inv[r];
                FloatVector dotv = FloatVector.zero(S);
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector dyv = FloatVector.fromByteBuffer(S, dy, (base + j) << 2, ORDER);
                    FloatVector xv = FloatVector.fromByteBuffer(S, x, (base + j) << 2, ORDER);
                    dotv = dyv.mul(FloatVector.fromByteBuffer(S, w, j << 2, ORDER)).fma(xv, dotv);
                    FloatVector.fromArray(S, acc, j).add(dyv.mul(xv).mul(ir)).intoArray(acc, j);
                }
                float dot = laneSum(dotv);
                for (; j < c; j++) {
                    float dyj = get(dy, base + j);
                    float xj = get(x, base + j);
                    dot += dyj * get(w, j) * xj;
                    acc[j] += dyj * xj * ir;
                }
                float coef = ir * ir * ir * dot / c;
                j = 0;
                for (; j < bound; j += L) {
                    FloatVector dyv = FloatVector.fromByteBuffer(S, dy, (base + j) << 2, ORDER);
                    FloatVector wv = FloatVector.fromByteBuffer(S, w, j << 2, ORDER);
                    FloatVector xv = FloatVector.fromByteBuffer(S, x, (base + j) << 2, ORDER);
                    dyv.mul(wv).mul(ir).sub(xv.mul(coef)).intoByteBuffer(dx, (base + j) << 2, ORDER);
                }
                for (; j < c; j++) {
                    put(dx, base + j, get(dy, base + j) * get(w, j) * ir - get(x, base + j) * coef);
                }
            }
            partial[part] = acc;
        });
        for (int p = 0; p < parts; p++) {
            for (int j = 0; j < c; j++) {
                put(dw, j, get(dw, j) + partial[p][j]);
            }
        }
    }

    // ---------------------------------------------------------------------------------- LayerNorm, GEGLU (pooling)

    /**
     * Inference LayerNorm (torch.nn.LayerNorm): y = (x - mean) / sqrt(var + eps) * w + b per row of x [n, c], biased
     * variance from the centred values (two passes over the row, as the reference path's subtract-then-square).
     */
    static void layerNormForward(ByteBuffer x, ByteBuffer w, ByteBuffer b, ByteBuffer y, int n, int c, double eps) {
        int bound = S.loopBound(c);
        Kernels.parallel(n, 16, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * c;
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (; j < bound; j += L) {
                    acc = acc.add(FloatVector.fromByteBuffer(S, x, (base + j) << 2, ORDER));
                }
                double sum = laneSum(acc);
                for (; j < c; j++) {
                    sum += get(x, base + j);
                }
                float mean = (float) (sum / c);
                float inv = (float) (1.0 / Math.sqrt(rowSquares(x, base, c, mean) / c + eps));
                j = 0;
                for (; j < bound; j += L) {
                    FloatVector xv = FloatVector.fromByteBuffer(S, x, (base + j) << 2, ORDER);
                    FloatVector wv = FloatVector.fromByteBuffer(S, w, j << 2, ORDER);
                    FloatVector bv = FloatVector.fromByteBuffer(S, b, j << 2, ORDER);
                    xv.sub(mean).mul(inv).fma(wv, bv).intoByteBuffer(y, (base + j) << 2, ORDER);
                }
                for (; j < c; j++) {
                    put(y, base + j, (get(x, base + j) - mean) * inv * get(w, j) + get(b, j));
                }
            }
        });
    }

    // erf(x) by Abramowitz and Stegun 7.1.26: 1 - (a1 t + a2 t^2 + a3 t^3 + a4 t^4 + a5 t^5) exp(-x^2) with
    // t = 1 / (1 + p |x|), odd in x; absolute error at most 1.5e-7, the approximation PyTorch's vectorised CPU erf
    // (and so its exact-GELU kernel) uses. Neither the JDK nor the Vector API has an erf; plain adds, multiplies and
    // one divide also give the same bits in every JIT tier, as exp above.
    private static final float ERF_P = 0.3275911f;
    private static final float ERF_A1 = 0.254829592f;
    private static final float ERF_A2 = -0.284496736f;
    private static final float ERF_A3 = 1.421413741f;
    private static final float ERF_A4 = -1.453152027f;
    private static final float ERF_A5 = 1.061405429f;
    private static final float SQRT_HALF = 0.70710678118654752f;

    /** Phi(z) = (1 + erf(z / sqrt 2)) / 2, the standard normal CDF, by the erf above. */
    static FloatVector normalCdf(FloatVector z) {
        FloatVector x = z.mul(SQRT_HALF);
        FloatVector ax = x.abs();
        FloatVector t = ax.mul(ERF_P).add(1f);
        t = FloatVector.broadcast(S, 1f).div(t);
        FloatVector poly = t.mul(ERF_A5).add(ERF_A4).mul(t).add(ERF_A3).mul(t).add(ERF_A2).mul(t).add(ERF_A1).mul(t);
        FloatVector erfAbs = poly.mul(exp(ax.mul(ax).neg())).neg().add(1f);
        FloatVector erf = erfAbs.blend(erfAbs.neg(), x.compare(VectorOperators.LT, 0f));
        return erf.add(1f).mul(0.5f);
    }

    /** {@link #normalCdf(FloatVector)}'s arithmetic on one float (the loops' tails). */
    static float normalCdf(float z) {
        float x = z * SQRT_HALF;
        float ax = Math.abs(x);
        float t = 1f / (ax * ERF_P + 1f);
        float poly = ((((t * ERF_A5 + ERF_A4) * t + ERF_A3) * t + ERF_A2) * t + ERF_A1) * t;
        float erfAbs = 1f - poly * expScalar(-(ax * ax));
        float erf = x < 0f ? -erfAbs : erfAbs;
        return (erf + 1f) * 0.5f;
    }

    /**
     * GEGLU (Shazeer 2020) with exact GELU over g [n, 2f] (value half then gate half, as the reference's
     * x.chunk(2)) plus a bias [2f]: h [n, f] = u * z * Phi(z), u = g[:, :f] + b[:f], z = g[:, f:] + b[f:].
     */
    static void gegluForward(ByteBuffer g, ByteBuffer bias, ByteBuffer h, int n, int f) {
        int bound = S.loopBound(f);
        Kernels.parallel(n, 16, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int ub = r * 2 * f;
                int zb = ub + f;
                int hb = r * f;
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector u = FloatVector.fromByteBuffer(S, g, (ub + j) << 2, ORDER)
                            .add(FloatVector.fromByteBuffer(S, bias, j << 2, ORDER));
                    FloatVector z = FloatVector.fromByteBuffer(S, g, (zb + j) << 2, ORDER)
                            .add(FloatVector.fromByteBuffer(S, bias, (f + j) << 2, ORDER));
                    u.mul(z).mul(normalCdf(z)).intoByteBuffer(h, (hb + j) << 2, ORDER);
                }
                for (; j < f; j++) {
                    float u = get(g, ub + j) + get(bias, j);
                    float z = get(g, zb + j) + get(bias, f + j);
                    put(h, hb + j, u * z * normalCdf(z));
                }
            }
        });
    }

    // -------------------------------------------------------------------------------------------------- SwiGLU

    /**
     * h = silu(a) * u = a / (1 + exp(-a)) * u over n rows of f columns; a and u are read at (offset + r * stride + j)
     * so they can be the two halves of one fused [n, 2f] projection, h is dense [n, f].
     */
    static void swigluForward(ByteBuffer a, int aOff, int aStride, ByteBuffer u, int uOff, int uStride, ByteBuffer h,
                              int n, int f) {
        int bound = S.loopBound(f);
        Kernels.parallel(n, 16, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int ab = aOff + r * aStride;
                int ub = uOff + r * uStride;
                int hb = r * f;
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector av = FloatVector.fromByteBuffer(S, a, (ab + j) << 2, ORDER);
                    FloatVector silu = av.div(exp(av.neg()).add(1f));
                    FloatVector uv = FloatVector.fromByteBuffer(S, u, (ub + j) << 2, ORDER);
                    silu.mul(uv).intoByteBuffer(h, (hb + j) << 2, ORDER);
                }
                for (; j < f; j++) {
                    float aj = get(a, ab + j);
                    put(h, hb + j, aj / (expScalar(-aj) + 1f) * get(u, ub + j));
                }
            }
        });
    }

    /**
     * {@link #swigluForward} on heap rows, for the packed GEMM's epilogue: gu [rows, 2f] (gate then up) -> h [rows, f],
     * the same arithmetic lane for lane, so the same bits.
     */
    static void swigluRows(float[] gu, int rows, int f, float[] h) {
        int bound = S.loopBound(f);
        for (int r = 0; r < rows; r++) {
            int ab = r * 2 * f;
            int ub = ab + f;
            int hb = r * f;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector av = FloatVector.fromArray(S, gu, ab + j);
                FloatVector silu = av.div(exp(av.neg()).add(1f));
                silu.mul(FloatVector.fromArray(S, gu, ub + j)).intoArray(h, hb + j);
            }
            for (; j < f; j++) {
                float aj = gu[ab + j];
                h[hb + j] = aj / (expScalar(-aj) + 1f) * gu[ub + j];
            }
        }
    }

    /**
     * SwiGLU backward from dh [n, f]: du = dh silu(a); da = dh u s (1 + a (1 - s)) with s = sigmoid(a) recomputed
     * (cheaper than keeping it). da and du are written at (offset + r * stride + j), e.g. into one [n, 2f] array.
     */
    static void swigluBackward(ByteBuffer dh, ByteBuffer a, int aOff, int aStride, ByteBuffer u, int uOff, int uStride,
                               ByteBuffer da, int daOff, int daStride, ByteBuffer du, int duOff, int duStride,
                               int n, int f) {
        int bound = S.loopBound(f);
        Kernels.parallel(n, 16, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int hb = r * f;
                int ab = aOff + r * aStride;
                int ub = uOff + r * uStride;
                int dab = daOff + r * daStride;
                int dub = duOff + r * duStride;
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector av = FloatVector.fromByteBuffer(S, a, (ab + j) << 2, ORDER);
                    FloatVector dhv = FloatVector.fromByteBuffer(S, dh, (hb + j) << 2, ORDER);
                    FloatVector s = FloatVector.broadcast(S, 1f).div(exp(av.neg()).add(1f));
                    dhv.mul(av).mul(s).intoByteBuffer(du, (dub + j) << 2, ORDER);
                    FloatVector dsilu = s.neg().add(1f).mul(av).add(1f).mul(s);      // s (1 + a (1 - s))
                    FloatVector uv = FloatVector.fromByteBuffer(S, u, (ub + j) << 2, ORDER);
                    dhv.mul(uv).mul(dsilu).intoByteBuffer(da, (dab + j) << 2, ORDER);
                }
                for (; j < f; j++) {
                    float aj = get(a, ab + j);
                    float dhj = get(dh, hb + j);
                    float s = 1f / (expScalar(-aj) + 1f);
                    put(du, dub + j, dhj * aj * s);
                    put(da, dab + j, dhj * get(u, ub + j) * (s * (1 + aj * (1 - s))));
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------- vector similarity

    /** a . b for float arrays of one length: two accumulator vectors, then the lanes and the tail in order. */
    static float dot(float[] a, float[] b) {
        int n = a.length;
        int bound2 = n - n % (2 * L);
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        int i = 0;
        for (; i < bound2; i += 2 * L) {
            s0 = FloatVector.fromArray(S, a, i).fma(FloatVector.fromArray(S, b, i), s0);
            s1 = FloatVector.fromArray(S, a, i + L).fma(FloatVector.fromArray(S, b, i + L), s1);
        }
        for (; i + L <= n; i += L) {
            s0 = FloatVector.fromArray(S, a, i).fma(FloatVector.fromArray(S, b, i), s0);
        }
        float sum = laneSum(s0.add(s1));
        for (; i < n; i++) {
            sum = Math.fma(a[i], b[i], sum);
        }
        return sum;
    }

    /** a . b / sqrt(|a|^2 |b|^2), the three sums as {@link #dot} takes one, the quotient in double as Lucene's. */
    static float cosine(float[] a, float[] b) {
        int n = a.length;
        FloatVector ab = FloatVector.zero(S);
        FloatVector aa = FloatVector.zero(S);
        FloatVector bb = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, i);
            FloatVector y = FloatVector.fromArray(S, b, i);
            ab = x.fma(y, ab);
            aa = x.fma(x, aa);
            bb = y.fma(y, bb);
        }
        float sab = laneSum(ab);
        float saa = laneSum(aa);
        float sbb = laneSum(bb);
        for (; i < n; i++) {
            sab = Math.fma(a[i], b[i], sab);
            saa = Math.fma(a[i], a[i], saa);
            sbb = Math.fma(b[i], b[i], sbb);
        }
        return (float) (sab / Math.sqrt((double) saa * (double) sbb));
    }

    // ------------------------------------------------------------------------------------- heads and RoPE

    /**
     * Moves rows of d floats between a token-major array tm [b*t, rowStride] (head h of token (bi, ti) at columns
     * colOff + h*d) and a head-major array hm [b*nh, t, d]: toHeads copies tm into hm, otherwise hm into tm. With
     * rotate = +1 the rows are rotated by RoPE on the way (HF rotate_half: y1 = x1 c - x2 s, y2 = x2 c + x1 s over
     * the two halves), with -1 by its transpose (the backward pass), at positions start + ti; cos/sin are
     * [positions, d] row-major.
     */
    static void permuteHeads(ByteBuffer tm, int rowStride, int colOff, ByteBuffer hm, int b, int t, int nh, int d,
                             boolean toHeads, int rotate, float[] cos, float[] sin, int start) {
        permuteHeads(tm, rowStride, colOff, hm, b, t, nh, d, toHeads, rotate, cos, sin, start, null);
    }

    /**
     * {@link #permuteHeads} where tm holds only the real tokens of a right-padded batch (packed, sequence after
     * sequence): token (bi, ti) is tm's row rowOf[bi*t + ti], or padding when that is negative. Padding rows of hm are
     * zeroed going to heads (attention masks those keys, and a zero never turns into a NaN) and skipped coming back.
     * rowOf null: row bi*t + ti, every token real.
     */
    static void permuteHeads(ByteBuffer tm, int rowStride, int colOff, ByteBuffer hm, int b, int t, int nh, int d,
                             boolean toHeads, int rotate, float[] cos, float[] sin, int start, int[] rowOf) {
        int half = d / 2;
        int hBound = S.loopBound(half);
        int dBound = S.loopBound(d);
        Kernels.parallel(b * nh, 1, (part, from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int bi = bh / nh;
                int h = bh % nh;
                for (int ti = 0; ti < t; ti++) {
                    int tmRow = rowOf == null ? bi * t + ti : rowOf[bi * t + ti];
                    int hmBase = (bh * t + ti) * d;
                    if (tmRow < 0) {   // padding: not in tm
                        if (toHeads) {
                            int i = 0;
                            for (; i < dBound; i += L) {
                                FloatVector.zero(S).intoByteBuffer(hm, (hmBase + i) << 2, ORDER);
                            }
                            for (; i < d; i++) {
                                put(hm, hmBase + i, 0f);
                            }
                        }
                        continue;
                    }
                    int tmBase = tmRow * rowStride + colOff + h * d;
                    ByteBuffer src = toHeads ? tm : hm;
                    ByteBuffer dst = toHeads ? hm : tm;
                    int sb = toHeads ? tmBase : hmBase;
                    int db = toHeads ? hmBase : tmBase;
                    if (rotate == 0) {
                        int i = 0;
                        for (; i < dBound; i += L) {
                            FloatVector row = FloatVector.fromByteBuffer(S, src, (sb + i) << 2, ORDER);
                            row.intoByteBuffer(dst, (db + i) << 2, ORDER);
                        }
                        for (; i < d; i++) {
                            put(dst, db + i, get(src, sb + i));
                        }
                        continue;
                    }
                    int cb = (start + ti) * d;
                    int i = 0;
                    for (; i < hBound; i += L) {
                        FloatVector x1 = FloatVector.fromByteBuffer(S, src, (sb + i) << 2, ORDER);
                        FloatVector x2 = FloatVector.fromByteBuffer(S, src, (sb + half + i) << 2, ORDER);
                        FloatVector c1 = FloatVector.fromArray(S, cos, cb + i);
                        FloatVector c2 = FloatVector.fromArray(S, cos, cb + half + i);
                        FloatVector s1 = FloatVector.fromArray(S, sin, cb + i);
                        FloatVector s2 = FloatVector.fromArray(S, sin, cb + half + i);
                        if (rotate > 0) {
                            x1.mul(c1).sub(x2.mul(s1)).intoByteBuffer(dst, (db + i) << 2, ORDER);
                            x2.mul(c2).add(x1.mul(s2)).intoByteBuffer(dst, (db + half + i) << 2, ORDER);
                        } else {
                            x1.mul(c1).add(x2.mul(s2)).intoByteBuffer(dst, (db + i) << 2, ORDER);
                            x2.mul(c2).sub(x1.mul(s1)).intoByteBuffer(dst, (db + half + i) << 2, ORDER);
                        }
                    }
                    for (; i < half; i++) {
                        float x1 = get(src, sb + i);
                        float x2 = get(src, sb + half + i);
                        float c1 = cos[cb + i];
                        float c2 = cos[cb + half + i];
                        float s1 = sin[cb + i];
                        float s2 = sin[cb + half + i];
                        if (rotate > 0) {
                            put(dst, db + i, x1 * c1 - x2 * s1);
                            put(dst, db + half + i, x2 * c2 + x1 * s2);
                        } else {
                            put(dst, db + i, x1 * c1 + x2 * s2);
                            put(dst, db + half + i, x2 * c2 - x1 * s1);
                        }
                    }
                }
            }
        });
    }

    // --------------------------------------------------------------------------------------------- optimizer

    /**
     * AdamW over n parameters in one pass (torch.optim.AdamW's arithmetic): p *= decay inside the decay ranges
     * [decayFrom[i], decayTo[i]) (sorted, disjoint), m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
     * p -= stepSize * m / (sqrt(v) * invSqrtBc2 + eps).
     */
    static void adamw(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int n, int[] decayFrom, int[] decayTo,
                      float decay, float beta1, float beta2, float stepSize, float invSqrtBc2, float eps) {
        Kernels.parallel(n, 1 << 15, (part, from, to) -> {
            int pos = from;
            for (int i = 0; i < decayFrom.length && pos < to; i++) {
                if (decayTo[i] <= pos) {
                    continue;
                }
                int rs = Math.min(Math.max(decayFrom[i], pos), to);
                if (rs > pos) {
                    adamwRange(p, g, m, v, pos, rs, 1f, beta1, beta2, stepSize, invSqrtBc2, eps);
                }
                int re = Math.min(decayTo[i], to);
                if (re > rs) {
                    adamwRange(p, g, m, v, rs, re, decay, beta1, beta2, stepSize, invSqrtBc2, eps);
                }
                pos = Math.max(pos, re);
            }
            if (pos < to) {
                adamwRange(p, g, m, v, pos, to, 1f, beta1, beta2, stepSize, invSqrtBc2, eps);
            }
        });
    }

    private static void adamwRange(ByteBuffer p, ByteBuffer g, ByteBuffer m, ByteBuffer v, int from, int to,
                                   float decay, float beta1, float beta2, float stepSize, float invSqrtBc2, float eps) {
        float c1 = 1 - beta1;
        float c2 = 1 - beta2;
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            FloatVector gv = FloatVector.fromByteBuffer(S, g, i << 2, ORDER);
            FloatVector mv = FloatVector.fromByteBuffer(S, m, i << 2, ORDER).mul(beta1).add(gv.mul(c1));
            FloatVector vv = FloatVector.fromByteBuffer(S, v, i << 2, ORDER).mul(beta2).add(gv.mul(gv).mul(c2));
            FloatVector den = vv.lanewise(VectorOperators.SQRT).mul(invSqrtBc2).add(eps);
            FloatVector pv = FloatVector.fromByteBuffer(S, p, i << 2, ORDER).mul(decay).sub(mv.div(den).mul(stepSize));
            mv.intoByteBuffer(m, i << 2, ORDER);
            vv.intoByteBuffer(v, i << 2, ORDER);
            pv.intoByteBuffer(p, i << 2, ORDER);
        }
        for (; i < to; i++) {
            float gi = get(g, i);
            float mi = get(m, i) * beta1 + gi * c1;
            float vi = get(v, i) * beta2 + gi * gi * c2;
            float den = (float) Math.sqrt(vi) * invSqrtBc2 + eps;
            put(m, i, mi);
            put(v, i, vi);
            put(p, i, get(p, i) * decay - mi / den * stepSize);
        }
    }

    /**
     * SGD with momentum over consecutive tensors [offsets[i], offsets[i+1]): buf = momentum buf + g;
     * p = p decay[i] - stepSize[i] buf.
     */
    static void sgdMomentum(ByteBuffer p, ByteBuffer g, ByteBuffer buf, float momentum, int[] offsets, float[] decay,
                            float[] stepSize) {
        int n = offsets[offsets.length - 1];
        Kernels.parallel(n, 1 << 15, (part, from, to) -> {
            for (int t = 0; t < decay.length; t++) {
                int lo = Math.max(from, offsets[t]);
                int hi = Math.min(to, offsets[t + 1]);
                if (lo >= hi) {
                    continue;
                }
                float d = decay[t];
                float st = stepSize[t];
                int i = lo;
                for (int bound = lo + S.loopBound(hi - lo); i < bound; i += L) {
                    FloatVector gv = FloatVector.fromByteBuffer(S, g, i << 2, ORDER);
                    FloatVector bv = FloatVector.fromByteBuffer(S, buf, i << 2, ORDER).mul(momentum).add(gv);
                    bv.intoByteBuffer(buf, i << 2, ORDER);
                    FloatVector pv = FloatVector.fromByteBuffer(S, p, i << 2, ORDER);
                    pv.mul(d).sub(bv.mul(st)).intoByteBuffer(p, i << 2, ORDER);
                }
                for (; i < hi; i++) {
                    float bi = get(buf, i) * momentum + get(g, i);
                    put(buf, i, bi);
                    put(p, i, get(p, i) * d - bi * st);
                }
            }
        });
    }

    /** Sum of squares of x [n] (float lanes over blocks of 4,096, blocks added in double). */
    static double sumSquares(ByteBuffer x, int n) {
        int maxParts = Kernels.threads();
        double[] partial = new double[maxParts];
        Kernels.parallel(n, 1 << 15, maxParts, (part, from, to) -> {
            double total = 0;
            for (int blockStart = from; blockStart < to; blockStart += 4096) {
                int blockEnd = Math.min(to, blockStart + 4096);
                FloatVector acc = FloatVector.zero(S);
                int i = blockStart;
                for (int bound = blockStart + S.loopBound(blockEnd - blockStart); i < bound; i += L) {
                    FloatVector xv = FloatVector.fromByteBuffer(S, x, i << 2, ORDER);
                    acc = xv.fma(xv, acc);
                }
                double sum = laneSum(acc);
                for (; i < blockEnd; i++) {
                    float xi = get(x, i);
                    sum += xi * xi;
                }
                total += sum;
            }
            partial[part] = total;
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }
}
