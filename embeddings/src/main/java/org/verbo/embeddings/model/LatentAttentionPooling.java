package org.verbo.embeddings.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.verbo.models.ParameterLayout;
import org.verbo.models.nn.BatchedMatmul;
import org.verbo.models.nn.Kernels;
import org.verbo.models.nn.Param;

import java.util.Random;

/**
 * NV-Embed's latent attention layer (Lee et al. 2024, section 3.2, and the reference {@code LatentAttentionModel} of
 * nvidia/NV-Embed-v2 {@code modeling_nvembed.py}). For every token state x (each token independently; the latents are
 * the same for all):
 * <pre>
 *   y1 = x + W_o MultiHead(Q = LN_q(x) W_q, [K | V] = LN_kv(latents) W_kv)     8 heads, keys and values from the latents
 *   y  = y1 + W_2 (u * gelu(z)) + b_2,  [u | z] = W_1 LN_f(y1) + b_1            GEGLU, inner width 4C
 *   pooled = mean of y over the mask's positions                                (L2 normalisation follows, outside)
 * </pre>
 * The attention has no mask (keys are latents, not tokens), so padded and instruction positions only leave the
 * final mean. All parameters live in one flat vector with the reference's tensor names (so its safetensors
 * file reads as the reference's {@code latent_attention_model.*} tensors). Not thread-safe: a forward, then its backward.
 */
public final class LatentAttentionPooling implements Pooling {
    /** Prefix of every tensor name, as in the reference's state dict. */
    public static final String PREFIX = "latent_attention_model.";
    private static final String ATTN = PREFIX + "cross_attend_blocks.0.";
    private static final String FF = PREFIX + "cross_attend_blocks.1.";

    private final LatentAttentionConfig config;
    private final ParameterGroup group;
    private final Param latents;      // [r, C]
    private final Param wq;           // [I, C]
    private final Param wkv;          // [2I, C], keys then values (the reference's to_kv(...).chunk(2))
    private final Param wo;           // [C, I]
    private final Param w1;           // [2F, C], value half then gate half (GEGLU's x.chunk(2))
    private final Param b1;           // [2F]
    private final Param w2;           // [C, F]
    private final Param b2;           // [C]
    private final LayerNorm normQ;    // on the token states
    private final LayerNorm normKv;   // on the latents
    private final LayerNorm normFf;   // before the GEGLU

    // forward cache
    private long[] shape;             // {B, T, C}
    private INDArray weights;         // [B, N] pooling weights, N = B*T
    private INDArray xn;              // [N, C] LN_q(x)
    private INDArray lat;             // [r, C] LN_kv(latents)
    private INDArray q;               // [N, I]
    private INDArray kv;              // [r, 2I]
    private INDArray[] probs;         // per head [N, r]
    private INDArray o;               // [N, I] heads concatenated
    private INDArray yn;              // [N, C] LN_f(y1)
    private INDArray u;               // [N, F] GEGLU value half
    private INDArray z;               // [N, F] GEGLU gate half
    private INDArray cdf;             // [N, F] Phi(z)
    private INDArray m;               // [N, F] u * gelu(z)

    private LatentAttentionPooling(LatentAttentionConfig config, ParameterGroup group) {
        this.config = config;
        this.group = group;
        this.latents = group.param(PREFIX + "latents");
        this.wq = group.param(ATTN + "fn.to_q.weight");
        this.wkv = group.param(ATTN + "fn.to_kv.weight");
        this.wo = group.param(ATTN + "fn.to_out.weight");
        this.w1 = group.param(FF + "fn.net.0.weight");
        this.b1 = group.param(FF + "fn.net.0.bias");
        this.w2 = group.param(FF + "fn.net.2.weight");
        this.b2 = group.param(FF + "fn.net.2.bias");
        this.normQ = new LayerNorm(group.param(ATTN + "norm.weight"), group.param(ATTN + "norm.bias"), config.normEps());
        this.normKv = new LayerNorm(group.param(ATTN + "norm_context.weight"), group.param(ATTN + "norm_context.bias"),
                config.normEps());
        this.normFf = new LayerNorm(group.param(FF + "norm.weight"), group.param(FF + "norm.bias"), config.normEps());
    }

