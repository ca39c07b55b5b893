package org.verbo.models.nn;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.models.Batch;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.ParameterLayout;
import org.verbo.models.train.AdamW;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SIMD kernels (fast twin) against the blocks' ND4J reference paths, in float32: same inputs, kernels switched
 * on and off. The reference paths are the ones {@code BlockGradientTest} checks against finite differences. Sizes
 * are odd on purpose so every vector loop also runs its scalar tail; each test runs with the work split over 1 and
 * 3 parts (per-part partial sums), and causal attention's products in blocks of 3 query rows. Tolerance: max |fast - ref| <= 2e-5 (1 + max
 * |ref|), i.e. float rounding of a few dozen operations.
 */
@ExtendWith(KernelStateExtension.class)
class VectorKernelsTest {
    private static int fastThreads = 1;
    private int savedBlock;

    @BeforeEach
    void smallAttentionBlocks() {
        savedBlock = BatchedMatmul.attentionBlock();
        BatchedMatmul.setAttentionBlock(3);   // causal block skipping over several blocks (last one short)
    }

    @AfterEach
    void restore() {
        BatchedMatmul.setAttentionBlock(savedBlock);
    }

    /** Runs body with the kernels on (split over fastThreads parts) or off. */
    private static <T> T with(boolean kernels, Supplier<T> body) {
        Kernels.setEnabled(kernels);
        Kernels.setThreads(fastThreads);
        return body.get();
    }

    private static INDArray randf(Random rng, double scale, long... shape) {
        return GradCheck.randn(rng, scale, shape).castTo(DataType.FLOAT);
    }

    private static void close(String what, INDArray ref, INDArray fast) {
        assertArrayEquals(ref.shape(), fast.shape(), what + " shape");
        double scale = 1 + ref.amaxNumber().doubleValue();
        double diff = ref.castTo(DataType.DOUBLE).sub(fast.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= 2e-5 * scale, what + ": max |fast - ref| = " + diff + " (max |ref| " + (scale - 1) + ")");
    }

