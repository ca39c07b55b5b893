package org.verbo.models.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Random;

import static org.verbo.models.nn.GradCheck.check;
import static org.verbo.models.nn.GradCheck.randn;

/**
 * Every block's backward pass against central finite differences, double precision. The scalar loss is
 * sum(out * R) for a fixed random R, so dLoss/dout = R.
 */
class BlockGradientTest {
    private static final int B = 2;
    private static final int T = 5;
    private static final int C = 8;

    @Test
    void rmsNorm() {
        Random rng = new Random(1);
        Param w = Param.standalone("w", randn(rng, 1.0, C));
        RmsNorm norm = new RmsNorm(w, 1e-5);
        INDArray x = randn(rng, 1.0, B * T, C);
        INDArray r = randn(rng, 1.0, B * T, C);
        norm.forward(x);
        INDArray dx = norm.backward(r);
        INDArray dw = w.grad().dup();
        check("rmsnorm dx", x, dx, () -> norm.forward(x).mul(r).sumNumber().doubleValue(), 200, rng);
        check("rmsnorm dw", w.value(), dw, () -> norm.forward(x).mul(r).sumNumber().doubleValue(), 200, rng);
    }

    @Test
    void rotaryEmbedding() {
        Random rng = new Random(2);
        RotaryEmbedding rope = new RotaryEmbedding(4, 16, 10000.0, DataType.DOUBLE);
        INDArray x = randn(rng, 1.0, 3, T, 4);
        INDArray r = randn(rng, 1.0, 3, T, 4);
        INDArray dx = rope.backward(r, 2);
        check("rope dx", x, dx, () -> rope.apply(x, 2).mul(r).sumNumber().doubleValue(), 200, rng);
    }

    @Test
    void causalSelfAttentionWithGroupedQueries() {
        Random rng = new Random(3);
        int heads = 4;
        int kvHeads = 2;
        int d = C / heads;
        Param wq = Param.standalone("q", randn(rng, 0.5, C, C));
        Param wk = Param.standalone("k", randn(rng, 0.5, kvHeads * d, C));
        Param wv = Param.standalone("v", randn(rng, 0.5, kvHeads * d, C));
        Param wo = Param.standalone("o", randn(rng, 0.5, C, C));
        CausalSelfAttention attn = new CausalSelfAttention(wq, wk, wv, wo, heads, kvHeads,
                new RotaryEmbedding(d, 16, 10000.0, DataType.DOUBLE));
        INDArray x = randn(rng, 1.0, B * T, C);
        INDArray r = randn(rng, 1.0, B * T, C);
        attn.forward(x, B, T);
        INDArray dx = attn.backward(r);
        java.util.function.DoubleSupplier loss = () -> attn.forward(x, B, T).mul(r).sumNumber().doubleValue();
        check("attn dx", x, dx, loss, 80, rng);
        for (Param p : new Param[]{wq, wk, wv, wo}) {
            check("attn d" + p.name(), p.value(), p.grad().dup(), loss, 40, rng);
        }
    }

    /** The encoder masks (bidirectional, causal with key padding); padded rows of r included, so they are exact too. */
    @Test
    void selfAttentionBidirectionalAndKeyPadded() {
        Random rng = new Random(32);
        int c = 8;
        int heads = 4;
        int kvHeads = 2;
        int d = c / heads;
        int b = 3;
        int t = 5;
        Param wq = Param.standalone("q", randn(rng, 0.5, c, c));
        Param wk = Param.standalone("k", randn(rng, 0.5, kvHeads * d, c));
        Param wv = Param.standalone("v", randn(rng, 0.5, kvHeads * d, c));
        Param wo = Param.standalone("o", randn(rng, 0.5, c, c));
        CausalSelfAttention attn = new CausalSelfAttention(wq, wk, wv, wo, heads, kvHeads,
                new RotaryEmbedding(d, 16, 10000.0, DataType.DOUBLE));
        for (AttentionMask mask : java.util.List.of(AttentionMask.of(AttentionMode.BIDIRECTIONAL, 5, 2, 4),
                AttentionMask.of(AttentionMode.CAUSAL, 3, 5, 1), new AttentionMask(AttentionMode.BIDIRECTIONAL, null))) {
            INDArray x = randn(rng, 1.0, b * t, c);
            INDArray r = randn(rng, 1.0, b * t, c);
            for (Param p : new Param[]{wq, wk, wv, wo}) {
                p.grad().assign(0);
            }
            attn.forward(x, b, t, mask);
            INDArray dx = attn.backward(r);
            java.util.function.DoubleSupplier loss = () -> attn.forward(x, b, t, mask).mul(r).sumNumber().doubleValue();
            check(mask + " dx", x, dx, loss, 60, rng);
            for (Param p : new Param[]{wq, wk, wv, wo}) {
                check(mask + " d" + p.name(), p.value(), p.grad().dup(), loss, 30, rng);
            }
        }
    }