    /** The tensors, in flat-vector order. Projections and the latents take weight decay; norms and biases do not. */
    public static ParameterLayout layout(LatentAttentionConfig c) {
        long cd = c.hiddenSize();
        long in = c.innerDim();
        long f = c.ffnSize();
        return new ParameterGroup.LayoutBuilder()
                .add(PREFIX + "latents", true, c.numLatents(), cd)
                .add(ATTN + "norm.weight", false, cd)
                .add(ATTN + "norm.bias", false, cd)
                .add(ATTN + "norm_context.weight", false, cd)
                .add(ATTN + "norm_context.bias", false, cd)
                .add(ATTN + "fn.to_q.weight", true, in, cd)
                .add(ATTN + "fn.to_kv.weight", true, 2 * in, cd)
                .add(ATTN + "fn.to_out.weight", true, cd, in)
                .add(FF + "norm.weight", false, cd)
                .add(FF + "norm.bias", false, cd)
                .add(FF + "fn.net.0.weight", true, 2 * f, cd)
                .add(FF + "fn.net.0.bias", false, 2 * f)
                .add(FF + "fn.net.2.weight", true, cd, f)
                .add(FF + "fn.net.2.bias", false, cd)
                .build();
    }

    /**
     * New parameters as torch initialises the reference: latents ~ N(0, 1) ({@code torch.randn}), linear weights and
     * biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (nn.Linear's default), LayerNorm weight 1 and bias 0.
     */
    public static LatentAttentionPooling initialize(LatentAttentionConfig c, long seed, DataType dtype) {
        ParameterLayout layout = layout(c);
        double[] v = new double[Math.toIntExact(layout.size())];
        Random rng = new Random(seed);
        for (ParameterLayout.Entry e : layout.entries()) {
            int from = (int) e.offset();
            int to = (int) (e.offset() + e.size());
            String n = e.name();
            if (n.endsWith("latents")) {
                for (int i = from; i < to; i++) {
                    v[i] = rng.nextGaussian();
                }
            } else if (n.contains("norm")) {
                for (int i = from; i < to; i++) {
                    v[i] = n.endsWith("weight") ? 1.0 : 0.0;
                }
            } else {
                // fan_in: a weight's columns; a bias takes its layer's weight's fan_in, which is C or F
                long fanIn = e.shape().length == 2 ? e.shape()[1] : (n.contains("net.0") ? c.hiddenSize() : c.ffnSize());
                double bound = 1.0 / Math.sqrt(fanIn);
                for (int i = from; i < to; i++) {
                    v[i] = bound * (2 * rng.nextDouble() - 1);
                }
            }
        }
        return over(c, Nd4j.createFromArray(v).castTo(dtype));
    }

    /** A pooling over the given flat parameter vector (shared, not copied). */
    public static LatentAttentionPooling over(LatentAttentionConfig c, INDArray flatParams) {
        return new LatentAttentionPooling(c, ParameterGroup.over(layout(c), flatParams));
    }

    public LatentAttentionConfig config() {
        return config;
    }

    @Override
    public PoolingKind kind() {
        return PoolingKind.LATENT_ATTENTION;
    }

    @Override
    public ParameterGroup parameters() {
        return group;
    }

    @Override
    public INDArray forward(INDArray hidden, PoolingMask mask) {
        shape = check(hidden, mask);
        INDArray y = tokenStates(MeanPooling.flat(hidden));                              // [N, C]
        weights = mask.meanWeights(hidden.dataType());                                   // [B, N]
        return BatchedMatmul.gemm(weights, y, null, false, false, 1.0, 0.0);             // [B, C]
    }

    private long[] check(INDArray hidden, PoolingMask mask) {
        long[] s = MeanPooling.checkShape(hidden, mask);
        if (hidden.size(2) != config.hiddenSize()) {
            throw new IllegalArgumentException("hidden states have width " + hidden.size(2) + ", the pooling expects "
                    + config.hiddenSize());
        }
        if (hidden.dataType() != group.parameters().dataType()) {
            throw new IllegalArgumentException("hidden states are " + hidden.dataType() + ", the pooling is "
                    + group.parameters().dataType());
        }
        return s;
    }

