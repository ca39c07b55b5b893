package org.verbo.models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Decides, before ND4J initialises, whether the ND4J backend on the classpath can run here. ND4J 1.0.0-M2.1's
 * CUDA backend ({@code nd4j-cuda-11.6}, Maven profile {@code cuda}) ships cubins (compiled kernels) for
 * {@link #SHIPPED_CUBINS} and no PTX, so the driver cannot JIT-compile kernels for a newer architecture. A cubin
 * built for sm_XY runs on compute capability X.Y and later minors of the same major X (CUDA C Programming Guide,
 * "Binary Compatibility"), so 3.7, 5.x, 6.x, 7.x and 8.0-8.9 (8.7 Orin, 8.9 Ada: L4, L40, RTX 40xx) run; Hopper 9.0,
 * Blackwell 10.x/12.x and anything below 3.7 fail at the first kernel launch. So:
 * <ul>
 *   <li>CPU backend only: reports the CPU, nothing else to do;</li>
 *   <li>CUDA backend and supported GPUs: reports the GPUs CUDA will use;</li>
 *   <li>CUDA backend and an unsupported or absent GPU: throws {@link UnsupportedGpuException} with one line naming
 *       the GPU, its compute capability and the rule; or, when the user asked for a CPU fallback and
 *       {@code nd4j-native} is also on the classpath, hides the CUDA backend from ND4J's service loader so ND4J
 *       starts on the CPU.</li>
 * </ul>
 * "The GPUs CUDA will use" are all GPUs {@code CUDA_VISIBLE_DEVICES} leaves visible ({@link GpuDevices#visibleGpus}):
 * ND4J spreads threads over every visible device, so every one must be able to run the kernels.
 * Call {@link #check(boolean)} first thing in a main, before any ND4J class is touched. GPU facts come from
 * {@link GpuDevices#NVIDIA_SMI_COMMAND} (driver 510+), which needs no CUDA toolkit.
 */
public final class BackendCheck {
    /** The real architectures nd4j-cuda-11.6 1.0.0-M2.1 was compiled for ({@code -gencode arch=compute_XY,code=sm_XY}). */
    public static final List<String> SHIPPED_CUBINS =
            List.of("sm_37", "sm_50", "sm_52", "sm_60", "sm_61", "sm_70", "sm_75", "sm_80", "sm_86");
    static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";
    static final String CPU_BACKEND = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";
    static final String SERVICE = "META-INF/services/org.nd4j.linalg.factory.Nd4jBackend";

    private BackendCheck() {
    }

    /** The backend verbo will run on. */
    public record Result(String backend, String device, boolean fellBack) {
        public Result {
            if (!"cpu".equals(backend) && !"cuda".equals(backend)) {
                throw new IllegalArgumentException("backend must be cpu or cuda, got " + backend);
            }
            if (device == null || device.isBlank()) {
                throw new IllegalArgumentException("device must be described");
            }
        }

        public String line() {
            return "backend: " + backend + " (" + device + ")" + (fellBack ? " [CPU fallback requested]" : "");
        }
    }

    /** The one-line refusal. */
    public static final class UnsupportedGpuException extends RuntimeException {
        public UnsupportedGpuException(String message) {
            super(message);
        }
    }

    /**
     * Whether a shipped cubin runs on compute capability {@code "X.Y"} (as nvidia-smi prints it): some sm_XZ with the
     * same major X and Z <= Y. Anything that is not "major.minor" ("[N/A]") is not known to run.
     */
    public static boolean runsOn(String computeCapability) {
        int[] cc = majorMinor(computeCapability);
        if (cc == null) {
            return false;
        }
        for (String cubin : SHIPPED_CUBINS) {
            int[] sm = cubin(cubin);
            if (sm[0] == cc[0] && sm[1] <= cc[1]) {
                return true;
            }
        }
        return false;
    }

    public static Result check(boolean allowCpuFallback) {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        boolean cuda = present(CUDA_BACKEND, cl);
        boolean cpu = present(CPU_BACKEND, cl);
        if (!cuda) {
            return new Result("cpu", "ND4J nd4j-native on " + cpuName(), false);
        }
        String visibleDevices = System.getenv(GpuDevices.CUDA_VISIBLE_DEVICES);
        String problem;
        List<GpuDevices.Gpu> visible = List.of();
        try {
            List<GpuDevices.Gpu> all = GpuDevices.listGpus();
            visible = GpuDevices.visibleGpus(visibleDevices, all);
            problem = problem(visible, visibleDevices, all.size());
        } catch (IOException | IllegalArgumentException e) {
            problem = "cannot tell which NVIDIA GPU CUDA would use (" + e.getMessage() + ")";
        }
        if (problem == null) {
            return new Result("cuda", describeVisible(visible, System.getenv(GpuDevices.CUDA_DEVICE_ORDER)), false);
        }
        if (!allowCpuFallback) {
            throw new UnsupportedGpuException(problem + "; rerun with --cpu-fallback to train on the CPU, or use the "
                    + "default (CPU) build");
        }
        if (!cpu) {
            throw new UnsupportedGpuException(problem + "; a CPU fallback was requested but nd4j-native is not on the "
                    + "classpath of this (CUDA) build");
        }
        ClassLoader hidden = new CudaHidingClassLoader(cl);
        Thread.currentThread().setContextClassLoader(hidden);
        org.nd4j.common.config.ND4JClassLoading.setNd4jClassloader(hidden);
        return new Result("cpu", "ND4J nd4j-native on " + cpuName() + "; " + problem, true);
    }

    /** Why the CUDA backend cannot run on the {@code visible} GPUs, or null when it can. */
    static String problem(List<GpuDevices.Gpu> visible, String cudaVisibleDevices, int listed) {
        if (visible.isEmpty()) {
            return listed == 0 ? "no NVIDIA GPU is visible (nvidia-smi lists none)"
                    : "no NVIDIA GPU is visible to CUDA (" + GpuDevices.CUDA_VISIBLE_DEVICES + "='" + cudaVisibleDevices
                    + "' selects none of the " + listed + " GPUs nvidia-smi lists)";
        }
        for (GpuDevices.Gpu gpu : visible) {
            if (!runsOn(gpu.computeCapability())) {
                return unsupportedMessage(gpu);
            }
        }
        return null;
    }

    /**
     * The device part of the result line. With several GPUs it also says when CUDA's numbering may differ from the
     * (PCI) order shown: without CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA numbers them fastest first.
     */
    static String describeVisible(List<GpuDevices.Gpu> visible, String cudaDeviceOrder) {
        String gpus = visible.stream().map(g -> g.label() + ", compute capability " + g.computeCapability())
                .collect(Collectors.joining("; "));
        if (visible.size() == 1) {
            return gpus;
        }
        String line = visible.size() + " GPUs: " + gpus;
        if (!GpuDevices.PCI_BUS_ID.equals(cudaDeviceOrder)) {
            line += " [CUDA_DEVICE_ORDER is not PCI_BUS_ID, so CUDA numbers these GPUs fastest first, not in this "
                    + "order; verbo's Spark GPU settings (conf/cluster-gpu.conf) set CUDA_DEVICE_ORDER=PCI_BUS_ID "
                    + "on executors]";
        }
        return line;
    }

    static String unsupportedMessage(GpuDevices.Gpu gpu) {
        String first = SHIPPED_CUBINS.get(0);
        String last = SHIPPED_CUBINS.get(SHIPPED_CUBINS.size() - 1);
        int[] low = cubin(first);
        int[] high = cubin(last);
        // Minors are one digit in every compute capability NVIDIA has shipped, so ".9" closes the last major.
        return String.format(Locale.ROOT, "%s has compute capability %s, but ND4J 1.0.0-M2.1 CUDA kernels (cubins "
                        + "%s..%s, no PTX) run on compute capability %d.%d-%d.9 (same major version), not %s",
                gpu.label(), gpu.computeCapability(), first, last, low[0], low[1], high[0], gpu.computeCapability());
    }

    /** "sm_86" -> {8, 6}; the last digit is the minor (sm_100 is 10.0). */
    private static int[] cubin(String sm) {
        String digits = sm.substring("sm_".length());
        return new int[]{Integer.parseInt(digits.substring(0, digits.length() - 1)),
                Integer.parseInt(digits.substring(digits.length() - 1))};
    }

    private static int[] majorMinor(String computeCapability) {
        String[] parts = computeCapability.trim().split("\\.");
        if (parts.length != 2 || !parts[0].matches("[0-9]{1,3}") || !parts[1].matches("[0-9]{1,3}")) {
            return null;
        }
        return new int[]{Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }

    private static boolean present(String cls, ClassLoader cl) {
        try {
            Class.forName(cls, false, cl);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    static String cpuName() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim() + ", " + Runtime.getRuntime().availableProcessors() + " cores";
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }

    /** Hides ND4J backend service entries that name the CUDA backend, so ND4J's loader picks nd4j-native. */
    static final class CudaHidingClassLoader extends ClassLoader {
        CudaHidingClassLoader(ClassLoader parent) {
            super(parent);
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            Enumeration<URL> all = super.getResources(name);
            if (!SERVICE.equals(name)) {
                return all;
            }
            List<URL> kept = new ArrayList<>();
            for (URL u : Collections.list(all)) {
                if (!mentions(u, "jcublas")) {
                    kept.add(u);
                }
            }
            return Collections.enumeration(kept);
        }

        private static boolean mentions(URL u, String word) throws IOException {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(u.openStream(), StandardCharsets.UTF_8))) {
                return r.lines().anyMatch(l -> !l.startsWith("#") && l.contains(word));
            }
        }
    }

    /**
     * Prints the backend line. Exit 0 when usable, 3 when the GPU is unsupported (one line on stderr).
     * Usage: BackendCheck [--cpu-fallback]
     */
    public static void main(String[] args) {
        boolean fallback = args.length > 0 && args[0].equals("--cpu-fallback");
        try {
            System.out.println(check(fallback).line());
        } catch (UnsupportedGpuException e) {
            System.err.println(e.getMessage());
            System.exit(3);
        }
    }
}
