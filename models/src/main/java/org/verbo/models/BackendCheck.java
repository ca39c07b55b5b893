package org.verbo.models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.concurrent.TimeUnit;

/**
 * Decides, before ND4J initialises, whether the ND4J backend on the classpath can run here. ND4J 1.0.0-M2.1's
 * CUDA backend ({@code nd4j-cuda-11.6}, Maven profile {@code cuda}) ships kernels for compute capability 3.7 to 8.6;
 * on a newer GPU (Hopper 9.0, Blackwell 10.x/12.x) it would fail at the first kernel launch. So:
 * <ul>
 *   <li>CPU backend only: reports the CPU, nothing else to do;</li>
 *   <li>CUDA backend and a supported GPU: reports the GPU;</li>
 *   <li>CUDA backend and an unsupported or absent GPU: throws {@link UnsupportedGpuException} with one line naming
 *       the GPU, its compute capability and the supported range; or, when the user asked for a CPU fallback and
 *       {@code nd4j-native} is also on the classpath, hides the CUDA backend from ND4J's service loader so ND4J
 *       starts on the CPU.</li>
 * </ul>
 * Call {@link #check(boolean)} first thing in a main, before any ND4J class is touched. GPU facts come from
 * {@code nvidia-smi --query-gpu=name,compute_cap} (driver 510+), which needs no CUDA toolkit.
 */
public final class BackendCheck {
    public static final double MIN_COMPUTE_CAPABILITY = 3.7;
    public static final double MAX_COMPUTE_CAPABILITY = 8.6;
    static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";
    static final String CPU_BACKEND = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";
    static final String SERVICE = "META-INF/services/org.nd4j.linalg.factory.Nd4jBackend";

    private BackendCheck() {
    }

    /** The backend verbo will run on. */
    public record Result(String backend, String device, boolean fellBack) {
        public String line() {
            return "backend: " + backend + " (" + device + ")" + (fellBack ? " [CPU fallback requested]" : "");
        }
    }

    /** One GPU as nvidia-smi reports it. */
    public record Gpu(int index, String name, String computeCapability) {
        public boolean supported() {
            try {
                double cc = Double.parseDouble(computeCapability);
                return cc >= MIN_COMPUTE_CAPABILITY - 1e-9 && cc <= MAX_COMPUTE_CAPABILITY + 1e-9;
            } catch (NumberFormatException e) {
                return false;
            }
        }
    }

    /** The one-line refusal. */
    public static final class UnsupportedGpuException extends RuntimeException {
        public UnsupportedGpuException(String message) {
            super(message);
        }
    }

    public static Result check(boolean allowCpuFallback) {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        boolean cuda = present(CUDA_BACKEND, cl);
        boolean cpu = present(CPU_BACKEND, cl);
        if (!cuda) {
            return new Result("cpu", "ND4J nd4j-native on " + cpuName(), false);
        }
        String problem;
        List<Gpu> gpus;
        try {
            gpus = parseNvidiaSmi(runNvidiaSmi());
            problem = gpus.isEmpty() ? "no NVIDIA GPU is visible (nvidia-smi lists none)" : null;
        } catch (IOException e) {
            gpus = List.of();
            problem = "no NVIDIA GPU is visible (" + e.getMessage() + ")";
        }
        Gpu gpu = gpus.isEmpty() ? null : gpus.get(0);   // ND4J uses device 0 of CUDA_VISIBLE_DEVICES
        if (problem == null && !gpu.supported()) {
            problem = unsupportedMessage(gpu);
        }
        if (problem == null) {
            return new Result("cuda", "GPU " + gpu.index() + " " + gpu.name() + ", compute capability "
                    + gpu.computeCapability(), false);
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

    static String unsupportedMessage(Gpu gpu) {
        return String.format(Locale.ROOT, "GPU %d '%s' has compute capability %s, but ND4J 1.0.0-M2.1 CUDA kernels "
                        + "support %.1f to %.1f", gpu.index(), gpu.name(), gpu.computeCapability(), MIN_COMPUTE_CAPABILITY,
                MAX_COMPUTE_CAPABILITY);
    }

    /** Parses {@code nvidia-smi --query-gpu=index,name,compute_cap --format=csv,noheader} output. */
    static List<Gpu> parseNvidiaSmi(String csv) {
        List<Gpu> out = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",");
            if (f.length < 3) {
                continue;
            }
            try {
                out.add(new Gpu(Integer.parseInt(f[0].trim()), f[1].trim(), f[2].trim()));
            } catch (NumberFormatException ignored) {
                // not a data line
            }
        }
        return out;
    }

    private static String runNvidiaSmi() throws IOException {
        ProcessBuilder pb = new ProcessBuilder("nvidia-smi", "--query-gpu=index,name,compute_cap", "--format=csv,noheader");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroy();
                throw new IOException("nvidia-smi failed: " + new String(out, StandardCharsets.UTF_8).trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running nvidia-smi");
        }
        return new String(out, StandardCharsets.UTF_8);
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
