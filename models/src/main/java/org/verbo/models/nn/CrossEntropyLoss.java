package org.verbo.models.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Next-token cross-entropy over logits [N, V]. A negative target id marks padding and is ignored
 * (PyTorch's {@code ignore_index=-100} convention, widened to every negative id).
 */
public final class CrossEntropyLoss {
    private CrossEntropyLoss() {
    }

    /** Sum of per-token losses, the number of counted tokens, and (optionally) dL/dlogits. */
    public record Result(double lossSum, long tokens, INDArray dlogits) {
        public double meanLoss() {
            return tokens == 0 ? 0.0 : lossSum / tokens;
        }
    }

    /**
     * @param logits    [N, V]
     * @param targets   [N]; negative ids ignored
     * @param gradScale if > 0, dlogits of the loss {@code gradScale * sum of token losses} is returned; the fused
     *                  path writes them over the logits, which the caller must not use afterwards
     */
    public static Result compute(INDArray logits, int[] targets, double gradScale) {
        if (logits.rank() == 2 && Kernels.applies(logits)) {
            // fused path: max, exp + sum, scaling per row in cache; dlogits overwrite the logits (used once)
            boolean grad = gradScale > 0;
            double lossSum = VectorKernels.crossEntropy(Kernels.buffer(logits), (int) logits.size(0),
                    (int) logits.size(1), targets, (float) gradScale, grad);
            return new Result(lossSum, counted(targets), grad ? logits : null);
        }
        return reference(logits, targets, gradScale);
    }

    /**
     * The LM head and the loss in one: logits = h w^T [N, V] (h [N, C], w [V, C]) and then {@link #compute}, with the
     * same result bits. Where the packed GEMM takes the product ({@link BatchedMatmul#packs}, one pass of C) the loss
     * is applied to each chunk of logit rows while it is in cache ({@link PackedGemm#gemmCrossEntropy}), so the logits
     * are never stored; elsewhere the product and then {@link #compute}. {@code -Dverbo.fusedHeadLoss=false} always
     * takes the second path (A/B benchmarks).
     *
     * @param gradScale &gt; 0: dlogits of {@code gradScale * sum of token losses} are returned
     */
    public static Result headLoss(INDArray h, INDArray w, int[] targets, double gradScale) {
        if (fusedHead && gradScale > 0 && BatchedMatmul.packs(h, w, false, true) && h.size(1) <= PackedGemm.MAX_K) {
            int n = (int) h.size(0);
            int v = (int) w.size(0);
            int k = (int) h.size(1);
            if (targets.length != n) {
                throw new IllegalArgumentException("expected " + n + " targets, got " + targets.length);
            }
            VectorKernels.checkTargets(targets, n, v);
            INDArray dlogits = Nd4j.createUninitialized(DataType.FLOAT, new long[]{n, v}, 'c');   // [N, V]
            double[] rowLoss = new double[n];
            BatchedMatmul.timed(String.format("2d %d x %d x %d NT cross-entropy", n, v, k), 2.0 * n * v * k,
                    () -> PackedGemm.gemmCrossEntropy(Kernels.buffer(h), Kernels.buffer(w), true,
                            Kernels.buffer(dlogits), n, v, k, targets, (float) gradScale, rowLoss));
            return new Result(VectorKernels.crossEntropySum(rowLoss, targets, n), counted(targets), dlogits);
        }
        INDArray logits = BatchedMatmul.gemm(h, w, null, false, true, 1.0, 0.0);   // [N, V]
        return compute(logits, targets, gradScale);
    }

    /** Rows with a target (not ignored). */
    private static long counted(int[] targets) {
        long count = 0;
        for (int t : targets) {
            if (t >= 0) {
                count++;
            }
        }
        return count;
    }

    private static volatile boolean fusedHead = Boolean.parseBoolean(System.getProperty("verbo.fusedHeadLoss", "true"));

    /** Turns {@link #headLoss}'s fused path on or off for this JVM (A/B benchmarks; the results are the same bits). */
    public static void setFusedHeadLoss(boolean on) {
        fusedHead = on;
    }

    /** Reference twin of the fused kernel: ND4J ops, logits left untouched. */
    static Result reference(INDArray logits, int[] targets, double gradScale) {
        long n = logits.size(0);
        // Five passes over [N, V] and one temporary (the input is left untouched): max, subtract, exp in place,
        // row sum, one row scaling. The target logits are read before exp overwrites them.
        INDArray max = logits.max(1).reshape(n, 1);                       // [N, 1]
        INDArray z = logits.subColumnVector(max);                         // [N, V], row max = 0
        double[] zTarget = new double[(int) n];
        for (int i = 0; i < n; i++) {
            if (targets[i] >= 0) {
                zTarget[i] = z.getDouble(i, targets[i]);
            }
        }
        INDArray e = Transforms.exp(z, false);                            // [N, V], in place
        INDArray sumE = e.sum(1).reshape(n, 1);                           // [N, 1]
        double[] sums = sumE.toDoubleVector();
        double lossSum = 0.0;
        long count = 0;
        for (int i = 0; i < n; i++) {
            if (targets[i] >= 0) {
                lossSum += Math.log(sums[i]) - zTarget[i];                // -log softmax(z)[target]
                count++;
            }
        }
        INDArray dlogits = null;
        if (gradScale > 0) {
            // dlogits = gradScale * (softmax - onehot): scale each row by gradScale / sum (0 for ignored rows) in one
            // pass, then subtract gradScale at the target entries
            double[] rowScale = new double[(int) n];
            for (int i = 0; i < n; i++) {
                if (targets[i] >= 0) {
                    rowScale[i] = gradScale / sums[i];
                }
            }
            dlogits = e.muliColumnVector(Nd4j.createFromArray(rowScale).castTo(e.dataType()).reshape(n, 1));
            for (int i = 0; i < n; i++) {
                if (targets[i] >= 0) {
                    dlogits.putScalar(i, targets[i], dlogits.getDouble(i, targets[i]) - gradScale);
                }
            }
        }
        return new Result(lossSum, count, dlogits);
    }
}
