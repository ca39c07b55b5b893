package org.verbo.models.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Kernels of the float decode path (KV-cache inference, one sequence, a few tokens per call), over
 * {@link DecodeScratch}'s buffers and the cache's [Hk, Tmax, D] tensors. Their ND4J reference twin is
 * {@link CausalSelfAttention#forwardCached(org.nd4j.linalg.api.ndarray.INDArray, int,
 * org.nd4j.linalg.api.ndarray.INDArray, org.nd4j.linalg.api.ndarray.INDArray)} with the blocks' reference paths;
 * {@code CachedDecodingTest} holds them equal. Same conventions as {@link VectorKernels}: element offsets, RoPE in the
 * HF rotate_half form with the same products in the same order, the bit-reproducible {@link VectorKernels#exp}, lane
 * sums in lane order (never {@code reduceLanes}), so a run's bits do not depend on JIT timing.
 */
final class DecodeKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private DecodeKernels() {
    }

    private static FloatVector load(ByteBuffer b, int i) {
        return FloatVector.fromByteBuffer(S, b, i << 2, ORDER);
    }

    private static void store(FloatVector v, ByteBuffer b, int i) {
        v.intoByteBuffer(b, i << 2, ORDER);
    }

    private static float get(ByteBuffer b, int i) {
        return b.getFloat(i << 2);
    }

    private static void put(ByteBuffer b, int i, float x) {
        b.putFloat(i << 2, x);
    }

    private static float laneSum(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < L; i++) {
            s += v.lane(i);
        }
        return s;
    }

    /**
     * y[rows, out] (row stride ldy, from element yOff) = x[rows, in] W^T with W [out, in] row-major (HF layout). One
     * row is a matrix-vector product: {@code cblas_sgemv}, not {@code sgemm} with M = 1, which OpenBLAS 0.3.21 runs
     * through its packed GEMM path at about 1 GFLOP/s (1 ms for the 1 x 1376 x 256 gate|up product of bench-7m,
     * measured with -Dverbo.gemmStats=true; docs/PERFORMANCE.md).
     */
    static void project(FloatPointer x, int rows, int in, FloatPointer w, int out, FloatPointer y, long yOff, int ldy) {
        y.position(yOff);
        if (rows == 1) {
            openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, out, in, 1f, w, in, x, 1, 0f, y, 1);
        } else {
            openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, rows, out, in, 1f,
                    x, in, w, in, 0f, y, ldy);
        }
        y.position(0);
    }

    /** x[rows of ids] = table[id] for a [V, C] embedding table. */
    static void embed(ByteBuffer table, int[] ids, ByteBuffer x, int c) {
        int bound = S.loopBound(c);
        for (int r = 0; r < ids.length; r++) {
            int src = ids[r] * c;
            int dst = r * c;
            int j = 0;
            for (; j < bound; j += L) {
                store(load(table, src + j), x, dst + j);
            }
            for (; j < c; j++) {
                put(x, dst + j, get(table, src + j));
            }
        }
    }

    /** x += y over n elements (the residual connections). */
    static void addInPlace(ByteBuffer x, ByteBuffer y, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            store(load(x, i).add(load(y, i)), x, i);
        }
        for (; i < n; i++) {
            put(x, i, get(x, i) + get(y, i));
        }
    }

    /**
     * RoPE at positions pos..pos+T-1 straight from the fused projections qkv [T, (H + 2 Hk) D] (q heads, then k heads,
     * then v heads): rotated queries into q [T, H D]; rotated keys and plain values into the cache rows
     * keys/values[hk, pos + i, :] of [Hk, Tmax, D]. cos/sin are [positions, D] row-major.
     */
    static void ropeIntoCache(ByteBuffer qkv, int t, int pos, int heads, int kvHeads, int d, float[] cos, float[] sin,
                              ByteBuffer q, ByteBuffer keys, ByteBuffer values, int tmax) {
        int width = (heads + 2 * kvHeads) * d;
        for (int i = 0; i < t; i++) {
            int src = i * width;
            int cb = (pos + i) * d;
            for (int h = 0; h < heads; h++) {
                rotate(qkv, src + h * d, q, (i * heads + h) * d, d, cos, sin, cb);
            }
            for (int h = 0; h < kvHeads; h++) {
                int row = (h * tmax + pos + i) * d;
                rotate(qkv, src + (heads + h) * d, keys, row, d, cos, sin, cb);
                copy(qkv, src + (heads + kvHeads + h) * d, values, row, d);
            }
        }
    }

    /** One head row: y1 = x1 c1 - x2 s1, y2 = x2 c2 + x1 s2 over the halves (VectorKernels.permuteHeads' products). */
    private static void rotate(ByteBuffer src, int sb, ByteBuffer dst, int db, int d, float[] cos, float[] sin, int cb) {
        int half = d / 2;
        int i = 0;
        for (int bound = S.loopBound(half); i < bound; i += L) {
            FloatVector x1 = load(src, sb + i);
            FloatVector x2 = load(src, sb + half + i);
            FloatVector c1 = FloatVector.fromArray(S, cos, cb + i);
            FloatVector c2 = FloatVector.fromArray(S, cos, cb + half + i);
            FloatVector s1 = FloatVector.fromArray(S, sin, cb + i);
            FloatVector s2 = FloatVector.fromArray(S, sin, cb + half + i);
            store(x1.mul(c1).sub(x2.mul(s1)), dst, db + i);
            store(x2.mul(c2).add(x1.mul(s2)), dst, db + half + i);
        }
        for (; i < half; i++) {
            float x1 = get(src, sb + i);
            float x2 = get(src, sb + half + i);
            put(dst, db + i, x1 * cos[cb + i] - x2 * sin[cb + i]);
            put(dst, db + half + i, x2 * cos[cb + half + i] + x1 * sin[cb + half + i]);
        }
    }

    private static void copy(ByteBuffer src, int sb, ByteBuffer dst, int db, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            store(load(src, sb + i), dst, db + i);
        }
        for (; i < n; i++) {
            put(dst, db + i, get(src, sb + i));
        }
    }

    /**
     * Causal attention of T new queries over the cache: row (h, i) of q [T, H D] (position pos + i) attends keys
     * 0..pos+i of kv head h / G in keys/values [Hk, Tmax, D]; out [T, H D] gets softmax(scale q k^T) v, token-major
     * (o_proj's input). Per row: the raw scores into a float[] (Vector API dot products over D), their max, one pass
     * of exp(scale (s - max)) that also sums, then o = sum_j e_j v_j / sum (the division once per row, not per key).
     * Rows are independent; prefill splits them over {@link Kernels#parallel}, one decode token (H rows of a few
     * hundred keys, microseconds) stays on the calling thread.
     */
    static void attend(ByteBuffer q, int t, int pos, int heads, int kvHeads, int d, ByteBuffer keys, ByteBuffer values,
                       int tmax, float scale, ByteBuffer out, float[][] scores) {
        int g = heads / kvHeads;
        int rows = heads * t;
        int perPart = Math.max(1, (1 << 15) / Math.max(1, (pos + t) * d));   // rows worth about 32k multiply-adds
        Kernels.parallel(rows, perPart, scores.length, (part, from, to) -> {
            float[] s = scores[part];
            for (int r = from; r < to; r++) {
                int h = r / t;
                int i = r % t;
                int qb = (i * heads + h) * d;
                int kb = (h / g) * tmax * d;
                int visible = pos + i + 1;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    float sj = dot(q, qb, keys, kb + j * d, d);
                    s[j] = sj;
                    max = Math.max(max, sj);
                }
                float sum = expShifted(s, visible, max, scale);
                int ob = (i * heads + h) * d;
                mix(s, visible, values, kb, d, out, ob);
                scaleRow(out, ob, d, 1f / sum);
            }
        });
    }

    private static float dot(ByteBuffer a, int ab, ByteBuffer b, int bb, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            acc = load(a, ab + i).fma(load(b, bb + i), acc);
        }
        float s = laneSum(acc);
        for (; i < n; i++) {
            s += get(a, ab + i) * get(b, bb + i);
        }
        return s;
    }

    /** s[j] = exp(scale (s[j] - max)) for j < n; returns the sum (float lanes, then the tail, in order). */
    private static float expShifted(float[] s, int n, float max, float scale) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector e = VectorKernels.exp(FloatVector.fromArray(S, s, j).sub(max).mul(scale));
            e.intoArray(s, j);
            acc = acc.add(e);
        }
        float sum = laneSum(acc);
        for (; j < n; j++) {
            float e = VectorKernels.expScalar((s[j] - max) * scale);
            s[j] = e;
            sum += e;
        }
        return sum;
    }

    /** out[ob..ob+d) = sum_j p[j] v[vb + j d ..] for j < n. */
    private static void mix(float[] p, int n, ByteBuffer v, int vb, int d, ByteBuffer out, int ob) {
        int bound = S.loopBound(d);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < n; j++) {
                acc = load(v, vb + j * d + i).fma(FloatVector.broadcast(S, p[j]), acc);
            }
            store(acc, out, ob + i);
        }
        for (; i < d; i++) {
            float acc = 0f;
            for (int j = 0; j < n; j++) {
                acc += p[j] * get(v, vb + j * d + i);
            }
            put(out, ob + i, acc);
        }
    }

    private static void scaleRow(ByteBuffer b, int from, int n, float x) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            store(load(b, from + i).mul(x), b, from + i);
        }
        for (; i < n; i++) {
            put(b, from + i, get(b, from + i) * x);
        }
    }
}
