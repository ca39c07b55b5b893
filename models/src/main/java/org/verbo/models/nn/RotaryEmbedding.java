package org.verbo.models.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rotary position embedding (Su et al. 2021, "RoFormer") in the Hugging Face {@code rotate_half} convention
 * ({@code modeling_llama.apply_rotary_pos_emb}): with x = [x1, x2] split into halves,
 * rotate_half(x) = [-x2, x1] and out = x * cos + rotate_half(x) * sin, where
 * cos/sin[t] = cos/sin(t * [f, f]) and f_i = theta^(-2i/D), i < D/2.
 * rotate_half is applied as a product with a fixed signed permutation R [D, D], so the backward pass is
 * dx = dy * cos + (dy * sin) R^T (the inverse rotation).
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final INDArray cos;   // [Tmax, D]
    private final INDArray sin;   // [Tmax, D]
    private final INDArray rot;   // [D, D], x @ rot == rotate_half(x)
    private final float[] cosTable;   // [Tmax * D] for the SIMD kernels
    private final float[] sinTable;   // [Tmax * D]

    public RotaryEmbedding(int headDim, int maxPositions, double theta, DataType dtype) {
        this.headDim = headDim;
        int half = headDim / 2;
        double[][] c = new double[maxPositions][headDim];
        double[][] s = new double[maxPositions][headDim];
        for (int t = 0; t < maxPositions; t++) {
            for (int i = 0; i < half; i++) {
                double invFreq = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
                double angle = t * invFreq;
                c[t][i] = c[t][i + half] = Math.cos(angle);
                s[t][i] = s[t][i + half] = Math.sin(angle);
            }
        }
        double[][] r = new double[headDim][headDim];
        for (int i = 0; i < half; i++) {
            r[i + half][i] = -1.0;   // out_i = -x_{i+D/2}
            r[i][i + half] = 1.0;    // out_{i+D/2} = x_i
        }
        this.cos = Nd4j.create(c).castTo(dtype);
        this.sin = Nd4j.create(s).castTo(dtype);
        this.rot = Nd4j.create(r).castTo(dtype);
        this.cosTable = new float[maxPositions * headDim];
        this.sinTable = new float[maxPositions * headDim];
        for (int t = 0; t < maxPositions; t++) {
            for (int i = 0; i < headDim; i++) {
                cosTable[t * headDim + i] = (float) c[t][i];
                sinTable[t * headDim + i] = (float) s[t][i];
            }
        }
    }

    /** cos(t f) as [Tmax * D] row-major floats (shared, do not modify). */
    float[] cosTable() {
        return cosTable;
    }

    /** sin(t f) as [Tmax * D] row-major floats (shared, do not modify). */
    float[] sinTable() {
        return sinTable;
    }

    public int maxPositions() {
        return (int) cos.size(0);
    }

    /** cos table rows [start, start+T) as [T*D] for row broadcasting. */
    private INDArray table(INDArray tab, int start, int len) {
        if (start + len > tab.size(0)) {
            throw new IllegalArgumentException("positions " + start + ".." + (start + len - 1)
                    + " exceed the context length " + tab.size(0));
        }
        return tab.get(NDArrayIndex.interval(start, start + len), NDArrayIndex.all()).reshape((long) len * headDim);
    }

    /** x [M, T, D] at positions start..start+T-1 -> rotated [M, T, D] (new array). */
    public INDArray apply(INDArray x, int start) {
        return rotate(x, start, false);
    }

    /** Gradient of {@link #apply}: dy [M, T, D] -> dx [M, T, D]. */
    public INDArray backward(INDArray dy, int start) {
        return rotate(dy, start, true);
    }

    private INDArray rotate(INDArray x, int start, boolean inverse) {
        long m = x.size(0);
        int t = (int) x.size(1);
        INDArray c = table(cos, start, t);                       // [T*D]
        INDArray s = table(sin, start, t);                       // [T*D]
        INDArray flat = x.reshape(m, (long) t * headDim);         // [M, T*D]
        INDArray out = flat.mulRowVector(c);
        if (!inverse) {
            INDArray rh = Nd4j.gemm(x.reshape(m * t, headDim), rot, false, false);   // [M*T, D] rotate_half(x)
            out.addi(rh.reshape(m, (long) t * headDim).muliRowVector(s));
        } else {
            INDArray ys = flat.mulRowVector(s).reshape(m * t, headDim);            // [M*T, D]
            out.addi(Nd4j.gemm(ys, rot, false, true).reshape(m, (long) t * headDim));
        }
        return out.reshape(m, t, headDim);
    }
}
