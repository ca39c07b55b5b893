package org.verbo.jobs.train;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.models.BackendCheck;

import java.net.InetAddress;

/**
 * What an executor JVM checks and sets once, at its first training task: that the ND4J backend loads here (the
 * classic failure of deep-learning jobs on Spark is a native library that loads on the driver and not on the
 * executors; here it fails the task at once with one line naming the executor, and Spark's retries on other
 * executors fail as fast), and the process-wide thread counts of ND4J and its BLAS, set to the cores Spark gives a
 * task ({@code spark.task.cpus}) so that concurrent tasks of one executor never oversubscribe it. The SIMD kernels'
 * budget is per thread (set by each task). BLAS GEMM splits its work over rows and columns of the output, never the
 * inner dimension, so its thread count does not change results.
 */
public final class ExecutorSetup {
    /** The one line a failed backend gives; the driver recognises it and prints it alone. */
    static final String BACKEND_FAILURE = "ND4J cannot start on executor";
    private static volatile String failure;
    private static volatile int threads;

    private ExecutorSetup() {
    }

    public static synchronized void ensure(boolean cpuFallback, int cpus) {
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        if (threads == cpus) {
            return;
        }
        try {
            BackendCheck.check(cpuFallback);
            Nd4j.getBackend();
            Nd4j.create(1).close();
            Nd4j.factory().blas().setMaxThreads(cpus);
            Nd4j.getEnvironment().setMaxThreads(cpus);
            threads = cpus;
        } catch (Throwable t) {   // UnsatisfiedLinkError, NoClassDefFoundError, UnsupportedGpuException, ...
            Throwable root = t;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            failure = BACKEND_FAILURE + " " + executor() + ": " + root.getClass().getSimpleName() + ": " + root.getMessage()
                    + " (check the nd4j-native classifier for this OS/CPU, or the CUDA build and driver)";
            throw new IllegalStateException(failure, t);
        }
    }

    /**
     * Binds this task's thread to the GPU Spark assigned it ({@code spark.task.resource.gpu.amount}) when the CUDA
     * backend runs; returns the assigned address, or "" without GPU scheduling.
     */
    public static String bindGpu(TaskContext ctx) {
        if (ctx == null) {
            return "";
        }
        ResourceInformation gpu = ctx.resourcesJMap().get("gpu");
        if (gpu == null || gpu.addresses().length == 0) {
            return "";
        }
        return GpuBinding.bind(gpu.addresses());
    }

    private static String executor() {
        String id = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "?";
        }
        return id + " (" + host + ")";
    }
}