    /**
     * Inference: {@link #forward}'s function computed faster (the reference twin is {@link #forward} with
     * {@link #tokenStates}; {@code LatentAttentionPoolingTest} holds them equal within 1e-5 in float, 1e-12 in double).
     * Four changes, none of which alters the maths beyond float rounding:
     * <ol>
     *   <li>only pooled rows go through the layer: each token is processed independently (the keys are latents, not
     *       tokens), so padding and instruction rows are dropped before the layer rather than weighted 0 after it;</li>
     *   <li>the cross-attention is reassociated. The keys and values come from the latents alone, the same for every
     *       token, so per head s_h = (xn Wq_h^T) K_h^T = xn (K_h Wq_h)^T and o_h Wo_h^T = p_h (V_h Wo_h^T). With
     *       At = [K_h Wq_h]_h and Bv = [V_h Wo_h^T]_h, both [H r, C] and made once per call, all heads are two GEMMs
     *       of width H r: 2 C H r multiply-adds per token instead of 2 C I + 2 H r Dh (I = H Dh), 9x fewer for
     *       bench-7m (C = Dh = 256, H = 8, r = 32), and no loop over heads over the tokens;</li>
     *   <li>the mean is taken over the pooled rows only ([B, M] weights, M the pooled rows, not [B, B T]);</li>
     *   <li>the last projection follows the mean: mean(y1 + m W2^T + b2) = mean(y1) + mean(m) W2^T + b2, so W2
     *       multiplies B means instead of M rows.</li>
     * </ol>
     * Keeps nothing for a backward: {@link #backward} after it throws.
     */
    @Override
    public INDArray pool(INDArray hidden, PoolingMask mask) {
        INDArray[] atBv = latentSide();
        return poolWith(atBv[0], atBv[1], hidden, mask);
    }

    /**
     * {@link #pool} with the latents' side (At and Bv, below) made once, outside any workspace, for every batch of an
     * {@code encode} call; valid while the parameters do not change.
     */
    @Override
    public Inference inference() {
        INDArray[] atBv;
        try (var ignored = org.verbo.models.Workspaces.outside()) {
            atBv = latentSide();
        }
        INDArray at = atBv[0];
        INDArray bv = atBv[1];
        return (hidden, mask) -> poolWith(at, bv, hidden, mask);
    }

    /** At [H r, C] (the score scale folded in) and Bv [H r, C] of the reassociated cross-attention (see {@link #pool}). */
    private INDArray[] latentSide() {
        DataType dtype = group.parameters().dataType();
        int heads = config.numHeads();
        int dh = config.headDim();
        int in = config.innerDim();
        int r = config.numLatents();
        int c = config.hiddenSize();
        INDArray lat = normKv.apply(latents.value());                                   // [r, C]
        INDArray kv = BatchedMatmul.gemm(lat, wkv.value(), null, false, true, 1.0, 0.0);  // [r, 2I]
        INDArray at = Nd4j.create(dtype, (long) heads * r, c);
        INDArray bv = Nd4j.create(dtype, (long) heads * r, c);
        double scale = 1.0 / Math.sqrt(dh);
        // dense copies first: ND4J 1.0.0-M2.1 returns an empty array for a row interval ending at the last row of a
        // view into the flat parameter vector (seen with heads = 4)
        INDArray wqAll = wq.value().dup('c');                                            // [I, C]
        INDArray woAll = wo.value().dup('c');                                            // [C, I]
        for (int h = 0; h < heads; h++) {
            INDArray kh = cols(kv, h * dh, dh);                                           // [r, Dh]
            INDArray vh = cols(kv, in + h * dh, dh);                                      // [r, Dh]
            INDArray wqh = wqAll.get(NDArrayIndex.interval(h * dh, (h + 1) * dh), NDArrayIndex.all())
                    .dup('c');                                                            // [Dh, C]
            INDArray woh = cols(woAll, h * dh, dh);                                       // [C, Dh]
            at.get(NDArrayIndex.interval(h * r, (h + 1) * r), NDArrayIndex.all())
                    .assign(BatchedMatmul.gemm(kh, wqh, null, false, false, 1.0, 0.0).muli(scale));   // [r, C]
            bv.get(NDArrayIndex.interval(h * r, (h + 1) * r), NDArrayIndex.all())
                    .assign(BatchedMatmul.gemm(vh, woh, null, false, true, 1.0, 0.0));      // [r, C]
        }
        return new INDArray[]{at, bv};
    }

