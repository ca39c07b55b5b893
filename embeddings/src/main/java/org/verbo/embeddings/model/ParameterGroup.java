package org.verbo.embeddings.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.models.ParameterLayout;
import org.verbo.models.nn.Param;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named tensors of a module outside the decoder (the pooling head) in one flat parameter vector and one flat gradient
 * vector with the same {@link ParameterLayout}, as {@code LlamaModel} keeps the decoder's: one AdamW and one
 * safetensors writer serve both.
 */
public final class ParameterGroup {
    private final ParameterLayout layout;
    private final INDArray params;   // [P]
    private final INDArray grads;    // [P]
    private final Map<String, Param> byName = new LinkedHashMap<>();

    private ParameterGroup(ParameterLayout layout, INDArray params) {
        if (params.rank() != 1 || params.length() != layout.size()) {
            throw new IllegalArgumentException("flat vector has " + params.length() + " values, layout needs "
                    + layout.size());
        }
        this.layout = layout;
        this.params = params;
        this.grads = Nd4j.zeros(params.dataType(), layout.size());
        for (ParameterLayout.Entry e : layout.entries()) {
            Param p = new Param(e.name(), view(params, e));
            p.bindGrad(view(grads, e));
            byName.put(e.name(), p);
        }
    }

    /** A group over {@code params} (shared, not copied). */
    public static ParameterGroup over(ParameterLayout layout, INDArray params) {
        return new ParameterGroup(layout, params);
    }

    /** A zero-filled group of the given data type. */
    public static ParameterGroup zeros(ParameterLayout layout, DataType dtype) {
        return new ParameterGroup(layout, Nd4j.zeros(dtype, Math.max(layout.size(), 0)));
    }

    static INDArray view(INDArray flat, ParameterLayout.Entry e) {
        return flat.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size())).reshape('c', e.shape());
    }

    public ParameterLayout layout() {
        return layout;
    }

    /** The live flat parameter vector [P]. */
    public INDArray parameters() {
        return params;
    }

    /** The live flat gradient vector [P]; backward passes add into it. */
    public INDArray gradients() {
        return grads;
    }

    public Param param(String name) {
        Param p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return p;
    }

    public void zeroGradients() {
        grads.assign(0);
    }

    /** Builds a layout tensor by tensor, assigning contiguous offsets. */
    public static final class LayoutBuilder {
        private final List<ParameterLayout.Entry> entries = new ArrayList<>();
        private long offset;

        public LayoutBuilder add(String name, boolean weightDecay, long... shape) {
            ParameterLayout.Entry e = new ParameterLayout.Entry(name, shape, offset, weightDecay);
            entries.add(e);
            offset += e.size();
            return this;
        }

        public ParameterLayout build() {
            return ParameterLayout.of(entries);
        }
    }
}
