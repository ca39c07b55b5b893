package org.verbo.models.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.models.Workspaces;
import org.verbo.models.nn.AttentionMask;
import org.verbo.models.nn.AttentionMode;
import org.verbo.models.nn.CausalSelfAttention;
import org.verbo.models.nn.Kernels;
import org.verbo.models.nn.Param;
import org.verbo.models.nn.RotaryEmbedding;

import java.util.Arrays;
import java.util.Locale;

/**
 * Times forward + backward of one {@link CausalSelfAttention} layer (fused q/k/v projection as in the model) behind
 * docs/PERFORMANCE.md "Fused attention" (not a test): {@link org.verbo.models.nn.FlashAttention} against the
 * unfused kernel path ({@code -Dverbo.fusedAttention=false}), alternating A and B repetition by repetition in one
 * JVM so that both see the same load on a shared machine, after a warm-up of both (C2 compiles the Vector API code).
 * Reports medians of wall time and of the calling thread's CPU time.
 *
 * <p>Usage: {@code AttentionBench [--batch=8] [--t=256] [--c=256] [--heads=4] [--kv-heads=4] [--reps=20]
 * [--warmup=5] [--mask=causal|bidirectional|padded]} (padded: bidirectional, row b has T - b T / (2 B) real tokens).
 */
public final class AttentionBench {
    private AttentionBench() {
    }

    public static void main(String[] args) {
        int batch = 8;
        int t = 256;
        int c = 256;
        int heads = 4;
        int kvHeads = 4;
        int reps = 20;
        int warmup = 5;
        String maskName = "causal";
        for (String arg : args) {
            String[] kv = arg.replaceFirst("^--", "").split("=", 2);
            if (kv.length != 2) {
                usage("bad option " + arg);
            }
            switch (kv[0]) {
                case "batch" -> batch = Integer.parseInt(kv[1]);
                case "t" -> t = Integer.parseInt(kv[1]);
                case "c" -> c = Integer.parseInt(kv[1]);
                case "heads" -> heads = Integer.parseInt(kv[1]);
                case "kv-heads" -> kvHeads = Integer.parseInt(kv[1]);
                case "reps" -> reps = Integer.parseInt(kv[1]);
                case "warmup" -> warmup = Integer.parseInt(kv[1]);
                case "mask" -> maskName = kv[1];
                default -> usage("unknown option " + arg);
            }
        }
        if (c % heads != 0 || heads % kvHeads != 0 || reps < 1) {
            usage("need c % heads == 0, heads % kv-heads == 0, reps >= 1");
        }
        AttentionMask mask = switch (maskName) {
            case "causal" -> AttentionMask.CAUSAL;
            case "bidirectional" -> new AttentionMask(AttentionMode.BIDIRECTIONAL, null);
            case "padded" -> {
                int[] lengths = new int[batch];
                for (int b = 0; b < batch; b++) {
                    lengths[b] = t - b * t / (2 * batch);
                }
                yield new AttentionMask(AttentionMode.BIDIRECTIONAL, lengths);
            }
            default -> {
                usage("unknown mask " + maskName);
                yield null;
            }
        };
        run(batch, t, c, heads, kvHeads, reps, warmup, mask);
    }

    private static void usage(String why) {
        System.err.println(why + "\nusage: AttentionBench [--batch=8] [--t=256] [--c=256] [--heads=4] [--kv-heads=4] "
                + "[--reps=20] [--warmup=5] [--mask=causal|bidirectional|padded]");
        System.exit(2);
    }

    static void run(int batch, int t, int c, int heads, int kvHeads, int reps, int warmup, AttentionMask mask) {
        int d = c / heads;
        long qkvRows = (long) (heads + 2 * kvHeads) * d;
        Nd4j.getRandom().setSeed(1);
        INDArray flat = Nd4j.randn(DataType.FLOAT, qkvRows, c).muli(0.05);
        Param wqkv = new Param("qkv", flat);
        wqkv.bindGrad(Nd4j.zeros(DataType.FLOAT, qkvRows, c));
        Param wq = view("q", wqkv, 0, (long) heads * d);
        Param wk = view("k", wqkv, (long) heads * d, (long) kvHeads * d);
        Param wv = view("v", wqkv, (long) (heads + kvHeads) * d, (long) kvHeads * d);
        Param wo = Param.standalone("o", Nd4j.randn(DataType.FLOAT, c, c).muli(0.05));
        CausalSelfAttention attn = new CausalSelfAttention(wq, wk, wv, wo, heads, kvHeads,
                new RotaryEmbedding(d, t, 10000.0, DataType.FLOAT), wqkv);
        INDArray x = Nd4j.randn(DataType.FLOAT, (long) batch * t, c);
        INDArray dy = Nd4j.randn(DataType.FLOAT, (long) batch * t, c).muli(0.01);
        System.out.println(Kernels.describe());
        System.out.printf(Locale.ROOT, "attention layer B=%d T=%d C=%d H=%d Hk=%d D=%d %s%n", batch, t, c, heads,
                kvHeads, d, mask);
        long probs = (long) batch * heads * t * t * 4;
        long kept = (long) batch * heads * t * d * 4 + (long) batch * heads * t * 4;
        System.out.printf(Locale.ROOT, "kept for backward per layer: probabilities %.1f MiB (unfused) vs o + lse "
                + "%.2f MiB (fused)%n", probs / 1048576.0, kept / 1048576.0);
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        String[] names = {"unfused", "fused"};
        double[][][] ms = new double[2][4][reps];   // [variant][fwd, bwd, fwd+bwd, fwd+bwd cpu][rep]
        for (int i = 0; i < warmup + reps; i++) {
            for (int variant = 0; variant < 2; variant++) {
                int v = i % 2 == 0 ? variant : 1 - variant;      // alternate which goes first
                CausalSelfAttention.setFusedAttention(v == 1);
                try (var ws = Workspaces.step("verbo-attention-bench")) {
                    long c0 = mx.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    attn.forward(x, batch, t, mask);
                    long t1 = System.nanoTime();
                    attn.backward(dy);
                    long t2 = System.nanoTime();
                    long c1 = mx.getCurrentThreadCpuTime();
                    if (i >= warmup) {
                        ms[v][0][i - warmup] = (t1 - t0) / 1e6;
                        ms[v][1][i - warmup] = (t2 - t1) / 1e6;
                        ms[v][2][i - warmup] = (t2 - t0) / 1e6;
                        ms[v][3][i - warmup] = (c1 - c0) / 1e6;
                    }
                }
            }
        }
        CausalSelfAttention.setFusedAttention(!"false".equals(System.getProperty("verbo.fusedAttention")));
        System.out.println("| kernel | forward ms | backward ms | forward+backward ms | min | caller CPU ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (int v = 0; v < 2; v++) {
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", names[v], median(ms[v][0]),
                    median(ms[v][1]), median(ms[v][2]), Arrays.stream(ms[v][2]).min().orElse(0), median(ms[v][3]));
        }
        double[] ratio = new double[reps];
        for (int i = 0; i < reps; i++) {
            ratio[i] = ms[0][2][i] / ms[1][2][i];
        }
        System.out.printf(Locale.ROOT, "unfused / fused forward+backward, median of paired repetitions: %.3f%n",
                median(ratio));
    }

    private static Param view(String name, Param whole, long row, long rows) {
        Param p = new Param(name, whole.value().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(row, row + rows),
                org.nd4j.linalg.indexing.NDArrayIndex.all()));
        p.bindGrad(whole.grad().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(row, row + rows),
                org.nd4j.linalg.indexing.NDArrayIndex.all()));
        return p;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
