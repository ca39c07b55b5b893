package org.verbo.models.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Fused attention in float32 on the CPU, FlashAttention-2 style (Dao 2023, "FlashAttention-2: Faster Attention with
 * Better Parallelism and Work Partitioning", Algorithms 1 and 2): softmax(scale Q K^T + mask) V computed block by
 * block with an online softmax, so the [G*T, T] scores of a slice exist only one [Bq, Bk] block at a time, and the
 * backward pass recomputes them from the per-row log-sum-exp instead of reading a stored probability matrix.
 *
 * <p>Why: the unfused kernel path of {@link CausalSelfAttention} writes scores [B*H, T, T], reads them back for the
 * softmax, reads the probabilities for the output product and keeps them for backward (8 MiB per layer at bench-7m,
 * 4x that per doubling of T), and its batched products are small GEMMs that OpenBLAS runs slowly
 * (docs/PERFORMANCE.md). Here a block of queries meets a block of keys in L1/L2 and never leaves it.
 *
 * <p>Layout, as {@link CausalSelfAttention}'s kernel path has it: slice s (of S = B*Hk) holds the G query heads that
 * share key/value head s % Hk, q [S, G*T, D] with row g*T + i = query head (s % Hk) G + g at position i, k and v
 * [S, T, D]. Masks: causal (key j visible to query i when j <= i) and/or key padding (keys j >= the sequence's length
 * get weight exactly 0); query rows past the length still attend to the real keys, as {@link AttentionMask} says.
 * Causal key blocks past a query block's last row are never touched (causal block skipping); only blocks that cross
 * the mask's edge are masked element by element.
 *
 * <p>Inner products are register-blocked FMA microkernels ({@link #gemm}) over heap scratch: 4 rows x 4 vectors, one
 * scalar of the left operand broadcast against a row of vectors of the right one, never a per-element dot product
 * with a lane reduction. The right operands are laid out so that their rows are contiguous: keys and values
 * transposed ([D, T]) for the score-like products, plain [T, D] rows for the output-like ones.
 *
 * <p>Determinism: work is split over slices only ({@link Kernels#parallel}); every output element of a slice is
 * accumulated by one thread in a fixed order, so results are bit-identical for any thread count and run to run.
 * exp is {@link VectorKernels#exp} (same bits in every JIT tier), row sums add lanes in lane order.
 *
 * <p>Reference twin: the unfused kernel path and the ND4J path of {@link CausalSelfAttention}
 * ({@code -Dverbo.fusedAttention=false}, {@code -Dverbo.vectorKernels=false}); {@code FlashAttentionTest} holds
 * this class to a double-precision evaluation of the formula and to both paths. Loaded only when
 * {@link Kernels#applies} said yes, so a JVM without the incubator module never links it.
 */
final class FlashAttention {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    /**
     * {@code -Dverbo.flashBlockQ} / {@code -Dverbo.flashBlockK}: query rows and keys per block. 64 x 64 keeps a block
     * of Q, dO, O, dQ ([64, D]) and of scores, probabilities and dS ([64, 64]) at 16 KiB each for D = 64, inside L1/L2
     * of one core beside the slice's K and V (2 x [T, D]).
     */
    private static volatile int queryBlock = Integer.getInteger("verbo.flashBlockQ", 64);
    private static volatile int keyBlock = Integer.getInteger("verbo.flashBlockK", 64);

    /** Per-thread scratch, reused across blocks, slices and calls (grown when a call needs more). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private FlashAttention() {
    }

    /** Sets the query and key block sizes (tests run several blocks on short sequences, tails included). */
    static void setBlocks(int queries, int keys) {
        if (queries < 1 || keys < 1) {
            throw new IllegalArgumentException("block sizes must be >= 1, got " + queries + " x " + keys);
        }
        queryBlock = queries;
        keyBlock = keys;
    }

    static int queryBlock() {
        return queryBlock;
    }

    static int keyBlock() {
        return keyBlock;
    }

    /**
     * The sizes and mask of one call.
     *
     * @param slices       S = B*Hk
     * @param groups       G = H / Hk query heads per key/value head
     * @param t            sequence length T
     * @param d            head dimension D
     * @param scale        the score scale, 1/sqrt(D)
     * @param causal       causal mask (else bidirectional)
     * @param keyLen       per sequence, the number of real keys (right padding), or null
     * @param slicesPerSeq slices per sequence (Hk): slice s belongs to sequence s / slicesPerSeq
     */
    record Shape(int slices, int groups, int t, int d, float scale, boolean causal, int[] keyLen, int slicesPerSeq) {
        Shape {
            if (slices < 1 || groups < 1 || t < 1 || d < 1 || slicesPerSeq < 1 || !(scale > 0)) {
                throw new IllegalArgumentException("bad attention shape: " + slices + " slices, " + groups + " groups, T "
                        + t + ", D " + d + ", scale " + scale + ", " + slicesPerSeq + " slices per sequence");
            }
            if (keyLen != null && keyLen.length * (long) slicesPerSeq < slices) {
                throw new IllegalArgumentException("key lengths for " + keyLen.length + " sequences, need "
                        + (slices + slicesPerSeq - 1) / slicesPerSeq);
            }
            if ((long) slices * groups * t * d >= Integer.MAX_VALUE / 4) {
                throw new IllegalArgumentException("attention arrays too large for int byte offsets");
            }
        }

        /** Real keys of slice s (0..T). */
        int length(int s) {
            return keyLen == null ? t : Math.max(0, Math.min(t, keyLen[s / slicesPerSeq]));
        }

        /** Keys 0..visible-1 are visible to the query at position i of a sequence with len real keys. */
        int visible(int i, int len) {
            return Math.min(causal ? i + 1 : t, len);
        }

        @Override
        public String toString() {
            return "Shape[S=" + slices + ", G=" + groups + ", T=" + t + ", D=" + d + ", causal=" + causal
                    + (keyLen == null ? "" : ", keyLen=" + Arrays.toString(keyLen)) + "]";
        }
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    // ------------------------------------------------------------------------------------------------ forward

    /**
     * o = softmax(scale q k^T + mask) v and lse = the row's log-sum-exp of the visible scaled scores (kept for
     * backward in place of the probabilities). q, o [S, G*T, D]; k, v [S, T, D]; lse [S*G*T]. A row with no visible
     * key (not reachable through {@link AttentionMask}) gets o = 0 and lse = +infinity, so backward gives it zeros.
     */
    static void forward(ByteBuffer q, ByteBuffer k, ByteBuffer v, ByteBuffer o, float[] lse, Shape sh) {
        int bq = queryBlock;
        int bk = keyBlock;
        Kernels.parallel(sh.slices(), 1, Kernels.threads(), (part, from, to) -> {
            Scratch w = SCRATCH.get().forShape(sh, bq, bk);
            for (int s = from; s < to; s++) {
                forwardSlice(q, k, v, o, lse, sh, s, bq, bk, w);
            }
        });
    }

    private static void forwardSlice(ByteBuffer q, ByteBuffer k, ByteBuffer v, ByteBuffer o, float[] lse, Shape sh,
                                     int s, int bq, int bk, Scratch w) {
        int t = sh.t();
        int d = sh.d();
        int len = sh.length(s);
        int kvBase = s * t * d;
        transpose(k, kvBase, t, d, w.kt, w.tPad);                     // [D, Tp] keys as columns
        copyRows(v, kvBase, t, d, 1f, w.v, w.dPad);                     // [T, Dp]
        for (int g = 0; g < sh.groups(); g++) {
            for (int i0 = 0; i0 < t; i0 += bq) {
                int rows = Math.min(bq, t - i0);
                int row0 = (s * sh.groups() + g) * t + i0;               // first row of the block in q's [S*G*T]
                copyRows(q, row0 * d, rows, d, sh.scale(), w.q, w.dPad);   // [Bq, Dp], scale folded into q
                forwardBlock(sh, w, i0, rows, len, bk, lse, row0);
                storeRows(w.acc, w.dPad, rows, d, 1f, o, row0 * d);
            }
        }
    }

    /**
     * Inference on packed rows (the real tokens of a right-padded batch, sequence after sequence, as {@link
     * CausalSelfAttention} keeps them): reads each head's q, k, v straight from the projections' token-major rows,
     * rotates q and k by RoPE (positions 0..len-1 of the sequence) into this thread's scratch, runs the real query rows
     * only and writes o into the token-major rows of out [M, H*D] (head h at columns h*D). No lse, nothing for a
     * backward. The same arithmetic, op for op, as {@link VectorKernels#permuteHeads} (rotate +1) into the padded head
     * layout, {@link #forward} and the permutation back, so the real rows get the same bits; what it leaves out is the
     * head layout's copies and the padding query rows, whose outputs that path computes and drops.
     *
     * @param q token-major rows holding the queries: head h of packed row r at q[r * qStride + qCol + h*D]
     */
    static void forwardPacked(ByteBuffer q, int qStride, int qCol, ByteBuffer k, int kStride, int kCol, ByteBuffer v,
                              int vStride, int vCol, float[] cos, float[] sin, ByteBuffer out, Shape sh) {
        int bq = queryBlock;
        int bk = keyBlock;
        int d = sh.d();
        int hk = sh.slicesPerSeq();
        int heads = hk * sh.groups();
        int sequences = sh.slices() / hk;
        int[] seqStart = new int[sequences];                          // first packed row of each sequence
        for (int i = 1; i < sequences; i++) {
            seqStart[i] = seqStart[i - 1] + sh.length((i - 1) * hk);
        }
        // by sequence: its rows are copied out of the buffers once (in bulk) for all its heads
        Kernels.parallel(sequences, 1, Kernels.threads(), (part, from, to) -> {
            Scratch w = SCRATCH.get().forShape(sh, bq, bk);
            float[] lse = new float[Math.min(bq, sh.t())];            // forwardBlock writes it; inference drops it
            float[] row = new float[d];
            int dp = w.dPad;
            for (int bi = from; bi < to; bi++) {
                int len = sh.length(bi * hk);
                int r0 = seqStart[bi];
                float[] qs = w.rows(0, len, heads * d, q, qStride, r0, qCol);      // [len, H*D]
                float[] ks = w.rows(1, len, hk * d, k, kStride, r0, kCol);         // [len, Hk*D]
                float[] vs = w.rows(2, len, hk * d, v, vStride, r0, vCol);         // [len, Hk*D]
                for (int kv = 0; kv < hk; kv++) {
                    for (int i = 0; i < len; i++) {                    // K^T [D, Tp] rotated, V [T, Dp]
                        rotated(ks, i * hk * d + kv * d, d, cos, sin, i * d, 1f, row, 0);
                        for (int j = 0; j < d; j++) {
                            w.kt[j * w.tPad + i] = row[j];
                        }
                        System.arraycopy(vs, i * hk * d + kv * d, w.v, i * dp, d);
                        Arrays.fill(w.v, i * dp + d, i * dp + dp, 0f);
                    }
                    for (int j = 0; j < d; j++) {
                        Arrays.fill(w.kt, j * w.tPad + len, (j + 1) * w.tPad, 0f);
                    }
                    for (int g = 0; g < sh.groups(); g++) {
                        int h = kv * sh.groups() + g;
                        for (int i0 = 0; i0 < len; i0 += bq) {
                            int rows = Math.min(bq, len - i0);
                            for (int r = 0; r < rows; r++) {           // Q [rows, Dp] rotated, then scaled
                                rotated(qs, (i0 + r) * heads * d + h * d, d, cos, sin, (i0 + r) * d, sh.scale(), w.q,
                                        r * dp);
                                Arrays.fill(w.q, r * dp + d, r * dp + dp, 0f);
                            }
                            forwardBlock(sh, w, i0, rows, len, bk, lse, 0);
                            storeRows(w.acc, dp, rows, d, 1f, out, (r0 + i0) * heads * d + h * d, heads * d);
                        }
                    }
                }
            }
        });
    }

    /**
     * RoPE of the d floats of src from off (HF rotate_half, {@link VectorKernels#permuteHeads}'s ops), times f, -> dst
     * from dOff. Times 1 is exact, and q's scale is applied to the rotated (rounded) value as copyRows applies it.
     */
    private static void rotated(float[] src, int off, int d, float[] cos, float[] sin, int cb, float f, float[] dst,
                                int dOff) {
        int half = d / 2;
        int i = 0;
        for (int bound = SP.loopBound(half); i < bound; i += L) {
            FloatVector x1 = FloatVector.fromArray(SP, src, off + i);
            FloatVector x2 = FloatVector.fromArray(SP, src, off + half + i);
            x1.mul(FloatVector.fromArray(SP, cos, cb + i)).sub(x2.mul(FloatVector.fromArray(SP, sin, cb + i)))
                    .mul(f).intoArray(dst, dOff + i);
            x2.mul(FloatVector.fromArray(SP, cos, cb + half + i)).add(x1.mul(FloatVector.fromArray(SP, sin, cb + half + i)))
                    .mul(f).intoArray(dst, dOff + half + i);
        }
        for (; i < half; i++) {
            float x1 = src[off + i];
            float x2 = src[off + half + i];
            dst[dOff + i] = (x1 * cos[cb + i] - x2 * sin[cb + i]) * f;
            dst[dOff + half + i] = (x2 * cos[cb + half + i] + x1 * sin[cb + half + i]) * f;
        }
    }

    /**
     * One query block (rows i0..i0+rows of w.q) against the visible key blocks: Algorithm 1, lines 5-13. Leaves O in
     * w.acc [rows, Dp] and writes lse. Row sums are kept as lane vectors (w.lsum [rows, L], added in lane order at the
     * end), so no row needs a horizontal sum per block.
     */
    private static void forwardBlock(Shape sh, Scratch w, int i0, int rows, int len, int bk, float[] lse, int row0) {
        int d = sh.d();
        int dp = w.dPad;
        // keys any row of the block sees: causal block skipping stops at the block's last row
        int kEnd = len == 0 ? 0 : sh.visible(i0 + rows - 1, len);
        Arrays.fill(w.m, 0, rows, NEG_INF);
        Arrays.fill(w.lsum, 0, rows * L, 0f);
        Arrays.fill(w.acc, 0, rows * dp, 0f);
        for (int j0 = 0; j0 < kEnd; j0 += bk) {
            int bc = Math.min(bk, kEnd - j0);
            int bcp = roundUp(bc, L);
            gemm(w.q, 0, dp, 1, w.kt, j0, w.tPad, w.s, 0, bcp, rows, bcp / L, d, false);   // scale S [Bq, Bcp]
            for (int r = 0; r < rows; r++) {
                w.count[r] = Math.min(sh.visible(i0 + r, len) - j0, bc);   // visible keys of row r in the block
            }
            onlineSoftmax(w.s, bcp, rows, w.count, w.m, w.lsum, w.acc, dp);
            gemm(w.s, 0, bcp, 1, w.v, j0 * dp, dp, w.acc, 0, dp, rows, dp / L, bc, true);      // O += P V
        }
        for (int r = 0; r < rows; r++) {
            float l = 0f;
            for (int i = 0; i < L; i++) {
                l += w.lsum[r * L + i];                                    // lane order
            }
            if (l > 0f) {
                scaleRow(w.acc, r * dp, dp, 1f / l);                       // Algorithm 1, line 12: O / l
                lse[row0 + r] = (float) (w.m[r] + Math.log(l));             // line 13: L = m + log l
            } else {
                Arrays.fill(w.acc, r * dp, r * dp + dp, 0f);               // no visible key: zeros, not 0/0
                lse[row0 + r] = Float.POSITIVE_INFINITY;
            }
        }
    }

    /**
     * The online softmax of one key block over scores s [rows, bcp] (Algorithm 1, lines 9-10): with count[r] visible
     * keys in row r (the rest masked), m_new = max(m, rowmax S), P = exp(S - m_new) written over S (0 where masked),
     * l = e^(m - m_new) l + rowsum P, O = e^(m - m_new) O. Arrays only in the signature: a vector passed to a call
     * that C2 does not inline is boxed on the heap.
     */
    private static void onlineSoftmax(float[] s, int bcp, int rows, int[] count, float[] m, float[] lsum, float[] acc,
                                      int dp) {
        for (int r = 0; r < rows; r++) {
            int c = count[r];
            int rb = r * bcp;
            if (c <= 0) {
                Arrays.fill(s, rb, rb + bcp, 0f);                           // nothing visible in this block
                continue;
            }
            Arrays.fill(s, rb + c, rb + bcp, NEG_INF);                     // masked and past-the-block keys
            FloatVector mv = FloatVector.fromArray(SP, s, rb);
            for (int j = rb + L; j < rb + bcp; j += L) {
                mv = mv.max(FloatVector.fromArray(SP, s, j));
            }
            float mOld = m[r];
            float mNew = Math.max(mOld, mv.reduceLanes(VectorOperators.MAX));   // max is exact in any order
            float alpha = VectorKernels.expScalar(mOld - mNew);               // 0 on the first visible block
            FloatVector sum = FloatVector.fromArray(SP, lsum, r * L).mul(alpha);
            for (int j = rb; j < rb + bcp; j += L) {
                FloatVector e = VectorKernels.exp(FloatVector.fromArray(SP, s, j).sub(mNew));
                e.intoArray(s, j);
                sum = sum.add(e);
            }
            sum.intoArray(lsum, r * L);
            if (alpha != 1f && mOld != NEG_INF) {   // on the row's first visible block O is still all zeros
                for (int j = r * dp; j < r * dp + dp; j += L) {
                    FloatVector.fromArray(SP, acc, j).mul(alpha).intoArray(acc, j);
                }
            }
            m[r] = mNew;
        }
    }

    // ----------------------------------------------------------------------------------------------- backward

    /**
     * Gradients of {@link #forward} from dO [S, G*T, D], given its o and lse: dq [S, G*T, D], dk and dv [S, T, D]
     * (written, not accumulated; the G query heads of a slice add into the same dk, dv). Algorithm 2 of
     * FlashAttention-2: D_i = rowsum(dO_i o O_i); per block P = exp(scale S - lse), dV += P^T dO, dP = dO V^T,
     * dS = P o (dP - D_i), dQ += scale dS K, dK += scale dS^T Q. One thread owns a slice, so dQ of a query block
     * stays in scratch across its key blocks and dK, dV of the slice across its query blocks (no atomics).
     */
    static void backward(ByteBuffer dO, ByteBuffer o, float[] lse, ByteBuffer q, ByteBuffer k, ByteBuffer v,
                         ByteBuffer dq, ByteBuffer dk, ByteBuffer dv, Shape sh) {
        int bq = queryBlock;
        int bk = keyBlock;
        Kernels.parallel(sh.slices(), 1, Kernels.threads(), (part, from, to) -> {
            Scratch w = SCRATCH.get().forShape(sh, bq, bk);
            for (int s = from; s < to; s++) {
                backwardSlice(dO, o, lse, q, k, v, dq, dk, dv, sh, s, bq, bk, w);
            }
        });
    }

    private static void backwardSlice(ByteBuffer dO, ByteBuffer o, float[] lse, ByteBuffer q, ByteBuffer k,
                                      ByteBuffer v, ByteBuffer dq, ByteBuffer dk, ByteBuffer dv, Shape sh, int s,
                                      int bq, int bk, Scratch w) {
        int t = sh.t();
        int d = sh.d();
        int dp = w.dPad;
        int len = sh.length(s);
        int kvBase = s * t * d;
        transpose(k, kvBase, t, d, w.kt, w.tPad);                     // [D, Tp]
        transpose(v, kvBase, t, d, w.vt, w.tPad);                     // [D, Tp]
        copyRows(k, kvBase, t, d, 1f, w.v, dp);                         // [T, Dp] keys as rows (for dQ += dS K)
        Arrays.fill(w.dk, 0, t * dp, 0f);
        Arrays.fill(w.dv, 0, t * dp, 0f);
        for (int g = 0; g < sh.groups(); g++) {
            for (int i0 = 0; i0 < t; i0 += bq) {
                int rows = Math.min(bq, t - i0);
                int row0 = (s * sh.groups() + g) * t + i0;
                copyRows(q, row0 * d, rows, d, sh.scale(), w.q, dp);    // [Bq, Dp] scale q
                copyRows(dO, row0 * d, rows, d, 1f, w.dout, dp);        // [Bq, Dp]
                copyRows(o, row0 * d, rows, d, 1f, w.acc, dp);          // [Bq, Dp], only for D_i
                rowDots(w.dout, w.acc, rows, dp, w.m, w.lanes);                  // D_i = rowsum(dO_i o O_i)
                System.arraycopy(lse, row0, w.l, 0, rows);
                backwardBlock(sh, w, i0, rows, len, bk);
                storeRows(w.acc, dp, rows, d, sh.scale(), dq, row0 * d);
            }
        }
        storeRows(w.dk, dp, t, d, 1f, dk, kvBase);
        storeRows(w.dv, dp, t, d, 1f, dv, kvBase);
    }

    /**
     * One query block against its visible key blocks (Algorithm 2, lines 10-21 with the loops swapped: the slice's
     * dK, dV live in w.dk, w.dv, the block's dQ in w.acc). Needs w.q (scale Q), w.dout, D_i in w.m, lse in w.l.
     */
    private static void backwardBlock(Shape sh, Scratch w, int i0, int rows, int len, int bk) {
        int d = sh.d();
        int dp = w.dPad;
        int kEnd = len == 0 ? 0 : sh.visible(i0 + rows - 1, len);
        Arrays.fill(w.acc, 0, rows * dp, 0f);                           // dQ of the block [Bq, Dp]
        for (int j0 = 0; j0 < kEnd; j0 += bk) {
            int bc = Math.min(bk, kEnd - j0);
            int bcp = roundUp(bc, L);
            gemm(w.q, 0, dp, 1, w.kt, j0, w.tPad, w.s, 0, bcp, rows, bcp / L, d, false);      // scale S
            gemm(w.dout, 0, dp, 1, w.vt, j0, w.tPad, w.ds, 0, bcp, rows, bcp / L, d, false);  // dP = dO V^T
            for (int r = 0; r < rows; r++) {
                w.count[r] = Math.max(0, Math.min(sh.visible(i0 + r, len) - j0, bc));
            }
            probabilitiesAndDs(w.s, w.ds, bcp, rows, w.count, w.l, w.m);
            // dV_j += P^T dO_i, dK_j += dS^T (scale Q_i): rows of the key block, summed over the block's rows
            gemm(w.s, 0, 1, bcp, w.dout, 0, dp, w.dv, j0 * dp, dp, bc, dp / L, rows, true);
            gemm(w.ds, 0, 1, bcp, w.q, 0, dp, w.dk, j0 * dp, dp, bc, dp / L, rows, true);
            // dQ_i += dS K_j (times scale on the way out)
            gemm(w.ds, 0, bcp, 1, w.v, j0 * dp, dp, w.acc, 0, dp, rows, dp / L, bc, true);
        }
    }

    /**
     * Over s and dp [rows, bcp] with count[r] visible keys in row r: s (scale S) becomes P = exp(s - lse) (0 where
     * masked) and dp becomes dS = P (dP - D_i).
     */
    private static void probabilitiesAndDs(float[] s, float[] dp, int bcp, int rows, int[] count, float[] lse,
                                           float[] di) {
        for (int r = 0; r < rows; r++) {
            int rb = r * bcp;
            Arrays.fill(s, rb + count[r], rb + bcp, NEG_INF);
            float lr = lse[r];
            float dr = di[r];
            for (int j = rb; j < rb + bcp; j += L) {
                FloatVector p = VectorKernels.exp(FloatVector.fromArray(SP, s, j).sub(lr));
                p.intoArray(s, j);
                p.mul(FloatVector.fromArray(SP, dp, j).sub(dr)).intoArray(dp, j);
            }
        }
    }

    /** out[r] = sum_j a[r, j] b[r, j] over rows of n floats (n a multiple of the lanes), lanes added in lane order. */
    private static void rowDots(float[] a, float[] b, int rows, int n, float[] out, float[] lanes) {
        for (int r = 0; r < rows; r++) {
            FloatVector acc = FloatVector.zero(SP);
            for (int j = r * n; j < r * n + n; j += L) {
                acc = FloatVector.fromArray(SP, a, j).fma(FloatVector.fromArray(SP, b, j), acc);
            }
            acc.intoArray(lanes, 0);
            float sum = 0f;
            for (int i = 0; i < L; i++) {
                sum += lanes[i];
            }
            out[r] = sum;
        }
    }

    // ----------------------------------------------------------------------------------------- microkernels

    /**
     * c[r, :] (+)= sum_k a(r, k) b[k, :] for r < rows over nv vectors of columns, k < kn, where
     * a(r, k) = a[aOff + r aRs + k aCs] (so a transposed operand is aRs = 1), b's rows start at bOff + k bRs and
     * c's at cOff + r cRs. With add the accumulators start from c (C += A B), else from 0. Each element of c is one
     * FMA chain over k in order, whatever the blocking, so the result does not depend on rows or nv.
     */
    static void gemm(float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int bRs, float[] c, int cOff,
                     int cRs, int rows, int nv, int kn, boolean add) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int vi = 0;
            for (; vi + 4 <= nv; vi += 4) {
                kernel4x4(a, aOff + r * aRs, aRs, aCs, b, bOff + vi * L, bRs, c, cOff + r * cRs + vi * L, cRs, kn,
                        add);
            }
            if (vi + 2 <= nv) {   // 2 or 3 vectors left (short key blocks: 48 columns are 3 AVX-512 vectors)
                kernel4x2(a, aOff + r * aRs, aRs, aCs, b, bOff + vi * L, bRs, c, cOff + r * cRs + vi * L, cRs, kn,
                        add);
                vi += 2;
            }
            for (; vi < nv; vi++) {
                kernel4x1(a, aOff + r * aRs, aRs, aCs, b, bOff + vi * L, bRs, c, cOff + r * cRs + vi * L, cRs, kn,
                        add);
            }
        }
        for (; r < rows; r++) {
            for (int vi = 0; vi < nv; vi++) {
                kernel1x1(a, aOff + r * aRs, aCs, b, bOff + vi * L, bRs, c, cOff + r * cRs + vi * L, kn, add);
            }
        }
    }

    /** 4 rows x 4 vectors: 16 independent accumulators, 4 loads of b and 4 broadcasts of a per step of k. */
    private static void kernel4x4(float[] a, int a0, int aRs, int aCs, float[] b, int b0, int bRs, float[] c, int c0,
                                  int cRs, int kn, boolean add) {
        int c1 = c0 + cRs;
        int c2 = c1 + cRs;
        int c3 = c2 + cRs;
        FloatVector z = FloatVector.zero(SP);
        FloatVector x00 = add ? FloatVector.fromArray(SP, c, c0) : z;
        FloatVector x01 = add ? FloatVector.fromArray(SP, c, c0 + L) : z;
        FloatVector x02 = add ? FloatVector.fromArray(SP, c, c0 + 2 * L) : z;
        FloatVector x03 = add ? FloatVector.fromArray(SP, c, c0 + 3 * L) : z;
        FloatVector x10 = add ? FloatVector.fromArray(SP, c, c1) : z;
        FloatVector x11 = add ? FloatVector.fromArray(SP, c, c1 + L) : z;
        FloatVector x12 = add ? FloatVector.fromArray(SP, c, c1 + 2 * L) : z;
        FloatVector x13 = add ? FloatVector.fromArray(SP, c, c1 + 3 * L) : z;
        FloatVector x20 = add ? FloatVector.fromArray(SP, c, c2) : z;
        FloatVector x21 = add ? FloatVector.fromArray(SP, c, c2 + L) : z;
        FloatVector x22 = add ? FloatVector.fromArray(SP, c, c2 + 2 * L) : z;
        FloatVector x23 = add ? FloatVector.fromArray(SP, c, c2 + 3 * L) : z;
        FloatVector x30 = add ? FloatVector.fromArray(SP, c, c3) : z;
        FloatVector x31 = add ? FloatVector.fromArray(SP, c, c3 + L) : z;
        FloatVector x32 = add ? FloatVector.fromArray(SP, c, c3 + 2 * L) : z;
        FloatVector x33 = add ? FloatVector.fromArray(SP, c, c3 + 3 * L) : z;
        int ai = a0;
        int bi = b0;
        for (int kk = 0; kk < kn; kk++, ai += aCs, bi += bRs) {
            FloatVector b0v = FloatVector.fromArray(SP, b, bi);
            FloatVector b1v = FloatVector.fromArray(SP, b, bi + L);
            FloatVector b2v = FloatVector.fromArray(SP, b, bi + 2 * L);
            FloatVector b3v = FloatVector.fromArray(SP, b, bi + 3 * L);
            FloatVector av = FloatVector.broadcast(SP, a[ai]);
            x00 = av.fma(b0v, x00);
            x01 = av.fma(b1v, x01);
            x02 = av.fma(b2v, x02);
            x03 = av.fma(b3v, x03);
            av = FloatVector.broadcast(SP, a[ai + aRs]);
            x10 = av.fma(b0v, x10);
            x11 = av.fma(b1v, x11);
            x12 = av.fma(b2v, x12);
            x13 = av.fma(b3v, x13);
            av = FloatVector.broadcast(SP, a[ai + 2 * aRs]);
            x20 = av.fma(b0v, x20);
            x21 = av.fma(b1v, x21);
            x22 = av.fma(b2v, x22);
            x23 = av.fma(b3v, x23);
            av = FloatVector.broadcast(SP, a[ai + 3 * aRs]);
            x30 = av.fma(b0v, x30);
            x31 = av.fma(b1v, x31);
            x32 = av.fma(b2v, x32);
            x33 = av.fma(b3v, x33);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + L);
        x02.intoArray(c, c0 + 2 * L);
        x03.intoArray(c, c0 + 3 * L);
        x10.intoArray(c, c1);
        x11.intoArray(c, c1 + L);
        x12.intoArray(c, c1 + 2 * L);
        x13.intoArray(c, c1 + 3 * L);
        x20.intoArray(c, c2);
        x21.intoArray(c, c2 + L);
        x22.intoArray(c, c2 + 2 * L);
        x23.intoArray(c, c2 + 3 * L);
        x30.intoArray(c, c3);
        x31.intoArray(c, c3 + L);
        x32.intoArray(c, c3 + 2 * L);
        x33.intoArray(c, c3 + 3 * L);
    }

    /** 4 rows x 2 vectors (column tails of 2 or 3 vectors): 8 accumulators, each a broadcast of a used twice. */
    private static void kernel4x2(float[] a, int a0, int aRs, int aCs, float[] b, int b0, int bRs, float[] c, int c0,
                                  int cRs, int kn, boolean add) {
        int c1 = c0 + cRs;
        int c2 = c1 + cRs;
        int c3 = c2 + cRs;
        FloatVector z = FloatVector.zero(SP);
        FloatVector x00 = add ? FloatVector.fromArray(SP, c, c0) : z;
        FloatVector x01 = add ? FloatVector.fromArray(SP, c, c0 + L) : z;
        FloatVector x10 = add ? FloatVector.fromArray(SP, c, c1) : z;
        FloatVector x11 = add ? FloatVector.fromArray(SP, c, c1 + L) : z;
        FloatVector x20 = add ? FloatVector.fromArray(SP, c, c2) : z;
        FloatVector x21 = add ? FloatVector.fromArray(SP, c, c2 + L) : z;
        FloatVector x30 = add ? FloatVector.fromArray(SP, c, c3) : z;
        FloatVector x31 = add ? FloatVector.fromArray(SP, c, c3 + L) : z;
        int ai = a0;
        int bi = b0;
        for (int kk = 0; kk < kn; kk++, ai += aCs, bi += bRs) {
            FloatVector b0v = FloatVector.fromArray(SP, b, bi);
            FloatVector b1v = FloatVector.fromArray(SP, b, bi + L);
            FloatVector av = FloatVector.broadcast(SP, a[ai]);
            x00 = av.fma(b0v, x00);
            x01 = av.fma(b1v, x01);
            av = FloatVector.broadcast(SP, a[ai + aRs]);
            x10 = av.fma(b0v, x10);
            x11 = av.fma(b1v, x11);
            av = FloatVector.broadcast(SP, a[ai + 2 * aRs]);
            x20 = av.fma(b0v, x20);
            x21 = av.fma(b1v, x21);
            av = FloatVector.broadcast(SP, a[ai + 3 * aRs]);
            x30 = av.fma(b0v, x30);
            x31 = av.fma(b1v, x31);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + L);
        x10.intoArray(c, c1);
        x11.intoArray(c, c1 + L);
        x20.intoArray(c, c2);
        x21.intoArray(c, c2 + L);
        x30.intoArray(c, c3);
        x31.intoArray(c, c3 + L);
    }

    /** 4 rows x 1 vector (a last odd column vector). */
    private static void kernel4x1(float[] a, int a0, int aRs, int aCs, float[] b, int b0, int bRs, float[] c, int c0,
                                  int cRs, int kn, boolean add) {
        int c1 = c0 + cRs;
        int c2 = c1 + cRs;
        int c3 = c2 + cRs;
        FloatVector z = FloatVector.zero(SP);
        FloatVector x0 = add ? FloatVector.fromArray(SP, c, c0) : z;
        FloatVector x1 = add ? FloatVector.fromArray(SP, c, c1) : z;
        FloatVector x2 = add ? FloatVector.fromArray(SP, c, c2) : z;
        FloatVector x3 = add ? FloatVector.fromArray(SP, c, c3) : z;
        int ai = a0;
        int bi = b0;
        for (int kk = 0; kk < kn; kk++, ai += aCs, bi += bRs) {
            FloatVector bv = FloatVector.fromArray(SP, b, bi);
            x0 = FloatVector.broadcast(SP, a[ai]).fma(bv, x0);
            x1 = FloatVector.broadcast(SP, a[ai + aRs]).fma(bv, x1);
            x2 = FloatVector.broadcast(SP, a[ai + 2 * aRs]).fma(bv, x2);
            x3 = FloatVector.broadcast(SP, a[ai + 3 * aRs]).fma(bv, x3);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c1);
        x2.intoArray(c, c2);
        x3.intoArray(c, c3);
    }

    /** 1 row x 1 vector (row tails). */
    private static void kernel1x1(float[] a, int a0, int aCs, float[] b, int b0, int bRs, float[] c, int c0, int kn,
                                  boolean add) {
        FloatVector x = add ? FloatVector.fromArray(SP, c, c0) : FloatVector.zero(SP);
        int ai = a0;
        int bi = b0;
        for (int kk = 0; kk < kn; kk++, ai += aCs, bi += bRs) {
            x = FloatVector.broadcast(SP, a[ai]).fma(FloatVector.fromArray(SP, b, bi), x);
        }
        x.intoArray(c, c0);
    }

    // --------------------------------------------------------------------------------------------- row helpers

    private static void scaleRow(float[] x, int from, int n, float f) {
        for (int j = from; j < from + n; j += L) {
            FloatVector.fromArray(SP, x, j).mul(f).intoArray(x, j);
        }
    }

    // ------------------------------------------------------------------------------------ buffer <-> scratch

    /** rows x d floats of src from element off -> dst [rows, dp] times f, zeros in the padding columns [d, dp). */
    private static void copyRows(ByteBuffer src, int off, int rows, int d, float f, float[] dst, int dp) {
        int bound = SP.loopBound(d);
        for (int r = 0; r < rows; r++) {
            int sb = off + r * d;
            int db = r * dp;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromByteBuffer(SP, src, (sb + j) << 2, ORDER).mul(f).intoArray(dst, db + j);
            }
            for (; j < d; j++) {
                dst[db + j] = src.getFloat((sb + j) << 2) * f;
            }
            Arrays.fill(dst, db + d, db + dp, 0f);
        }
    }

    /** src [rows, dp] (first d columns) times f -> rows x d floats of dst from element off. */
    private static void storeRows(float[] src, int dp, int rows, int d, float f, ByteBuffer dst, int off) {
        storeRows(src, dp, rows, d, f, dst, off, d);
    }

    /** {@link #storeRows} into rows dstStride floats apart. */
    private static void storeRows(float[] src, int dp, int rows, int d, float f, ByteBuffer dst, int off,
                                  int dstStride) {
        int bound = SP.loopBound(d);
        for (int r = 0; r < rows; r++) {
            int sb = r * dp;
            int db = off + r * dstStride;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(SP, src, sb + j).mul(f).intoByteBuffer(dst, (db + j) << 2, ORDER);
            }
            for (; j < d; j++) {
                dst.putFloat((db + j) << 2, src[sb + j] * f);
            }
        }
    }

    /** [t, d] from element off of src -> dst [d, tp] (keys as columns), zeros in columns [t, tp). */
    private static void transpose(ByteBuffer src, int off, int t, int d, float[] dst, int tp) {
        for (int i = 0; i < t; i++) {
            int sb = (off + i * d) << 2;
            for (int j = 0; j < d; j++) {
                dst[j * tp + i] = src.getFloat(sb + (j << 2));
            }
        }
        for (int j = 0; j < d; j++) {
            Arrays.fill(dst, j * tp + t, j * tp + tp, 0f);
        }
    }

    /** One thread's working set: slice-wide K^T, V^T, V (or K) and dK, dV; block-wide Q, dO, O/dQ, scores, dP. */
    private static final class Scratch {
        int dPad;
        int tPad;
        float[] kt = new float[0];
        float[] vt = new float[0];
        float[] v = new float[0];
        float[] dk = new float[0];
        float[] dv = new float[0];
        float[] q = new float[0];
        float[] dout = new float[0];
        float[] acc = new float[0];
        float[] s = new float[0];
        float[] ds = new float[0];
        float[] m = new float[0];
        float[] l = new float[0];
        float[] lsum = new float[0];
        int[] count = new int[0];
        final float[] lanes = new float[L];

        Scratch forShape(Shape sh, int bq, int bk) {
            int dp = roundUp(sh.d(), L);
            int tp = roundUp(sh.t(), L) + L;   // a key block's vectors may run up to L - 1 columns past T
            dPad = dp;
            tPad = tp;
            kt = grow(kt, sh.d() * tp);
            vt = grow(vt, sh.d() * tp);
            v = grow(v, sh.t() * dp);
            dk = grow(dk, sh.t() * dp);
            dv = grow(dv, sh.t() * dp);
            int rows = Math.min(bq, sh.t());
            q = grow(q, rows * dp);
            dout = grow(dout, rows * dp);
            acc = grow(acc, rows * dp);
            int bcp = roundUp(Math.min(bk, sh.t()), L);
            s = grow(s, rows * bcp);
            ds = grow(ds, rows * bcp);
            m = grow(m, rows);
            l = grow(l, rows);
            lsum = grow(lsum, rows * L);
            count = count.length >= rows ? count : new int[rows];
            return this;
        }

        private final float[][] packedRows = {new float[0], new float[0], new float[0]};

        /**
         * Slot's heap copy [rows, width] of the columns col..col+width of rows r0.. of a token-major buffer (row
         * stride stride): one bulk copy per row.
         */
        float[] rows(int slot, int rows, int width, ByteBuffer src, int stride, int r0, int col) {
            float[] dst = packedRows[slot] = grow(packedRows[slot], rows * width);
            java.nio.FloatBuffer f = src.asFloatBuffer();
            for (int r = 0; r < rows; r++) {
                f.get((r0 + r) * stride + col, dst, r * width, width);
            }
            return dst;
        }

        private static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }
}
