package org.verbo.models.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.verbo.models.ParameterLayout;

/**
 * An optimizer over the flat parameter vector. Its whole state is one flat vector {@link #state()} whose layout is
 * fixed by the optimizer kind and the {@link ParameterLayout}, so it can be checkpointed, shipped between JVMs and
 * averaged by the distributed trainer.
 */
public interface Optimizer {

    TrainConfig.OptimizerKind kind();

    /**
     * One update. {@code t} is the 1-based optimizer step (Adam bias correction); grads are already clipped.
     */
    void step(INDArray params, INDArray grads, double lr, long t);

    /** The live flat state vector. */
    INDArray state();

    /** Bytes held by the state (what the paper's memory comparison counts). */
    default long stateBytes() {
        return state().length() * state().dataType().width();
    }

    /** Human-readable description of the state layout. */
    String stateLayout();

    static Optimizer create(TrainConfig c, ParameterLayout layout, DataType dtype) {
        return switch (c.optimizer()) {
            case ADAMW -> new AdamW(layout, dtype, c.beta1(), c.beta2(), c.eps(), c.weightDecay(), c.decayAll());
            case SGD_SAI -> new SgdSai(layout, dtype, c.momentum(), c.eps(), c.weightDecay(), c.decayAll());
        };
    }

    /** Number of scalars in the state of this optimizer kind. */
    static long stateSize(TrainConfig.OptimizerKind kind, ParameterLayout layout) {
        return switch (kind) {
            case ADAMW -> 2 * layout.size();
            case SGD_SAI -> layout.size() + layout.tensorCount();
        };
    }
}
