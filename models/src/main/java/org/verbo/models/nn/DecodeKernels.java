package org.verbo.models.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
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

    // Vector loads and stores call FloatVector.fromByteBuffer / intoByteBuffer directly, as in VectorKernels (see
    // there: a helper of ours cut off by C2's NodeCountInliningCutoff boxes the vectors it passes).

    private static float get(ByteBuffer b, int i) {
        return b.getFloat(i << 2);
    }

    private static void put(ByteBuffer b, int i, float x) {
        b.putFloat(i << 2, x);
    }

    /** ROTATE[k] moves lane i + 2^k to lane i (mod L): the steps of {@link #treeSum}. */
    private static final VectorShuffle<Float>[] ROTATE = rotations();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] rotations() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] r = new VectorShuffle[steps];
        for (int k = 0; k < steps; k++) {
            int shift = 1 << k;
            r[k] = VectorShuffle.fromOp(S, i -> (i + shift) & (L - 1));
        }
        return r;
    }

    /**
     * Sum of the lanes as a fixed pairwise tree (lanes i and i + L/2, then i and i + L/4, ...), read from lane 0.
     * Why not {@code VectorKernels}' lane-order loop: that is 16 single-lane extracts per sum, fine once per row of
     * a training kernel but once per key here (4 FMAs of work each); with this tree and four keys per pass the
     * attention of one decode token over 160 keys and 4 heads went from about 25 to about 12 us (one core, warm
     * caches, noisy machine). Why not {@code reduceLanes}: its order is left to the JIT tier. The rearranges and adds
     * here are the same IEEE operations in every tier.
     */
    private static float treeSum(FloatVector v) {
        for (int k = ROTATE.length - 1; k >= 0; k--) {
            v = v.add(v.rearrange(ROTATE[k]));
        }
        return v.lane(0);
    }

    /**
     * y[rows, out] (row stride ldy, from element yOff) = x[rows, in] W^T with W [out, in] row-major (HF layout). One
     * row is a matrix-vector product: {@code cblas_sgemv}, not {@code sgemm} with M = 1, which OpenBLAS 0.3.21 runs
     * as a general GEMM at about 1 GFLOP/s (1 ms for the 1 x 1376 x 256 gate|up product of bench-7m, measured with
     * -Dverbo.gemmStats=true; sgemv: 20-40 us; docs/PERFORMANCE.md, "Generation").
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
                FloatVector.fromByteBuffer(S, table, (src + j) << 2, ORDER).intoByteBuffer(x, (dst + j) << 2, ORDER);
            }
            for (; j < c; j++) {
                put(x, dst + j, get(table, src + j));
            }
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
            FloatVector x1 = FloatVector.fromByteBuffer(S, src, (sb + i) << 2, ORDER);
            FloatVector x2 = FloatVector.fromByteBuffer(S, src, (sb + half + i) << 2, ORDER);
            FloatVector c1 = FloatVector.fromArray(S, cos, cb + i);
            FloatVector c2 = FloatVector.fromArray(S, cos, cb + half + i);
            FloatVector s1 = FloatVector.fromArray(S, sin, cb + i);
            FloatVector s2 = FloatVector.fromArray(S, sin, cb + half + i);
            x1.mul(c1).sub(x2.mul(s1)).intoByteBuffer(dst, (db + i) << 2, ORDER);
            x2.mul(c2).add(x1.mul(s2)).intoByteBuffer(dst, (db + half + i) << 2, ORDER);
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
            FloatVector.fromByteBuffer(S, src, (sb + i) << 2, ORDER).intoByteBuffer(dst, (db + i) << 2, ORDER);
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
        // rows worth about 32k multiply-adds a part; one decode token's H rows stay on this thread (a helper's
        // hand-off costs more than their microseconds, and one polling for it took a core from OpenBLAS's sgemv)
        int perPart = t == 1 ? rows : Math.max(1, (1 << 15) / Math.max(1, (pos + t) * d));
        Kernels.parallel(rows, perPart, scores.length, (part, from, to) -> {
            float[] s = scores[part];
            for (int r = from; r < to; r++) {
                int h = r / t;
                int i = r % t;
                int qb = (i * heads + h) * d;
                int kb = (h / g) * tmax * d;
                int visible = pos + i + 1;
                scores(q, qb, keys, kb, d, visible, s);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    max = Math.max(max, s[j]);
                }
                float sum = expShifted(s, visible, max, scale);
                int ob = (i * heads + h) * d;
                mix(s, visible, values, kb, d, out, ob);
                VectorKernels.scale(out, ob, ob + d, 1f / sum);
            }
        });
    }

    /**
     * s[j] = q . k_j for the n keys rows kb + j d of keys. Four keys per pass: four independent multiply-add chains
     * (one chain waits on the FMA latency every step) sharing each load of q; each key's sum is its own, so the
     * result does not depend on the grouping.
     */
    private static void scores(ByteBuffer q, int qb, ByteBuffer keys, int kb, int d, int n, float[] s) {
        int bound = S.loopBound(d);
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            int k0 = kb + j * d;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            int i = 0;
            for (; i < bound; i += L) {
                FloatVector qv = FloatVector.fromByteBuffer(S, q, (qb + i) << 2, ORDER);
                a0 = qv.fma(FloatVector.fromByteBuffer(S, keys, (k0 + i) << 2, ORDER), a0);
                a1 = qv.fma(FloatVector.fromByteBuffer(S, keys, (k0 + d + i) << 2, ORDER), a1);
                a2 = qv.fma(FloatVector.fromByteBuffer(S, keys, (k0 + 2 * d + i) << 2, ORDER), a2);
                a3 = qv.fma(FloatVector.fromByteBuffer(S, keys, (k0 + 3 * d + i) << 2, ORDER), a3);
            }
            s[j] = treeSum(a0) + tail(q, qb, keys, k0, i, d);
            s[j + 1] = treeSum(a1) + tail(q, qb, keys, k0 + d, i, d);
            s[j + 2] = treeSum(a2) + tail(q, qb, keys, k0 + 2 * d, i, d);
            s[j + 3] = treeSum(a3) + tail(q, qb, keys, k0 + 3 * d, i, d);
        }
        for (; j < n; j++) {
            int k0 = kb + j * d;
            FloatVector a0 = FloatVector.zero(S);
            int i = 0;
            for (; i < bound; i += L) {
                FloatVector qv = FloatVector.fromByteBuffer(S, q, (qb + i) << 2, ORDER);
                a0 = qv.fma(FloatVector.fromByteBuffer(S, keys, (k0 + i) << 2, ORDER), a0);
            }
            s[j] = treeSum(a0) + tail(q, qb, keys, k0, i, d);
        }
    }

    /** The scalar tail [from, d) of a dot product (empty when D is a multiple of the lane count). */
    private static float tail(ByteBuffer a, int ab, ByteBuffer b, int bb, int from, int d) {
        float t = 0f;
        for (int i = from; i < d; i++) {
            t += get(a, ab + i) * get(b, bb + i);
        }
        return t;
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
        float sum = treeSum(acc);
        for (; j < n; j++) {
            float e = VectorKernels.expScalar((s[j] - max) * scale);
            s[j] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * out[ob..ob+d) = sum_j p[j] v[vb + j d ..] for j < n: four partial sums over keys j mod 4 (independent chains),
     * added as (a0 + a1) + (a2 + a3) at the end.
     */
    private static void mix(float[] p, int n, ByteBuffer v, int vb, int d, ByteBuffer out, int ob) {
        int bound = S.loopBound(d);
        int n4 = n & ~3;
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            int j = 0;
            for (; j < n4; j += 4) {
                int r = vb + j * d + i;
                FloatVector v0 = FloatVector.fromByteBuffer(S, v, r << 2, ORDER);
                FloatVector v1 = FloatVector.fromByteBuffer(S, v, (r + d) << 2, ORDER);
                FloatVector v2 = FloatVector.fromByteBuffer(S, v, (r + 2 * d) << 2, ORDER);
                FloatVector v3 = FloatVector.fromByteBuffer(S, v, (r + 3 * d) << 2, ORDER);
                a0 = v0.fma(FloatVector.broadcast(S, p[j]), a0);
                a1 = v1.fma(FloatVector.broadcast(S, p[j + 1]), a1);
                a2 = v2.fma(FloatVector.broadcast(S, p[j + 2]), a2);
                a3 = v3.fma(FloatVector.broadcast(S, p[j + 3]), a3);
            }
            for (; j < n; j++) {
                FloatVector vj = FloatVector.fromByteBuffer(S, v, (vb + j * d + i) << 2, ORDER);
                a0 = vj.fma(FloatVector.broadcast(S, p[j]), a0);
            }
            a0.add(a1).add(a2.add(a3)).intoByteBuffer(out, (ob + i) << 2, ORDER);
        }
        for (; i < d; i++) {
            float a0 = 0f;
            for (int j = 0; j < n; j++) {
                a0 += p[j] * get(v, vb + j * d + i);
            }
            put(out, ob + i, a0);
        }
    }

}
