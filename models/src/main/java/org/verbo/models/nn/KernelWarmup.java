package org.verbo.models.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Gets the SIMD kernels of {@link VectorKernels} (and {@link PackedGemm} where it takes the products) compiled by C2
 * before the first real step, by calling each one a thousand times on a few kilobytes.
 *
 * <p>Why: until HotSpot's C2 has compiled a kernel, the JDK Vector API runs it boxed (every vector op an object), tens
 * of times slower. C2 compiles a method after about 600 calls and enough loop iterations (the Tier4 thresholds), so a
 * bench-7m training step, which calls each kernel a handful of times on megabytes, ran its first steps 4x (quiet
 * machine) to 20x (loaded) slower than the median while the kernels crawled through the interpreter and C1 on full
 * arrays (docs/PERFORMANCE.md). On tiny arrays the slow tiers cost microseconds a call, so the call counts C2 waits
 * for are reached in a fraction of that time. The compiling itself still happens once per JVM.
 *
 * <p>The buffers are direct (native) like ND4J's, so the JIT's profile sees the same buffer class as real calls. No
 * global state is touched, and the kernels' arithmetic is the same in every JIT tier ({@link VectorKernels#exp}), so
 * a warmed JVM and a cold one compute the same bits.
 */
final class KernelWarmup {
    private KernelWarmup() {
    }