    @Test
    void swiGluFeedForward() {
        Random rng = new Random(4);
        int f = 12;
        Param gate = Param.standalone("gate", randn(rng, 0.5, f, C));
        Param up = Param.standalone("up", randn(rng, 0.5, f, C));
        Param down = Param.standalone("down", randn(rng, 0.5, C, f));
        SwiGluFeedForward mlp = new SwiGluFeedForward(gate, up, down);
        INDArray x = randn(rng, 1.0, B * T, C);
        INDArray r = randn(rng, 1.0, B * T, C);
        mlp.forward(x);
        INDArray dx = mlp.backward(r);
        java.util.function.DoubleSupplier loss = () -> mlp.forward(x).mul(r).sumNumber().doubleValue();
        check("mlp dx", x, dx, loss, 80, rng);
        for (Param p : new Param[]{gate, up, down}) {
            check("mlp d" + p.name(), p.value(), p.grad().dup(), loss, 40, rng);
        }
    }

    @Test
    void decoderBlock() {
        Random rng = new Random(5);
        int heads = 2;
        int d = C / heads;
        Param n1 = Param.standalone("n1", randn(rng, 1.0, C));
        Param n2 = Param.standalone("n2", randn(rng, 1.0, C));
        Param wq = Param.standalone("q", randn(rng, 0.5, C, C));
        Param wk = Param.standalone("k", randn(rng, 0.5, C, C));
        Param wv = Param.standalone("v", randn(rng, 0.5, C, C));
        Param wo = Param.standalone("o", randn(rng, 0.5, C, C));
        Param gate = Param.standalone("gate", randn(rng, 0.5, 10, C));
        Param up = Param.standalone("up", randn(rng, 0.5, 10, C));
        Param down = Param.standalone("down", randn(rng, 0.5, C, 10));
        DecoderBlock block = new DecoderBlock(new RmsNorm(n1, 1e-5),
                new CausalSelfAttention(wq, wk, wv, wo, heads, heads, new RotaryEmbedding(d, 8, 500.0, DataType.DOUBLE)),
                new RmsNorm(n2, 1e-5), new SwiGluFeedForward(gate, up, down));
        INDArray x = randn(rng, 1.0, B * T, C);
        INDArray r = randn(rng, 1.0, B * T, C);
        block.forward(x, B, T);
        INDArray dx = block.backward(r);
        java.util.function.DoubleSupplier loss = () -> block.forward(x, B, T).mul(r).sumNumber().doubleValue();
        check("block dx", x, dx, loss, 80, rng);
        for (Param p : new Param[]{n1, n2, wq, wo, gate, down}) {
            check("block d" + p.name(), p.value(), p.grad().dup(), loss, 30, rng);
        }
    }

    @Test
    void crossEntropyIgnoresPadding() {
        Random rng = new Random(6);
        INDArray logits = randn(rng, 2.0, 6, 7);
        int[] targets = {3, -1, 0, 6, -100, 2};
        CrossEntropyLoss.Result r = CrossEntropyLoss.compute(logits, targets, 0.25);
        org.junit.jupiter.api.Assertions.assertEquals(4, r.tokens());
        // padded rows get no gradient
        org.junit.jupiter.api.Assertions.assertEquals(0.0, r.dlogits().getRow(1).norm2Number().doubleValue(), 0.0);
        check("xent dlogits", logits, r.dlogits().dup(),
                () -> 0.25 * CrossEntropyLoss.compute(logits, targets, 0).lossSum(), 100, rng);
    }
}
