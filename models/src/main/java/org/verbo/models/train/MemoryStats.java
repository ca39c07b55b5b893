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

    /** Peak resident set size of the process seen by {@link #sample()} (the RSS at the sampled moments). */
    public long peakRssBytes() {
        return peakRss;
    }

    /**
     * Resets the kernel's high-water mark of this process's resident set ({@code VmHWM}) to the current RSS, so that
     * {@link #highWaterRssBytes()} reports the peak of what follows (Linux: {@code /proc/self/clear_refs}, value 5).
     * Returns false where that is not possible (not Linux, or not allowed); the high-water mark then covers the
     * whole process life.
     */
    public static boolean resetHighWaterRss() {
        try {
            java.nio.file.Files.writeString(java.nio.file.Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /**
     * The true peak resident set of this process since start or the last {@link #resetHighWaterRss()}: Linux's
     * {@code VmHWM}, which catches short spikes between samples (what {@code getrusage}'s {@code ru_maxrss} reports for
     * a PyTorch process); -1 where {@code /proc} is missing.
     */
    public static long highWaterRssBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;   // kB
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