    /**
     * Calls the kernels {@code calls} times on small arrays with odd sizes (vector loops and scalar tails): with
     * {@code training} those of a training step (forward, backward, loss, optimizers), else those of inference
     * (forward only, with the packed encoder's fused forms). Each set compiles only what its workload runs: C2 has one
     * thread on two cores, and every kernel compiled for nothing delays the ones that matter (the inference set takes
     * about half the warm-up of both).
     */
    static void run(int calls, boolean training) {
        boolean inference = !training;
        int n = 24;          // rows
        int c = 67;          // columns: 4 vectors of 16 lanes + a tail of 3 (AVX-512), more vectors with AVX2
        int t = 12;          // sequence length for attention rows
        int d = 64;          // head dim as in every preset: RoPE's half rows fill whole vectors (a smaller d never
                             // ran those loops here, and the first real call deoptimised the compiled kernel)
        Random rng = new Random(11);
        ByteBuffer x = random(n * 2 * c, rng);
        ByteBuffer y = random(n * 2 * c, rng);
        ByteBuffer z = random(n * 2 * c, rng);
        ByteBuffer w = random(c, rng);
        ByteBuffer dw = random(c, rng);
        ByteBuffer s = random(n * t, rng);
        ByteBuffer ds = random(n * t, rng);
        ByteBuffer m = random(n * c, rng);
        ByteBuffer v = random(n * c, rng);
        ByteBuffer heads = random(2 * 2 * t * d, rng);
        float[] inv = new float[n];
        float[] cos = new float[t * d];
        float[] sin = new float[t * d];
        for (int i = 0; i < cos.length; i++) {
            cos[i] = (float) Math.cos(i * 0.01);
            sin[i] = (float) Math.sin(i * 0.01);
        }
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            targets[i] = i % 5 == 4 ? -1 : rng.nextInt(c);   // -1: an ignored position
        }
        int[] keyLen = {t, t / 2};
        int[] packedRows = new int[2 * t];   // token (b, ti) -> packed row: sequence 0 whole, sequence 1 one token
        for (int i = 0; i < 2 * t; i++) {
            packedRows[i] = i <= t ? i : -1;
        }
        // fused attention: one full 64-row block and a tail, two query heads per key/value head, D = 64 as in the
        // presets (the microkernels' vector counts follow D; other counts would leave real paths unprofiled)
        int ft = 70;
        int fd = 64;
        FlashAttention.Shape causal = new FlashAttention.Shape(1, 2, ft, fd, 0.25f, true, null, 1);
        FlashAttention.Shape padded = new FlashAttention.Shape(2, 1, ft, fd, 0.25f, false, new int[]{ft, 33}, 1);
        ByteBuffer fq = random(2 * ft * fd, rng);
        ByteBuffer fk = random(2 * ft * fd, rng);
        ByteBuffer fv = random(2 * ft * fd, rng);
        ByteBuffer fo = random(2 * ft * fd, rng);
        ByteBuffer fdo = random(2 * ft * fd, rng);
        ByteBuffer fdq = random(2 * ft * fd, rng);
        ByteBuffer fdk = random(2 * ft * fd, rng);
        ByteBuffer fdv = random(2 * ft * fd, rng);
        float[] lse = new float[2 * ft];
        float[] fcos = new float[ft * fd];
        float[] fsin = new float[ft * fd];
        for (int i = 0; i < fcos.length; i++) {
            fcos[i] = (float) Math.cos(i * 0.01);
            fsin[i] = (float) Math.sin(i * 0.01);
        }
        // the packed GEMM where it takes the products: 8 rows (a 6-row block and a 2-row tail), one full panel and a
        // narrow one, both operand forms, with and without accumulation
        boolean packed = PackedGemm.chosen();
        int gm = 8;
        int gk = 32;
        int gn = PackedGemm.NR + 16;
        ByteBuffer ga = random(gm * gk, rng);
        ByteBuffer gb = random(gn * gk, rng);
        ByteBuffer gc = random(gm * gn, rng);
        for (int i = 0; i < calls; i++) {
            if (packed && inference && i % 8 == 2) {
                PackedGemm.gemmSwiGlu(ga, gb, true, gc, gm, gn, gk);         // inference's fused gate|up + SwiGLU
            } else if (packed && training && i % 8 == 2) {
                PackedGemm.gemm(ga, true, gb, false, gc, gm, gn, gk, true);   // a weight gradient: ga as [gk, gm]
            } else if (packed && i % 2 == 0) {
                // x W^T (+ c: inference's residual); training's dx = dy W too
                PackedGemm.gemm(ga, gb, !training || i % 4 == 0, gc, gm, gn, gk, i % 8 < 4);
                if (i % 64 == 0) {
                    VectorKernels.fill(gc, 0, gm * gn, 0.5f);   // accumulation must not drift to infinities
                }
            }
            if (i % 4 == 0) {   // a call is ~40 blocks of microkernel work: a quarter of the calls reach C2 as well
                FlashAttention.Shape sh = i % 8 == 0 ? causal : padded;
                if (training) {
                    FlashAttention.forward(fq, fk, fv, fo, lse, sh);
                    FlashAttention.backward(fdo, fo, lse, fq, fk, fv, fdq, fdk, fdv, sh);
                } else if (i % 8 == 0) {
                    FlashAttention.forward(fq, fk, fv, fo, lse, padded);     // inference off the packed path
                } else {   // packed inference: the 70 + 33 real rows of the padded shape
                    FlashAttention.forwardPacked(fq, fd, 0, fk, fd, 0, fv, fd, 0, fcos, fsin, fo, padded);
                }
            }
            VectorKernels.add(x, y, z, n * c);
            VectorKernels.zero(z, n * c);
            VectorKernels.rmsNormForward(x, w, y, inv, n, c, 1e-5);
            VectorKernels.swigluForward(x, 0, 2 * c, x, c, 2 * c, y, n, c);
            VectorKernels.layerNormForward(x, w, dw, y, n, c, 1e-5);        // the embedding pooling's kernels
            VectorKernels.gegluForward(x, w, y, n, c / 2);
            VectorKernels.maskedSoftmax(s, n, t, t, 0, 0.25f, false, keyLen, n / 2);
            // token-major [2*t, 2*d] -> head-major [2*2, t, d], rotated and not
            VectorKernels.permuteHeads(x, 2 * d, 0, heads, 2, t, 2, d, true, 1, cos, sin, 0);
            VectorKernels.permuteHeads(x, 2 * d, 0, heads, 2, t, 2, d, true, 0, cos, sin, 0);
            VectorKernels.fill(z, 0, n * c, 0.01f);
            if (training) {
                VectorKernels.rmsNormBackward(x, y, w, inv, z, dw, n, c);
                VectorKernels.swigluBackward(y, x, 0, 2 * c, x, c, 2 * c, z, 0, 2 * c, z, c, 2 * c, n, c);
                VectorKernels.maskedSoftmax(s, n, t, t, 0, 0.25f, true, null, n);
                VectorKernels.maskedSoftmaxBackward(s, ds, n, t, t, 0, 0.25f, true, null, n);
                VectorKernels.maskedSoftmaxBackward(s, ds, n, t, t, 0, 0.25f, false, keyLen, n / 2);
                // head-major -> token-major, inverse-rotated and not
                VectorKernels.permuteHeads(z, 2 * d, 0, heads, 2, t, 2, d, false, -1, cos, sin, 0);
                VectorKernels.permuteHeads(z, 2 * d, 0, heads, 2, t, 2, d, false, 0, cos, sin, 0);
                VectorKernels.crossEntropy(z, n, c, targets, 1f / n, true);
                VectorKernels.adamw(m, y, v, z, n * c, new int[]{0}, new int[]{c}, 0.999f, 0.9f, 0.999f, 1e-3f, 1f,
                        1e-8f);
                VectorKernels.sgdMomentum(m, y, v, 0.9f, new int[]{0, c, n * c}, new float[]{1f, 0.999f},
                        new float[]{1e-3f, 1e-3f});
                VectorKernels.sumSquares(x, n * c);
                // keep the optimizer's inputs from drifting to infinities over many calls
                VectorKernels.fill(m, 0, n * c, 0.5f);
                VectorKernels.fill(v, 0, n * c, 0.5f);
            } else {
                // packed inference off the direct attention path: only real tokens in the token-major array,
                // sequence 1 padded after its first token
                VectorKernels.permuteHeads(x, 2 * d, 0, heads, 2, t, 2, d, true, 1, cos, sin, 0, packedRows);
                VectorKernels.permuteHeads(z, 2 * d, 0, heads, 2, t, 2, d, false, 0, cos, sin, 0, packedRows);
            }
            VectorKernels.fill(z, 0, n * c, 0.5f);
        }
    }

    /**
     * Whether a method of this package is in HotSpot's compile queue or being compiled (jcmd's Compiler.queue through
     * the DiagnosticCommand MBean); null when this JVM does not offer it.
     */
    static Boolean kernelsInCompileQueue() {
        try {
            javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            javax.management.ObjectName dcmd = new javax.management.ObjectName(
                    "com.sun.management:type=DiagnosticCommand");
            Object out = server.invoke(dcmd, "compilerQueue", new Object[]{null}, new String[]{String[].class.getName()});
            return out instanceof String q ? q.contains(KernelWarmup.class.getPackageName() + ".") : null;
        } catch (javax.management.JMException | RuntimeException e) {
            return null;
        }
    }

    private static ByteBuffer random(int floats, Random rng) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder());
        for (int i = 0; i < floats; i++) {
            b.putFloat(4 * i, (float) rng.nextGaussian());
        }
        return b;
    }
}
