package org.verbo.jobs.train;

import org.verbo.models.GpuDevices;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Binds a training task's thread to the GPU Spark assigned it: the address from {@code TaskContext.resources()} (what
 * scripts/gpu-discovery.sh printed: an nvidia-smi index or UUID) becomes a CUDA ordinal through the executor's
 * CUDA_VISIBLE_DEVICES ({@link GpuDevices#taskOrdinal}), never GPU 0 by default. On the CPU backend nothing happens.
 */
final class GpuBinding {
    private GpuBinding() {
    }

    /** Returns the address bound, with "(cpu backend)" when ND4J runs on the CPU. */
    static String bind(String[] addresses) {
        try {
            boolean bound = GpuDevices.bindTask(List.of(addresses));
            return String.join(",", addresses) + (bound ? "" : " (cpu backend)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind this task to GPU " + String.join(",", addresses) + ": "
                    + e.getMessage(), e);
        }
    }
}
