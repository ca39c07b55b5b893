package org.verbo.models.train;

import org.verbo.models.ModelConfig;
import org.verbo.models.ParameterLayout;

/**
 * What one trainer needs, estimated from the model and batch shape before anything is allocated, so a cluster run
 * can stop at start with one line instead of losing executors to the kernel's OOM killer after minutes.
 * <ul>
 *   <li>off-heap (ND4J through JavaCPP): parameters, gradients and optimizer state (float32), plus the step
 *       workspace: per layer the activations kept for backward, about B T (10 C + 4 F) floats, and the attention
 *       probabilities and their gradient, 2 B H T² floats; plus the logits and their gradient, 2 B T V floats;</li>
 *   <li>heap: the float[] copies a task holds at once (parameters in, parameters out, the optimizer state out) and
 *       the encoded delta.</li>
 * </ul>
 * docs/DISTRIBUTED.md compares the estimate with the measured peaks; it errs on the high side.
 */
public record MemoryEstimate(long offHeapBytes, long heapBytes) {

    public static MemoryEstimate of(ModelConfig m, TrainConfig t) {
        long p = m.parameterCount();
        long state = Optimizer.stateSize(t.optimizer(), ParameterLayout.of(m));
        long b = t.microBatchSize();
        long tl = m.contextLength();
        long perLayer = b * tl * (10L * m.hiddenSize() + 4L * m.ffnSize()) + 2L * b * m.numHeads() * tl * tl;
        long workspace = m.numLayers() * perLayer + 2L * b * tl * m.vocabSize();
        long offHeap = 4L * (2 * p + state + workspace);
        long heap = 4L * (3 * p + state);
        return new MemoryEstimate(offHeap, heap);
    }

    public long offHeapMiB() {
        return (offHeapBytes + (1 << 20) - 1) >> 20;
    }

    public long heapMiB() {
        return (heapBytes + (1 << 20) - 1) >> 20;
    }
}