    @org.junit.jupiter.api.Test
    void expAgainstMathExpAndItsScalarTwin() {
        jdk.incubator.vector.VectorSpecies<Float> species = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        Random rng = new Random(10);
        float[] x = new float[species.length() * 4000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rng.nextDouble() * 175.0 - 87.0);            // [-87, 88]
        }
        float[] special = {0f, -0f, 1f, -1f, 88f, -87.3f, 1e-30f, -1e-30f};
        System.arraycopy(special, 0, x, 0, special.length);
        double worst = 0;
        for (int i = 0; i < x.length; i += species.length()) {
            float[] v = VectorKernels.exp(jdk.incubator.vector.FloatVector.fromArray(species, x, i)).toArray();
            for (int j = 0; j < v.length; j++) {
                float s = VectorKernels.expScalar(x[i + j]);
                assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v[j]),
                        "vector and scalar exp differ at " + x[i + j]);
                double exact = Math.exp(x[i + j]);
                worst = Math.max(worst, Math.abs(v[j] - exact) / exact);
            }
        }
        assertTrue(worst < 3e-7, "max relative error of exp " + worst);   // about 2 ulp of float
        assertEquals(1f, VectorKernels.expScalar(0f));
        assertEquals(0f, VectorKernels.expScalar(-1e9f));
        assertEquals(0f, VectorKernels.expScalar(-88f));
        assertEquals(Float.POSITIVE_INFINITY, VectorKernels.expScalar(100f));
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 3})
    void crossEntropy(int threads) {
        fastThreads = threads;
        Random rng = new Random(11);
        INDArray logits = randf(rng, 3.0, 29, 1003);
        int[] targets = new int[29];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = i % 7 == 1 ? -1 : (i * 37) % 1003;
        }
        targets[5] = -100;
        targets[6] = 1002;
        CrossEntropyLoss.Result ref = CrossEntropyLoss.reference(logits, targets, 0.3);
        INDArray work = logits.dup();
        CrossEntropyLoss.Result fast = with(true, () -> CrossEntropyLoss.compute(work, targets, 0.3));
        assertEquals(24, fast.tokens());
        assertEquals(ref.lossSum(), fast.lossSum(), 1e-5 * Math.abs(ref.lossSum()));
        close("dlogits", ref.dlogits(), fast.dlogits());
        assertEquals(0.0, fast.dlogits().getRow(1).amaxNumber().doubleValue(), 0.0, "ignored row has no gradient");
        // without gradients the logits are left alone
        INDArray work2 = logits.dup();
        CrossEntropyLoss.Result lossOnly = with(true, () -> CrossEntropyLoss.compute(work2, targets, 0));
        assertEquals(ref.lossSum(), lossOnly.lossSum(), 1e-5 * Math.abs(ref.lossSum()));
        assertEquals(logits, work2);
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 3})
    void rmsNorm(int threads) {
        fastThreads = threads;
        Random rng = new Random(12);
        INDArray w = randf(rng, 1.0, 37);
        INDArray x = randf(rng, 2.0, 53, 37);
        INDArray dy = randf(rng, 1.0, 53, 37);
        List<INDArray> ref = rmsNormRun(false, w, x, dy);
        List<INDArray> fast = rmsNormRun(true, w, x, dy);
        for (int i = 0; i < ref.size(); i++) {
            close("rmsnorm output " + i, ref.get(i), fast.get(i));
        }
    }

    private static List<INDArray> rmsNormRun(boolean kernels, INDArray w, INDArray x, INDArray dy) {
        return with(kernels, () -> {
            Param p = Param.standalone("w", w.dup());
            RmsNorm norm = new RmsNorm(p, 1e-5);
            INDArray y = norm.forward(x);
            INDArray dx = norm.backward(dy);
            return List.of(y, dx, p.grad());
        });
    }

    /** Weights of q, k, v laid out one after the other in one flat vector, as in ParameterLayout. */
    record Projections(List<Param> separate, Param fused) {
        static Projections of(INDArray... weights) {
            long cols = weights[0].size(1);
            long rows = 0;
            for (INDArray w : weights) {
                rows += w.size(0);
            }
            INDArray flat = Nd4j.create(DataType.FLOAT, rows * cols);
            INDArray flatGrad = Nd4j.zeros(DataType.FLOAT, rows * cols);
            List<Param> params = new ArrayList<>();
            long off = 0;
            for (int i = 0; i < weights.length; i++) {
                long n = weights[i].length();
                INDArray v = flat.get(NDArrayIndex.interval(off, off + n)).reshape('c', weights[i].shape());
                v.assign(weights[i]);
                Param p = new Param("w" + i, v);
                p.bindGrad(flatGrad.get(NDArrayIndex.interval(off, off + n)).reshape('c', weights[i].shape()));
                params.add(p);
                off += n;
            }
            Param fused = new Param("fused", flat.reshape('c', rows, cols));
            fused.bindGrad(flatGrad.reshape('c', rows, cols));
            return new Projections(params, fused);
        }
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 3})
    void causalSelfAttentionSeparateAndFused(int threads) {
        fastThreads = threads;
        // head dim 6: the RoPE halves (3) are all scalar tail; head dim 32: whole vectors on AVX2/AVX-512
        attention(new Random(13), 24, 4, 2, 7, 3);
        attention(new Random(14), 64, 2, 1, 9, 2);
    }

    private static void attention(Random rng, int c, int heads, int kvHeads, int t, int b) {
        int d = c / heads;
        INDArray wq = randf(rng, 0.3, c, c);
        INDArray wk = randf(rng, 0.3, (long) kvHeads * d, c);
        INDArray wv = randf(rng, 0.3, (long) kvHeads * d, c);
        INDArray wo = randf(rng, 0.3, c, c);
        INDArray x = randf(rng, 1.0, (long) b * t, c);
        INDArray dy = randf(rng, 1.0, (long) b * t, c);
        List<INDArray> ref = attentionRun(false, false, wq, wk, wv, wo, heads, kvHeads, x, dy, b, t);
        for (boolean fused : new boolean[]{false, true}) {
            List<INDArray> fast = attentionRun(true, fused, wq, wk, wv, wo, heads, kvHeads, x, dy, b, t);
            for (int i = 0; i < ref.size(); i++) {
                close("attention (fused " + fused + ", head dim " + d + ") output " + i, ref.get(i), fast.get(i));
            }
        }
        List<INDArray> refFused = attentionRun(false, true, wq, wk, wv, wo, heads, kvHeads, x, dy, b, t);
        for (int i = 0; i < ref.size(); i++) {
            close("attention reference fused vs separate, output " + i, ref.get(i), refFused.get(i));
        }
    }

    private static List<INDArray> attentionRun(boolean kernels, boolean fused, INDArray wq, INDArray wk, INDArray wv,
                                               INDArray wo, int heads, int kvHeads, INDArray x, INDArray dy, int b,
                                               int t) {
        return with(kernels, () -> {
            Projections qkv = Projections.of(wq, wk, wv);
            Param o = Param.standalone("o", wo.dup());
            RotaryEmbedding rope = new RotaryEmbedding((int) (wq.size(0) / heads), 32, 10000.0, DataType.FLOAT);
            CausalSelfAttention attn = new CausalSelfAttention(qkv.separate().get(0), qkv.separate().get(1),
                    qkv.separate().get(2), o, heads, kvHeads, rope, fused ? qkv.fused() : null);
            INDArray y = attn.forward(x, b, t).dup();
            INDArray dx = attn.backward(dy);
            return List.of(y, dx, qkv.separate().get(0).grad(), qkv.separate().get(1).grad(),
                    qkv.separate().get(2).grad(), o.grad());
        });
    }

    /**
     * The encoder masks: bidirectional (full products, no block skipping) and key padding in both modes (padding
     * with causal block skipping over blocks of 3), forward and backward, dy nonzero on padded rows too.
     */
    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 3})
    void maskedSelfAttentionSeparateAndFused(int threads) {
        fastThreads = threads;
        for (AttentionMask mask : List.of(AttentionMask.of(AttentionMode.BIDIRECTIONAL, 7, 2, 5),
                AttentionMask.of(AttentionMode.CAUSAL, 4, 7, 1), new AttentionMask(AttentionMode.BIDIRECTIONAL, null))) {
            maskedAttention(new Random(18), 24, 4, 2, 7, 3, mask);
        }
        maskedAttention(new Random(19), 64, 2, 1, 9, 2, AttentionMask.of(AttentionMode.BIDIRECTIONAL, 4, 9));
    }

    private static void maskedAttention(Random rng, int c, int heads, int kvHeads, int t, int b, AttentionMask mask) {
        int d = c / heads;
        INDArray wq = randf(rng, 0.3, c, c);
        INDArray wk = randf(rng, 0.3, (long) kvHeads * d, c);
        INDArray wv = randf(rng, 0.3, (long) kvHeads * d, c);
        INDArray wo = randf(rng, 0.3, c, c);
        INDArray x = randf(rng, 1.0, (long) b * t, c);
        INDArray dy = randf(rng, 1.0, (long) b * t, c);
        List<INDArray> ref = maskedAttentionRun(false, false, wq, wk, wv, wo, heads, kvHeads, x, dy, b, t, mask);
        for (boolean fused : new boolean[]{false, true}) {
            List<INDArray> fast = maskedAttentionRun(true, fused, wq, wk, wv, wo, heads, kvHeads, x, dy, b, t, mask);
            for (int i = 0; i < ref.size(); i++) {
                close(mask + " attention (fused " + fused + ", head dim " + d + ") output " + i, ref.get(i),
                        fast.get(i));
            }
        }
    }

    private static List<INDArray> maskedAttentionRun(boolean kernels, boolean fused, INDArray wq, INDArray wk,
                                                     INDArray wv, INDArray wo, int heads, int kvHeads, INDArray x,
                                                     INDArray dy, int b, int t, AttentionMask mask) {
        return with(kernels, () -> {
            Projections qkv = Projections.of(wq, wk, wv);
            Param o = Param.standalone("o", wo.dup());
            RotaryEmbedding rope = new RotaryEmbedding((int) (wq.size(0) / heads), 32, 10000.0, DataType.FLOAT);
            CausalSelfAttention attn = new CausalSelfAttention(qkv.separate().get(0), qkv.separate().get(1),
                    qkv.separate().get(2), o, heads, kvHeads, rope, fused ? qkv.fused() : null);
            INDArray y = attn.forward(x, b, t, mask).dup();
            INDArray dx = attn.backward(dy);
            return List.of(y, dx, qkv.separate().get(0).grad(), qkv.separate().get(1).grad(),
                    qkv.separate().get(2).grad(), o.grad());
        });
    }

    /**
     * Packed inference: attention over only the real tokens of a padded batch ([M, C], sequence after sequence) gives
     * each real row what the padded batch gives it (up to float rounding), for fused and separate projections, both
     * modes and GQA; no backward follows it, and the reference path refuses it. Its direct form
     * ({@link FlashAttention#forwardPacked}) has the bits of the head-layout one.
     */
    @ParameterizedTest(name = "{0} threads, width {1}")
    @CsvSource({"1, 24", "3, 24", "1, 128", "2, 128"})   // head dim 6 (scalar RoPE) and 32 (vector RoPE)
    void packedAttentionMatchesThePaddedBatch(int threads, int c) {
        fastThreads = threads;
        Random rng = new Random(23);
        int heads = 4;
        int kvHeads = 2;
        int t = 7;
        int d = c / heads;
        INDArray wq = randf(rng, 0.3, c, c);
        INDArray wk = randf(rng, 0.3, (long) kvHeads * d, c);
        INDArray wv = randf(rng, 0.3, (long) kvHeads * d, c);
        INDArray wo = randf(rng, 0.3, c, c);
        int[] lengths = {7, 2, 5};
        int b = lengths.length;
        INDArray x = randf(rng, 1.0, (long) b * t, c);
        int[] realRows = {0, 1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18};   // row b*t + i for i < lengths[b]
        INDArray packedX = Nd4j.pullRows(x, 1, realRows);                   // [M, C]
        for (AttentionMode mode : AttentionMode.values()) {
            AttentionMask mask = AttentionMask.of(mode, lengths);
            for (boolean fused : new boolean[]{false, true}) {
                boolean f = fused;
                float[][] ys = with(true, () -> {
                    CausalSelfAttention attn = attention(wq, wk, wv, wo, heads, kvHeads, f);
                    float[] padded = Nd4j.pullRows(attn.forward(x, b, t, mask), 1, realRows).data().asFloat();
                    INDArray y = attn.forward(packedX, b, t, mask);
                    assertEquals(realRows.length, y.size(0));
                    assertThrows(IllegalStateException.class, () -> attn.backward(y));
                    return new float[][]{padded, y.dup().data().asFloat()};
                });
                // the same bits where every product takes the same GEMM path; a product whose row count decides
                // between the packed GEMM and OpenBLAS may round differently (small shapes here), so 1e-6 relative
                assertArrayEquals(ys[0], ys[1], 1e-6f * 4, mode + " fused " + fused);
                // attention on the packed rows directly has the bits of the permutation into the padded head layout
                // and back, with one block and with several (tails included)
                int bq = FlashAttention.queryBlock();
                int bk = FlashAttention.keyBlock();
                try {
                    for (int[] blocks : new int[][]{{bq, bk}, {3, 2}}) {
                        FlashAttention.setBlocks(blocks[0], blocks[1]);
                        float[][] direct = with(true, () -> {
                            float[][] out = new float[2][];
                            for (int i = 0; i < 2; i++) {
                                CausalSelfAttention.packedAttention = i == 1;
                                CausalSelfAttention attn = attention(wq, wk, wv, wo, heads, kvHeads, f);
                                out[i] = attn.forward(packedX, b, t, mask).dup().data().asFloat();
                            }
                            return out;
                        });
                        assertArrayEquals(direct[0], direct[1], mode + " fused " + fused + " blocks "
                                + blocks[0] + "x" + blocks[1] + ": direct packed attention");
                    }
                } finally {
                    CausalSelfAttention.packedAttention = true;
                    FlashAttention.setBlocks(bq, bk);
                }
            }
            with(false, () -> {
                CausalSelfAttention attn = attention(wq, wk, wv, wo, heads, kvHeads, false);
                assertThrows(IllegalStateException.class, () -> attn.forward(packedX, b, t, mask));
                assertThrows(IllegalArgumentException.class, () -> attn.forward(packedX.get(
                        NDArrayIndex.interval(0, 5), NDArrayIndex.all()),
                        b, t, mask));
                return null;
            });
        }
    }

    /** An attention layer over fresh copies of the weights, q/k/v as one fused product or three. */
    private static CausalSelfAttention attention(INDArray wq, INDArray wk, INDArray wv, INDArray wo, int heads,
                                                 int kvHeads, boolean fusedQkv) {
        Projections qkv = Projections.of(wq, wk, wv);
        return new CausalSelfAttention(qkv.separate().get(0), qkv.separate().get(1), qkv.separate().get(2),
                Param.standalone("o", wo.dup()), heads, kvHeads,
                new RotaryEmbedding((int) (wq.size(0) / heads), 32, 10000.0, DataType.FLOAT), fusedQkv ? qkv.fused() : null);
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 3})
    void swiGluSeparateAndFused(int threads) {
        fastThreads = threads;
        Random rng = new Random(15);
        int c = 20;
        int f = 23;
        INDArray gate = randf(rng, 0.5, f, c);
        INDArray up = randf(rng, 0.5, f, c);
        INDArray down = randf(rng, 0.5, c, f);
        INDArray x = randf(rng, 1.5, 50, c);
        INDArray dy = randf(rng, 1.0, 50, c);
        List<INDArray> ref = mlpRun(false, false, gate, up, down, x, dy);
        for (boolean fused : new boolean[]{false, true}) {
            List<INDArray> fast = mlpRun(true, fused, gate, up, down, x, dy);
            for (int i = 0; i < ref.size(); i++) {
                close("swiglu (fused " + fused + ") output " + i, ref.get(i), fast.get(i));
            }
            List<INDArray> refFused = mlpRun(false, fused, gate, up, down, x, dy);
            for (int i = 0; i < ref.size(); i++) {
                close("swiglu reference (fused " + fused + ") output " + i, ref.get(i), refFused.get(i));
            }
        }
    }

    private static List<INDArray> mlpRun(boolean kernels, boolean fused, INDArray gate, INDArray up, INDArray down,
                                         INDArray x, INDArray dy) {
        return with(kernels, () -> {
            Projections gu = Projections.of(gate, up);
            Param d = Param.standalone("down", down.dup());
            SwiGluFeedForward mlp = new SwiGluFeedForward(gu.separate().get(0), gu.separate().get(1), d,
                    fused ? gu.fused() : null);
            INDArray y = mlp.forward(x).dup();
            INDArray dx = mlp.backward(dy);
            return List.of(y, dx, gu.separate().get(0).grad(), gu.separate().get(1).grad(), d.grad());
        });
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 3})
    void optimizersAndNorm(int threads) {
        fastThreads = threads;
        ModelConfig mc = new ModelConfig(1000, 64, 1, 4, 2, 96, 8, 10000.0, 1e-5, false);   // > 3 x 2^15 parameters
        ParameterLayout layout = ParameterLayout.of(mc);
        Random rng = new Random(16);
        INDArray p0 = randf(rng, 0.1, layout.size());
        List<INDArray> grads = List.of(randf(rng, 1.0, layout.size()), randf(rng, 0.01, layout.size()),
                randf(rng, 3.0, layout.size()));
        Supplier<org.verbo.models.train.Optimizer> adamw = () -> new AdamW(layout, DataType.FLOAT, 0.9, 0.95, 1e-8,
                0.1, false);
        Supplier<org.verbo.models.train.Optimizer> sgdSai = () -> new org.verbo.models.train.SgdSai(layout,
                DataType.FLOAT, 0.9, 1e-8, 0.1, false);
        for (var opt : List.of(java.util.Map.entry("adamw", adamw), java.util.Map.entry("sgd-sai", sgdSai))) {
            double lr = opt.getKey().equals("adamw") ? 1e-2 : 0.5;
            List<INDArray> ref = optimizerRun(false, opt.getValue(), p0, grads, lr);
            List<INDArray> fast = optimizerRun(true, opt.getValue(), p0, grads, lr);
            close(opt.getKey() + " parameters", ref.get(0), fast.get(0));
            close(opt.getKey() + " state", ref.get(1), fast.get(1));
        }
        INDArray g = grads.get(2);
        double exact = g.castTo(DataType.DOUBLE).norm2Number().doubleValue();
        // ND4J's float norm2 accumulates in float (1e-5 relative off here); the kernel adds blocks in double
        assertEquals(exact, with(false, () -> Kernels.norm2(g)), 1e-4 * exact);
        assertEquals(exact, with(true, () -> Kernels.norm2(g)), 1e-6 * exact);
    }

    /** Three optimizer steps from p0 with the given gradients: final parameters and optimizer state. */
    private static List<INDArray> optimizerRun(boolean kernels, Supplier<org.verbo.models.train.Optimizer> factory,
                                               INDArray p0, List<INDArray> grads, double lr) {
        return with(kernels, () -> {
            org.verbo.models.train.Optimizer opt = factory.get();
            INDArray p = p0.dup();
            for (int step = 1; step <= grads.size(); step++) {
                opt.step(p, grads.get(step - 1), lr, step);
            }
            return List.of(p, opt.state().dup());
        });
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 3})
    void wholeModelLossAndGradients(int threads) {
        fastThreads = threads;
        ModelConfig mc = new ModelConfig(61, 32, 2, 4, 2, 40, 16, 10000.0, 1e-5, false);
        Random rng = new Random(17);
        List<int[]> blocks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int[] blk = new int[mc.contextLength() + 1];
            for (int j = 0; j < blk.length; j++) {
                blk[j] = rng.nextInt(mc.vocabSize());
            }
            blocks.add(blk);
        }
        blocks.get(2)[9] = -1;   // padding: ignored target and input
        Batch batch = Batch.of(blocks, mc.vocabSize(), mc.contextLength());
        List<Object> ref = modelRun(false, mc, batch);
        List<Object> fast = modelRun(true, mc, batch);
        assertEquals((double) ref.get(0), (double) fast.get(0), 1e-5 * (double) ref.get(0), "mean loss");
        close("gradients", (INDArray) ref.get(1), (INDArray) fast.get(1));
        close("logits", (INDArray) ref.get(2), (INDArray) fast.get(2));
    }

    private static List<Object> modelRun(boolean kernels, ModelConfig mc, Batch batch) {
        return with(kernels, () -> {
            LlamaModel model = LlamaModel.initialize(mc, 5);
            double loss = model.meanLossAndBackward(batch, 1.0);
            INDArray logits = model.logits(batch.inputs(), batch.batchSize(), batch.seqLen()).dup();
            return List.of(loss, model.gradients().dup(), logits);
        });
    }
}