    /** The tokens' side of {@link #pool} over the latents' side At, Bv. */
    private INDArray poolWith(INDArray at, INDArray bv, INDArray hidden, PoolingMask mask) {
        long[] s = check(hidden, mask);
        weights = null;
        shape = null;
        DataType dtype = hidden.dataType();
        int b = (int) s[0];
        int t = (int) s[1];
        int heads = config.numHeads();
        int r = config.numLatents();
        int rows = 0;
        for (int i = 0; i < b; i++) {
            rows += mask.end(i) - mask.start(i);
        }
        int[] pick = new int[rows];                                                       // pooled rows of [B*T, C]
        for (int i = 0, k = 0; i < b; i++) {
            for (int p = mask.start(i); p < mask.end(i); p++) {
                pick[k++] = i * t + p;
            }
        }
        INDArray x = Nd4j.pullRows(MeanPooling.flat(hidden), 1, pick);                   // [M, C]
        INDArray xn = normQ.apply(x);                                                    // [M, C]
        INDArray sc = BatchedMatmul.gemm(xn, at, null, false, true, 1.0, 0.0);           // [M, H r] scaled scores
        INDArray s2 = sc.reshape('c', (long) rows * heads, r);                           // one row per token and head
        if (!Kernels.softmaxRows(s2)) {
            s2.subiColumnVector(s2.max(1).reshape((long) rows * heads, 1));
            Transforms.exp(s2, false);
            s2.diviColumnVector(s2.sum(1).reshape((long) rows * heads, 1));               // softmax over latents
        }
        INDArray y1 = BatchedMatmul.gemm(sc, bv, x, false, false, 1.0, 1.0);             // [M, C] x + attention
        INDArray yn = normFf.apply(y1);                                                  // [M, C]
        INDArray g = BatchedMatmul.gemm(yn, w1.value(), null, false, true, 1.0, 0.0);    // [M, 2F] (bias below)
        INDArray gm = Kernels.geglu(g, b1.value());                                      // [M, F] u * z Phi(z)
        if (gm == null) {
            gm = gegluReference(g.addiRowVector(b1.value()));
        }
        // the mean over a text's rows commutes with the last projection (linear): mean(y1 + gm W2^T + b2) =
        // mean(y1) + mean(gm) W2^T + b2, so W2 multiplies B means instead of M rows (29 % of the layer's
        // multiply-adds per token at bench-7m)
        INDArray means = meanWeights(mask, rows, dtype);                                 // [B, M]
        INDArray gmMean = BatchedMatmul.gemm(means, gm, null, false, false, 1.0, 0.0);   // [B, F]
        INDArray pooled = BatchedMatmul.gemm(means, y1, null, false, false, 1.0, 0.0);   // [B, C] mean(y1)
        return BatchedMatmul.gemm(gmMean, w2.value(), pooled, false, true, 1.0, 1.0)
                .addiRowVector(b2.value());                                              // [B, C]
    }

    /** [B, M] weights 1/n_i on the n_i pooled rows of text i (rows in text order, as {@link #pool} picks them). */
    private static INDArray meanWeights(PoolingMask mask, int rows, DataType dtype) {
        int b = mask.batchSize();
        double[] w = new double[b * rows];
        for (int i = 0, k = 0; i < b; i++) {
            int n = mask.end(i) - mask.start(i);
            for (int j = 0; j < n; j++, k++) {
                w[i * rows + k] = 1.0 / n;
            }
        }
        return Nd4j.createFromArray(w).reshape('c', b, rows).castTo(dtype);
    }

    /** GEGLU's reference arithmetic on g [M, 2F] (bias added): u * z Phi(z), Phi by ND4J's erf. */
    private INDArray gegluReference(INDArray g) {
        int f = config.ffnSize();
        INDArray gu = cols(g, 0, f);                                                     // [M, F]
        INDArray gz = cols(g, f, f);                                                     // [M, F]
        INDArray phi = gz.mul(Math.sqrt(0.5));
        Nd4j.exec(new Erf(phi, phi));
        phi.addi(1.0).muli(0.5);                                                         // Phi(z)
        return gu.muli(gz).muli(phi);                                                    // u * z Phi(z)
    }

