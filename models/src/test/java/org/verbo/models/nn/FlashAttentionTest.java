package org.verbo.models.nn;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FlashAttention} (blocked, online softmax, recomputing backward) against the formula evaluated in double
 * precision with plain loops (full scores, mask, softmax, products; softmax backward as dS = P (dP - sum_j P_j dP_j),
 * not FlashAttention's rowsum(dO o O)), and the whole {@link CausalSelfAttention} block through the fused kernel,
 * the unfused kernel path ({@code -Dverbo.fusedAttention=false}) and the ND4J reference path.
 *
 * <p>Sizes are odd on purpose: T = 23, 37, 70 with blocks of 5..24 rows so the last query and key block are short and
 * causal blocks straddle the diagonal; D = 6, 17, 24, 40 (not multiples of 8 or 16 lanes: padded columns); G = 1..3.
 * Tolerance: max |fast - ref| <= 2e-5 (1 + max |ref|) for each output, the float rounding of a few hundred
 * operations (as {@code VectorKernelsTest}). The kernel's vectors are SPECIES_PREFERRED; to check 8 and 4 lanes on an
 * AVX-512 machine run {@code mvn -pl models -Dtest=FlashAttentionTest "-Dtest.heap=-Xmx2g -XX:MaxVectorSize=32"} (or
 * 16): both passed when this was written.
 */
@ExtendWith(KernelStateExtension.class)
class FlashAttentionTest {
    private static final double TOL = 2e-5;

    private int savedBlockQ;
    private int savedBlockK;
    private boolean savedFused;

    @BeforeEach
    void save() {
        savedBlockQ = FlashAttention.queryBlock();
        savedBlockK = FlashAttention.keyBlock();
        savedFused = CausalSelfAttention.fusedAttention();
    }

    @AfterEach
    void restore() {
        FlashAttention.setBlocks(savedBlockQ, savedBlockK);
        CausalSelfAttention.setFusedAttention(savedFused);
    }

    /** One kernel problem: slices S = sequences x kvHeads, G query heads per slice, block sizes. */
    record Case(String name, int slices, int groups, int t, int d, boolean causal, int[] keyLen, int slicesPerSeq,
                int blockQ, int blockK) {
        FlashAttention.Shape shape() {
            return new FlashAttention.Shape(slices, groups, t, d, (float) (1 / Math.sqrt(d)), causal, keyLen,
                    slicesPerSeq);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("causal T37 D24 G2 blocks 16", 3, 2, 37, 24, true, null, 1, 16, 16),
                new Case("bidirectional padded {1,70,33} T70 D40 G2 blocks 16x24", 6, 2, 70, 40, false,
                        new int[]{1, 70, 33}, 2, 16, 24),
                new Case("causal padded {33,1,70} T70 D40 G1 blocks 24x16", 3, 1, 70, 40, true, new int[]{33, 1, 70}, 1,
                        24, 16),
                new Case("bidirectional T37 D64 G1 one block with a tail", 2, 1, 37, 64, false, null, 1, 64, 64),
                new Case("causal T23 D6 G3 blocks 5x7", 2, 3, 23, 6, true, null, 2, 5, 7),
                new Case("causal padded {9,23} T23 D17 G2 blocks 4x3", 2, 2, 23, 17, true, new int[]{9, 23}, 1, 4, 3),
                new Case("bidirectional T70 D40 G2 default blocks 64", 2, 2, 70, 40, false, null, 1, 64, 64));
    }

    /** Inputs of one problem: q, o, dO [S, G*T, D], k, v [S, T, D], as native-order direct buffers. */
    private record Inputs(ByteBuffer q, ByteBuffer k, ByteBuffer v, ByteBuffer dO, float[] qa, float[] ka, float[] va,
                          float[] dOa) {
        static Inputs random(Case c, long seed) {
            Random rng = new Random(seed);
            int nq = c.slices() * c.groups() * c.t() * c.d();
            int nk = c.slices() * c.t() * c.d();
            float[] qa = gauss(rng, nq, 1.5);   // scores of a few units: softmax neither flat nor one-hot
            float[] ka = gauss(rng, nk, 1.5);
            float[] va = gauss(rng, nk, 1.0);
            float[] dOa = gauss(rng, nq, 1.0);
            return new Inputs(direct(qa), direct(ka), direct(va), direct(dOa), qa, ka, va, dOa);
        }
    }

    /** Outputs of one forward + backward. */
    private record Outputs(float[] o, float[] lse, float[] dq, float[] dk, float[] dv) {
        List<float[]> all() {
            return List.of(o, lse, dq, dk, dv);
        }
    }

    private static float[] gauss(Random rng, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rng.nextGaussian() * scale);
        }
        return x;
    }

    private static ByteBuffer direct(float[] x) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(4, x.length * 4)).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(x);
        return b;
    }

    private static ByteBuffer direct(int n) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(4, n * 4)).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            b.putFloat(i * 4, Float.NaN);   // outputs must be written everywhere
        }
        return b;
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] x = new float[n];
        b.asFloatBuffer().get(x);
        return x;
    }

    private static Outputs runKernel(Case c, Inputs in) {
        FlashAttention.setBlocks(c.blockQ(), c.blockK());
        int nq = c.slices() * c.groups() * c.t() * c.d();
        int nk = c.slices() * c.t() * c.d();
        FlashAttention.Shape sh = c.shape();
        ByteBuffer o = direct(nq);
        float[] lse = new float[c.slices() * c.groups() * c.t()];
        FlashAttention.forward(in.q(), in.k(), in.v(), o, lse, sh);
        ByteBuffer dq = direct(nq);
        ByteBuffer dk = direct(nk);
        ByteBuffer dv = direct(nk);
        FlashAttention.backward(in.dO(), o, lse, in.q(), in.k(), in.v(), dq, dk, dv, sh);
        return new Outputs(floats(o, nq), lse, floats(dq, nq), floats(dk, nk), floats(dv, nk));
    }

    /**
     * The formula in double precision, row by row: s_j = scale q.k_j over the visible keys, p = softmax(s),
     * o = sum p_j v_j, lse = log sum exp s_j; dP_j = dO.v_j, dS_j = p_j (dP_j - sum_l p_l dP_l), dq = scale sum dS_j
     * k_j, dk_j += scale dS_j q, dv_j += p_j dO. Rows without a visible key: o = 0, lse = +inf, no gradient.
     */
    private static double[][] reference(Case c, Inputs in) {
        int t = c.t();
        int d = c.d();
        int gt = c.groups() * t;
        double scale = 1 / Math.sqrt(d);
        double[] o = new double[c.slices() * gt * d];
        double[] lse = new double[c.slices() * gt];
        double[] dq = new double[o.length];
        double[] dk = new double[c.slices() * t * d];
        double[] dv = new double[dk.length];
        for (int s = 0; s < c.slices(); s++) {
            int len = c.keyLen() == null ? t : c.keyLen()[s / c.slicesPerSeq()];
            for (int row = 0; row < gt; row++) {
                int i = row % t;
                int vis = Math.min(c.causal() ? i + 1 : t, len);
                int qb = (s * gt + row) * d;
                if (vis == 0) {
                    lse[s * gt + row] = Double.POSITIVE_INFINITY;
                    continue;
                }
                double[] sc = new double[vis];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < vis; j++) {
                    int kb = (s * t + j) * d;
                    double dot = 0;
                    for (int e = 0; e < d; e++) {
                        dot += (double) in.qa()[qb + e] * in.ka()[kb + e];
                    }
                    sc[j] = scale * dot;
                    max = Math.max(max, sc[j]);
                }
                double sum = 0;
                for (int j = 0; j < vis; j++) {
                    sum += Math.exp(sc[j] - max);
                }
                lse[s * gt + row] = max + Math.log(sum);
                double[] p = new double[vis];
                double[] dp = new double[vis];
                double pdp = 0;
                for (int j = 0; j < vis; j++) {
                    p[j] = Math.exp(sc[j] - max) / sum;
                    int vb = (s * t + j) * d;
                    for (int e = 0; e < d; e++) {
                        o[qb + e] += p[j] * in.va()[vb + e];
                        dp[j] += (double) in.dOa()[qb + e] * in.va()[vb + e];
                    }
                    pdp += p[j] * dp[j];
                }
                for (int j = 0; j < vis; j++) {
                    double ds = p[j] * (dp[j] - pdp);
                    int kb = (s * t + j) * d;
                    for (int e = 0; e < d; e++) {
                        dq[qb + e] += scale * ds * in.ka()[kb + e];
                        dk[kb + e] += scale * ds * in.qa()[qb + e];
                        dv[kb + e] += p[j] * in.dOa()[qb + e];
                    }
                }
            }
        }
        return new double[][]{o, lse, dq, dk, dv};
    }

    private static void close(String what, double[] ref, float[] fast) {
        assertEquals(ref.length, fast.length, what + " length");
        double max = 0;
        double diff = 0;
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Float.isFinite(fast[i]) || ref[i] == fast[i], what + "[" + i + "] = " + fast[i]);
            if (Double.isInfinite(ref[i])) {
                continue;
            }
            max = Math.max(max, Math.abs(ref[i]));
            diff = Math.max(diff, Math.abs(ref[i] - fast[i]));
        }
        assertTrue(diff <= TOL * (1 + max), what + ": max |fast - ref| = " + diff + " (max |ref| " + max + ")");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndGradientsMatchTheFormulaInDouble(Case c) {
        Kernels.setThreads(2);
        Inputs in = Inputs.random(c, 7);
        Outputs fast = runKernel(c, in);
        double[][] ref = reference(c, in);
        String[] names = {"o", "lse", "dq", "dk", "dv"};
        for (int i = 0; i < names.length; i++) {
            close(c + " " + names[i], ref[i], fast.all().get(i));
        }
    }

    /**
     * A sequence with no real key (not reachable through {@link AttentionMask}, which rejects length 0) gives zero
     * output and zero gradients, never NaN; its neighbour in the batch is unaffected.
     */
    @Test
    void rowsWithoutVisibleKeysGiveZerosNotNaN() {
        for (boolean causal : new boolean[]{true, false}) {
            Case c = new Case("zero-length " + causal, 4, 2, 19, 24, causal, new int[]{0, 19}, 2, 8, 8);
            Inputs in = Inputs.random(c, 8);
            Outputs fast = runKernel(c, in);
            double[][] ref = reference(c, in);
            int firstSeqRows = 2 * c.groups() * c.t();       // slices 0 and 1 belong to the empty sequence
            for (int i = 0; i < firstSeqRows * c.d(); i++) {
                assertEquals(0f, fast.o()[i], "output of a row without keys");
                assertEquals(0f, fast.dq()[i], "dq of a row without keys");
            }
            for (int i = 0; i < 2 * c.t() * c.d(); i++) {
                assertEquals(0f, fast.dk()[i], "dk of a sequence without keys");
                assertEquals(0f, fast.dv()[i], "dv of a sequence without keys");
            }
            String[] names = {"o", "lse", "dq", "dk", "dv"};
            for (int i = 0; i < names.length; i++) {
                close(c + " " + names[i], ref[i], fast.all().get(i));
            }
        }
    }

    /** The same bits for 1, 2 and 3 threads and for two runs: every output element is summed by one thread in order. */
    @Test
    void bitIdenticalForAnyThreadCountAndRunToRun() {
        Case c = new Case("padded causal", 6, 2, 70, 40, true, new int[]{70, 1, 45}, 2, 16, 16);
        Inputs in = Inputs.random(c, 9);
        Kernels.setThreads(1);
        Outputs one = runKernel(c, in);
        for (int threads : new int[]{1, 2, 3}) {
            Kernels.setThreads(threads);
            for (int run = 0; run < 2; run++) {
                Outputs again = runKernel(c, in);
                for (int i = 0; i < one.all().size(); i++) {
                    float[] x = one.all().get(i);
                    float[] y = again.all().get(i);
                    for (int j = 0; j < x.length; j++) {
                        assertEquals(Float.floatToRawIntBits(x[j]), Float.floatToRawIntBits(y[j]),
                                "output " + i + " element " + j + " with " + threads + " threads, run " + run);
                    }
                }
            }
        }
    }

    /** Block sizes change the order of the online softmax's rescaling, not the result beyond rounding. */
    @Test
    void blockSizesAgree() {
        Case base = new Case("blocks", 2, 2, 70, 24, true, new int[]{70, 50}, 1, 64, 64);
        Inputs in = Inputs.random(base, 10);
        Outputs ref = runKernel(base, in);
        for (int[] blocks : new int[][]{{1, 1}, {7, 64}, {64, 5}, {128, 128}}) {
            Case c = new Case("blocks " + blocks[0] + "x" + blocks[1], 2, 2, 70, 24, true, new int[]{70, 50}, 1,
                    blocks[0], blocks[1]);
            Outputs fast = runKernel(c, in);
            for (int i = 0; i < ref.all().size(); i++) {
                double[] r = new double[ref.all().get(i).length];
                for (int j = 0; j < r.length; j++) {
                    r[j] = ref.all().get(i)[j];
                }
                close(c + " output " + i, r, fast.all().get(i));
            }
        }
    }

    // ------------------------------------------------------------------------------ the whole attention block

    /** The masks the model uses: causal (language model), bidirectional with and without padding (encoder). */
    static Stream<AttentionMask> masks() {
        return Stream.of(AttentionMask.CAUSAL, AttentionMask.of(AttentionMode.CAUSAL, 20, 1, 37),
                AttentionMask.of(AttentionMode.BIDIRECTIONAL, 37, 1, 20),
                new AttentionMask(AttentionMode.BIDIRECTIONAL, null));
    }

    /**
     * CausalSelfAttention forward + backward (output, dx and the four weight gradients) with GQA (4 heads over 2,
     * head dim 24) at T = 37 over 16-row blocks: FlashAttention against the unfused kernel path and against the ND4J
     * reference path, separate and fused q/k/v projections.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("masks")
    void blockMatchesUnfusedKernelPathAndReference(AttentionMask mask) {
        FlashAttention.setBlocks(16, 16);
        Kernels.setThreads(2);
        Random rng = new Random(21);
        int heads = 4;
        int kvHeads = 2;
        int d = 24;
        int c = heads * d;
        int t = 37;
        int b = 3;
        INDArray wq = randf(rng, 0.3, c, c);
        INDArray wk = randf(rng, 0.3, (long) kvHeads * d, c);
        INDArray wv = randf(rng, 0.3, (long) kvHeads * d, c);
        INDArray wo = randf(rng, 0.3, c, c);
        INDArray x = randf(rng, 1.0, (long) b * t, c);
        INDArray dy = randf(rng, 1.0, (long) b * t, c);
        for (boolean fusedProjections : new boolean[]{false, true}) {
            List<INDArray> ref = blockRun(false, false, fusedProjections, wq, wk, wv, wo, heads, kvHeads, x, dy, b, t,
                    mask);
            List<INDArray> unfused = blockRun(true, false, fusedProjections, wq, wk, wv, wo, heads, kvHeads, x, dy, b,
                    t, mask);
            List<INDArray> flash = blockRun(true, true, fusedProjections, wq, wk, wv, wo, heads, kvHeads, x, dy, b, t,
                    mask);
            for (int i = 0; i < ref.size(); i++) {
                String what = mask + " projections fused " + fusedProjections + ", output " + i;
                closeArrays(what + " flash vs unfused kernels", unfused.get(i), flash.get(i));
                closeArrays(what + " flash vs reference", ref.get(i), flash.get(i));
            }
        }
    }

    private static INDArray randf(Random rng, double scale, long... shape) {
        return GradCheck.randn(rng, scale, shape).castTo(DataType.FLOAT);
    }

    private static void closeArrays(String what, INDArray ref, INDArray fast) {
        assertArrayEquals(ref.shape(), fast.shape(), what + " shape");
        double scale = 1 + ref.amaxNumber().doubleValue();
        double diff = ref.castTo(DataType.DOUBLE).sub(fast.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= TOL * scale, what + ": max |fast - ref| = " + diff + " (max |ref| " + (scale - 1) + ")");
    }

    private static List<INDArray> blockRun(boolean kernels, boolean fusedAttention, boolean fusedProjections,
                                           INDArray wq, INDArray wk, INDArray wv, INDArray wo, int heads, int kvHeads,
                                           INDArray x, INDArray dy, int b, int t, AttentionMask mask) {
        Kernels.setEnabled(kernels);
        CausalSelfAttention.setFusedAttention(fusedAttention);
        VectorKernelsTest.Projections qkv = VectorKernelsTest.Projections.of(wq, wk, wv);
        Param o = Param.standalone("o", wo.dup());
        RotaryEmbedding rope = new RotaryEmbedding((int) (wq.size(0) / heads), 64, 10000.0, DataType.FLOAT);
        CausalSelfAttention attn = new CausalSelfAttention(qkv.separate().get(0), qkv.separate().get(1),
                qkv.separate().get(2), o, heads, kvHeads, rope, fusedProjections ? qkv.fused() : null);
        INDArray y = attn.forward(x, b, t, mask).dup();
        INDArray dx = attn.backward(dy);
        List<INDArray> out = new ArrayList<>(List.of(y, dx, qkv.separate().get(0).grad(), qkv.separate().get(1).grad(),
                qkv.separate().get(2).grad(), o.grad()));
        for (INDArray a : out) {
            assertTrue(Double.isFinite(a.sumNumber().doubleValue()), "NaN or infinity in an output");
        }
        return out;
    }
}
