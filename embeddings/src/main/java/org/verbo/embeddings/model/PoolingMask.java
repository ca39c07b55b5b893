package org.verbo.embeddings.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.models.EncoderBatch;

/**
 * Which positions of a right-padded batch a pooling reads: row b pools positions {@code starts[b]} (its instruction
 * length) up to {@code ends[b]} (its real length), exclusive. NV-Embed: instruction tokens take part in the decoder's
 * attention but not in the pooling, and padding takes part in neither.
 *
 * @param batchSize B
 * @param seqLen    T, the padded length
 * @param starts    [B] first pooled position (tokens before it are the instruction), >= 0
 * @param ends      [B] one past the last pooled position (the real length), in (starts[b], T]
 */
public record PoolingMask(int batchSize, int seqLen, int[] starts, int[] ends) {
    public PoolingMask {
        if (batchSize < 1 || seqLen < 1) {
            throw new IllegalArgumentException("pooling mask needs B, T >= 1, got " + batchSize + " x " + seqLen);
        }
        if (starts == null || ends == null || starts.length != batchSize || ends.length != batchSize) {
            throw new IllegalArgumentException("pooling mask needs " + batchSize + " starts and ends");
        }
        starts = starts.clone();
        ends = ends.clone();
        for (int b = 0; b < batchSize; b++) {
            if (starts[b] < 0 || ends[b] > seqLen || starts[b] >= ends[b]) {
                throw new IllegalArgumentException("row " + b + " pools positions [" + starts[b] + ", " + ends[b]
                        + "), need 0 <= start < end <= " + seqLen + " (an instruction must leave at least one text token)");
            }
        }
    }

    /** Pools every real token of every row. */
    public static PoolingMask of(EncoderBatch batch) {
        return of(batch, new int[batch.batchSize()]);
    }

    /** Pools row b's real tokens after its first {@code instructionLengths[b]}. */
    public static PoolingMask of(EncoderBatch batch, int[] instructionLengths) {
        return new PoolingMask(batch.batchSize(), batch.seqLen(), instructionLengths, batch.lengths());
    }

    @Override
    public int[] starts() {
        return starts.clone();
    }

    @Override
    public int[] ends() {
        return ends.clone();
    }

    public int start(int b) {
        return starts[b];
    }

    public int end(int b) {
        return ends[b];
    }

    /** Mean-pooling weights [B, B*T]: 1 / (end - start) at row b's pooled positions of the flattened batch, else 0. */
    public INDArray meanWeights(DataType dtype) {
        double[] w = new double[batchSize * batchSize * seqLen];
        for (int b = 0; b < batchSize; b++) {
            double v = 1.0 / (ends[b] - starts[b]);
            for (int t = starts[b]; t < ends[b]; t++) {
                w[b * batchSize * seqLen + b * seqLen + t] = v;
            }
        }
        return Nd4j.createFromArray(w).reshape('c', batchSize, (long) batchSize * seqLen).castTo(dtype);
    }

    /** Weights [B, B*T] that pick row b's last pooled position (its last real token). */
    public INDArray lastTokenWeights(DataType dtype) {
        double[] w = new double[batchSize * batchSize * seqLen];
        for (int b = 0; b < batchSize; b++) {
            w[b * batchSize * seqLen + b * seqLen + ends[b] - 1] = 1.0;
        }
        return Nd4j.createFromArray(w).reshape('c', batchSize, (long) batchSize * seqLen).castTo(dtype);
    }
}