    /** The layer on every token: x [N, C] -> y [N, C] (before the mean). */
    INDArray tokenStates(INDArray x) {
        int heads = config.numHeads();
        int dh = config.headDim();
        int in = config.innerDim();
        int f = config.ffnSize();
        double scale = 1.0 / Math.sqrt(dh);   // the reference's dim_head ** -0.5 (scaled_dot_product_attention)
        // cross-attention: queries from the tokens, keys and values from the latents
        xn = normQ.forward(x);                                                            // [N, C]
        lat = normKv.forward(latents.value());                                            // [r, C]
        q = BatchedMatmul.gemm(xn, wq.value(), null, false, true, 1.0, 0.0);              // [N, I]
        kv = BatchedMatmul.gemm(lat, wkv.value(), null, false, true, 1.0, 0.0);           // [r, 2I]
        long n = x.size(0);
        o = Nd4j.create(x.dataType(), n, in);                                             // [N, I]
        probs = new INDArray[heads];
        for (int h = 0; h < heads; h++) {
            INDArray qh = cols(q, h * dh, dh);                                            // [N, Dh]
            INDArray kh = cols(kv, h * dh, dh);                                           // [r, Dh]
            INDArray vh = cols(kv, in + h * dh, dh);                                      // [r, Dh]
            INDArray s = BatchedMatmul.gemm(qh, kh, null, false, true, scale, 0.0);       // [N, r]
            INDArray p = Transforms.exp(s.subiColumnVector(s.max(1).reshape(n, 1)), false);
            p.diviColumnVector(p.sum(1).reshape(n, 1));                                   // softmax over latents
            probs[h] = p;
            o.get(NDArrayIndex.all(), NDArrayIndex.interval(h * dh, (h + 1) * dh))
                    .assign(BatchedMatmul.gemm(p, vh, null, false, false, 1.0, 0.0));     // [N, Dh]
        }
        INDArray y1 = BatchedMatmul.gemm(o, wo.value(), null, false, true, 1.0, 0.0).addi(x);   // [N, C] residual
        // GEGLU feed-forward (Shazeer 2020) with a residual
        yn = normFf.forward(y1);                                                          // [N, C]
        INDArray g = BatchedMatmul.gemm(yn, w1.value(), null, false, true, 1.0, 0.0)
                .addiRowVector(b1.value());                                               // [N, 2F]
        u = cols(g, 0, f);                                                                // [N, F]
        z = cols(g, f, f);                                                                // [N, F]
        cdf = z.mul(Math.sqrt(0.5));
        Nd4j.exec(new Erf(cdf, cdf));                                                     // erf(z / sqrt 2)
        cdf.addi(1.0).muli(0.5);                                                          // Phi(z): exact gelu
        m = u.mul(z).muli(cdf);                                                           // u * z Phi(z)
        return BatchedMatmul.gemm(m, w2.value(), null, false, true, 1.0, 0.0)
                .addiRowVector(b2.value()).addi(y1);                                      // [N, C] residual
    }

    @Override
    public INDArray backward(INDArray dPooled) {
        if (weights == null) {
            throw new IllegalStateException("backward needs a forward just before it (pool keeps nothing for one)");
        }
        INDArray dy = BatchedMatmul.gemm(weights, dPooled.dup('c'), null, true, false, 1.0, 0.0);   // [N, C]
        return tokenStatesBackward(dy).reshape('c', shape[0], shape[1], shape[2]);
    }

