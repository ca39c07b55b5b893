package org.verbo.models.train;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Heap and off-heap memory, sampled; tracks peaks. Off-heap = ND4J's allocator (workspaces) + JavaCPP-tracked
 * buffers + the long-lived vectors the caller declares (parameters, gradients, optimizer state), which ND4J's
 * counters do not include.
 */
public final class MemoryStats {
    private final long longLivedBytes;
    private long peakHeap;
    private long peakOffHeap;
    private long peakRss;

    public MemoryStats(long longLivedBytes) {
        this.longLivedBytes = longLivedBytes;
    }

    public void sample() {
        Runtime rt = Runtime.getRuntime();
        peakHeap = Math.max(peakHeap, rt.totalMemory() - rt.freeMemory());
        long nd4j;
        try {
            nd4j = Nd4j.getMemoryManager().allocatedMemory(0);
        } catch (RuntimeException e) {
            nd4j = 0;
        }
        peakOffHeap = Math.max(peakOffHeap, nd4j + Pointer.totalBytes() + longLivedBytes);
        peakRss = Math.max(peakRss, Pointer.physicalBytes());
    }

    /** Peak used Java heap bytes seen by {@link #sample()}. */
    public long peakHeapBytes() {
        return peakHeap;
    }

    /** Peak off-heap bytes (see class comment). */
    public long peakOffHeapBytes() {
        return peakOffHeap;
    }

    /** Peak resident set size of the process. */
    public long peakRssBytes() {
        return peakRss;
    }
}
