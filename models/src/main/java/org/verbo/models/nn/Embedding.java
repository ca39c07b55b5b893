package org.verbo.models.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;

/** Token embedding lookup: ids [N] -> rows of W [V, C]. */
public final class Embedding {
    private final Param weight;
    private int[] ids;

    public Embedding(Param weight) {
        this.weight = weight;
    }

    public Param weight() {
        return weight;
    }

    /** ids [N] -> [N, C]. */
    public INDArray forward(int[] ids) {
        this.ids = ids;
        return Nd4j.pullRows(weight.value(), 1, ids);
    }

    /**
     * dW[id] += sum of dy rows with that id. Duplicates are summed in Java first so the native scatter sees each
     * row once (no races, deterministic order).
     */
    public void backward(INDArray dy) {
        Map<Integer, Integer> slot = new LinkedHashMap<>();
        int[] rowSlot = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            rowSlot[i] = slot.computeIfAbsent(ids[i], k -> slot.size());
        }
        if (Kernels.applies(dy, weight.grad()) && weight.grad().rank() == 2) {
            addRows(dy, rowSlot, slot);
            return;
        }
        INDArray sums;
        if (slot.size() == ids.length) {
            sums = dy;
        } else {
            // group rows by token in plain Java: O(N C) time and O(U C) memory, deterministic order
            int c = (int) dy.size(1);
            if (dy.dataType() == org.nd4j.linalg.api.buffer.DataType.DOUBLE) {
                double[] src = dy.reshape((long) ids.length * c).toDoubleVector();
                double[] acc = new double[slot.size() * c];
                for (int i = 0; i < ids.length; i++) {
                    int base = rowSlot[i] * c;
                    for (int j = 0; j < c; j++) {
                        acc[base + j] += src[i * c + j];
                    }
                }
                sums = Nd4j.createFromArray(acc).reshape(slot.size(), c);
            } else {
                float[] src = dy.reshape((long) ids.length * c).toFloatVector();
                float[] acc = sumByToken(java.nio.FloatBuffer.wrap(src), rowSlot, slot.size(), c);
                sums = Nd4j.createFromArray(acc).reshape(slot.size(), c).castTo(dy.dataType());
            }
        }
        int[] unique = new int[slot.size()];
        for (Map.Entry<Integer, Integer> e : slot.entrySet()) {
            unique[e.getValue()] = e.getKey();
        }
        // the op writes a new array (it does not update its input in place), so copy the result back
        INDArray updated = Nd4j.exec(new ScatterAdd(weight.grad(), Nd4j.createFromArray(unique), sums))[0];
        weight.grad().assign(updated);
    }

    /**
     * The float path of {@link #backward}: the same sums (rows of one token added in row order, then added once to
     * the token's gradient row, as ScatterAdd does), written straight into the gradient's buffer. Why: the ND4J path
     * allocates the sums, whose size is the batch's number of distinct tokens, in the step workspace; a batch with
     * more distinct tokens than any before made the workspace outgrow its learned size, and ND4J then reallocated
     * and zeroed all of it inside a step (+0.8 s at bench-7m step 11), besides an 8 MB copy per step.
     */
    /**
     * The rows of src [N, C] summed by token: row i adds into slot rowSlot[i] of the result [slots, C], rows in order,
     * so a token's sum is the same whatever the batch's other tokens are.
     */
    private static float[] sumByToken(java.nio.FloatBuffer src, int[] rowSlot, int slots, int c) {
        float[] acc = new float[slots * c];
        for (int i = 0; i < rowSlot.length; i++) {
            int base = rowSlot[i] * c;
            int row = i * c;
            for (int j = 0; j < c; j++) {
                acc[base + j] += src.get(row + j);
            }
        }
        return acc;
    }

    private void addRows(INDArray dy, int[] rowSlot, Map<Integer, Integer> slot) {
        int c = (int) dy.size(1);
        float[] acc = sumByToken(Kernels.buffer(dy).asFloatBuffer(), rowSlot, slot.size(), c);   // [U, C]
        java.nio.ByteBuffer grad = Kernels.buffer(weight.grad());                                // [V, C]
        for (Map.Entry<Integer, Integer> e : slot.entrySet()) {
            int g = e.getKey() * c;
            int a = e.getValue() * c;
            for (int j = 0; j < c; j++) {
                int at = (g + j) << 2;
                grad.putFloat(at, grad.getFloat(at) + acc[a + j]);
            }
        }
    }
}