    /** dy [N, C] -> dx [N, C]; adds every parameter's gradient. */
    INDArray tokenStatesBackward(INDArray dy) {
        int heads = config.numHeads();
        int dh = config.headDim();
        int in = config.innerDim();
        double scale = 1.0 / Math.sqrt(dh);
        long n = dy.size(0);
        // GEGLU: y = y1 + m W2^T + b2
        BatchedMatmul.gemm(dy, m, w2.grad(), true, false, 1.0, 1.0);                      // dW2 += dy^T m [C, F]
        b2.grad().addi(dy.sum(0));
        INDArray dm = BatchedMatmul.gemm(dy, w2.value(), null, false, false, 1.0, 0.0);   // [N, F]
        INDArray pdf = Transforms.exp(z.mul(z).muli(-0.5), false).muli(1.0 / Math.sqrt(2 * Math.PI));   // phi(z)
        INDArray du = dm.mul(z).muli(cdf);                                                // dm * gelu(z)
        INDArray dz = dm.muli(u).muli(z.mul(pdf).addi(cdf));                              // gelu'(z) = Phi + z phi
        INDArray dg = Nd4j.concat(1, du, dz);                                             // [N, 2F]
        BatchedMatmul.gemm(dg, yn, w1.grad(), true, false, 1.0, 1.0);                     // dW1 += dg^T yn [2F, C]
        b1.grad().addi(dg.sum(0));
        INDArray dy1 = normFf.backward(BatchedMatmul.gemm(dg, w1.value(), null, false, false, 1.0, 0.0)).addi(dy);
        // cross-attention: y1 = x + o Wo^T
        BatchedMatmul.gemm(dy1, o, wo.grad(), true, false, 1.0, 1.0);                     // dWo += dy1^T o [C, I]
        INDArray dout = BatchedMatmul.gemm(dy1, wo.value(), null, false, false, 1.0, 0.0);   // [N, I]
        INDArray dq = Nd4j.create(dy.dataType(), n, in);                                  // [N, I]
        INDArray dkv = Nd4j.create(dy.dataType(), kv.size(0), 2L * in);                  // [r, 2I]
        for (int h = 0; h < heads; h++) {
            INDArray qh = cols(q, h * dh, dh);
            INDArray kh = cols(kv, h * dh, dh);
            INDArray vh = cols(kv, in + h * dh, dh);
            INDArray doh = cols(dout, h * dh, dh);                                        // [N, Dh]
            INDArray p = probs[h];                                                        // [N, r]
            INDArray dp = BatchedMatmul.gemm(doh, vh, null, false, true, 1.0, 0.0);       // [N, r]
            INDArray dvh = BatchedMatmul.gemm(p, doh, null, true, false, 1.0, 0.0);       // [r, Dh]
            // softmax backward: ds = p * (dp - sum_j p dp), then the score scale
            INDArray ds = dp.subiColumnVector(dp.mul(p).sum(1).reshape(n, 1)).muli(p).muli(scale);
            INDArray dqh = BatchedMatmul.gemm(ds, kh, null, false, false, 1.0, 0.0);      // [N, Dh]
            INDArray dkh = BatchedMatmul.gemm(ds, qh, null, true, false, 1.0, 0.0);      // [r, Dh]
            dq.get(NDArrayIndex.all(), NDArrayIndex.interval(h * dh, (h + 1) * dh)).assign(dqh);
            dkv.get(NDArrayIndex.all(), NDArrayIndex.interval(h * dh, (h + 1) * dh)).assign(dkh);
            dkv.get(NDArrayIndex.all(), NDArrayIndex.interval(in + h * dh, in + (h + 1) * dh)).assign(dvh);
        }
        BatchedMatmul.gemm(dq, xn, wq.grad(), true, false, 1.0, 1.0);                     // dWq += dq^T xn [I, C]
        BatchedMatmul.gemm(dkv, lat, wkv.grad(), true, false, 1.0, 1.0);                  // dWkv += dkv^T lat [2I, C]
        INDArray dlat = BatchedMatmul.gemm(dkv, wkv.value(), null, false, false, 1.0, 0.0);   // [r, C]
        latents.grad().addi(normKv.backward(dlat));
        INDArray dxn = BatchedMatmul.gemm(dq, wq.value(), null, false, false, 1.0, 0.0);  // [N, C]
        return normQ.backward(dxn).addi(dy1);                                             // residual
    }

    /** Columns [from, from + width) of a [rows, cols] array as a new dense row-major [rows, width]. */
    private static INDArray cols(INDArray a, int from, int width) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + width)).dup('c');
    }
}
