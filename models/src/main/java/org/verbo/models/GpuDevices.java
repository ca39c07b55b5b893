package org.verbo.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Which CUDA device a Spark task must drive. Three numberings meet here:
 * <ul>
 *   <li>nvidia-smi (NVML) numbers GPUs in PCI bus order; Spark's discovery script ({@code scripts/gpu-discovery.sh})
 *       prints those indexes, so {@code TaskContext.resources().get("gpu").addresses()} holds them (or, with
 *       another script, GPU UUIDs);</li>
 *   <li>{@code CUDA_VISIBLE_DEVICES} (set by YARN, Kubernetes or the user) selects and reorders GPUs: CUDA device
 *       ordinal {@code k} is its {@code k}-th entry;</li>
 *   <li>without {@code CUDA_VISIBLE_DEVICES}, CUDA numbers all GPUs fastest first unless
 *       {@code CUDA_DEVICE_ORDER=PCI_BUS_ID}, which {@code conf/cluster-gpu.conf} sets on executors so that CUDA's
 *       order is nvidia-smi's.</li>
 * </ul>
 * (CUDA C Programming Guide, "CUDA Environment Variables".) ND4J's CUDA backend spreads new threads over all visible
 * devices round-robin, so a task that does not bind its thread may land on another task's GPU; {@link #bindTask}
 * binds it. The choice itself ({@link #cudaOrdinal}, {@link #taskOrdinal}) is pure and loads no ND4J class.
 */
public final class GpuDevices {
    /** The query both {@link BackendCheck} and the discovery script use; needs driver 510+ for compute_cap. */
    public static final List<String> NVIDIA_SMI_COMMAND = List.of("nvidia-smi",
            "--query-gpu=index,pci.bus_id,uuid,name,compute_cap", "--format=csv,noheader");
    static final String CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";
    static final String CUDA_DEVICE_ORDER = "CUDA_DEVICE_ORDER";
    static final String PCI_BUS_ID = "PCI_BUS_ID";

    private GpuDevices() {
    }

    /** One GPU as nvidia-smi lists it; {@code index} is nvidia-smi's, i.e. its rank in PCI bus order. */
    public record Gpu(int index, String pciBusId, String uuid, String name, String computeCapability) {
        public Gpu {
            if (index < 0) {
                throw new IllegalArgumentException("GPU index must be >= 0, got " + index);
            }
            if (pciBusId == null || pciBusId.isBlank()) {
                throw new IllegalArgumentException("GPU " + index + " has no PCI bus id");
            }
            if (uuid == null || !uuid.startsWith("GPU-")) {
                throw new IllegalArgumentException("GPU " + index + " has no 'GPU-…' UUID: " + uuid);
            }
            if (name == null || computeCapability == null) {
                throw new IllegalArgumentException("GPU " + index + " lacks a name or a compute capability");
            }
        }

        /** "GPU 2 'NVIDIA A10' (PCI 00000000:17:00.0)": how messages name a GPU. */
        public String label() {
            return "GPU " + index + " '" + name + "' (PCI " + pciBusId + ")";
        }
    }

    /**
     * Parses the output of {@link #NVIDIA_SMI_COMMAND}: lines "index, pci.bus_id, uuid, name, compute_cap".
     * A line that does not parse is an error rather than skipped: skipping it would hide a GPU.
     */
    public static List<Gpu> parseNvidiaSmi(String csv) {
        List<Gpu> out = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",");
            if (f.length < 5) {
                throw new IllegalArgumentException("unexpected nvidia-smi line (want index, pci.bus_id, uuid, name, "
                        + "compute_cap): " + line.trim());
            }
            // The name sits between fixed fields; join the middle back in case a product name ever holds a comma.
            String name = String.join(",", List.of(f).subList(3, f.length - 1)).trim();
            try {
                out.add(new Gpu(Integer.parseInt(f[0].trim()), f[1].trim(), f[2].trim(), name, f[f.length - 1].trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("unexpected nvidia-smi line (index is not a number): " + line.trim());
            }
        }
        return List.copyOf(out);
    }

    /** Runs {@link #NVIDIA_SMI_COMMAND} (no CUDA toolkit needed) and parses it. */
    public static List<Gpu> listGpus() throws IOException {
        Process p = new ProcessBuilder(NVIDIA_SMI_COMMAND).start();
        byte[] out;
        byte[] err;
        try (InputStream o = p.getInputStream(); InputStream e = p.getErrorStream()) {
            out = o.readAllBytes();
            err = e.readAllBytes();
        }
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroy();
                String why = (new String(err, StandardCharsets.UTF_8) + new String(out, StandardCharsets.UTF_8)).trim();
                throw new IOException("nvidia-smi failed: " + why);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running nvidia-smi");
        }
        return parseNvidiaSmi(new String(out, StandardCharsets.UTF_8));
    }

    /**
     * The GPUs CUDA enumerates, in CUDA ordinal order, assuming {@code CUDA_DEVICE_ORDER=PCI_BUS_ID} (so an index
     * entry means the nvidia-smi index). {@code null} (unset) means all GPUs in PCI order; a set but empty value
     * hides every GPU, as in CUDA. Entries are indexes or "GPU-…" UUID prefixes; like CUDA, the list ends at the
     * first entry that names no GPU (an index out of range, an unknown or ambiguous UUID prefix, "-1"). A GPU
     * already listed also ends it: one GPU is never two CUDA devices.
     *
     * @throws IllegalArgumentException for a "MIG-…" entry: nvidia-smi --query-gpu lists whole GPUs, not MIG
     *                                  instances, so their position and compute capability cannot be checked here
     */
    public static List<Gpu> visibleGpus(String cudaVisibleDevices, List<Gpu> gpus) {
        List<Gpu> pciOrder = gpus.stream().sorted((a, b) -> Integer.compare(a.index(), b.index())).toList();
        if (cudaVisibleDevices == null) {
            return pciOrder;
        }
        List<Gpu> visible = new ArrayList<>();
        for (String raw : cudaVisibleDevices.split(",", -1)) {
            String entry = raw.trim();
            if (entry.startsWith("MIG-")) {
                throw new IllegalArgumentException(CUDA_VISIBLE_DEVICES + " names MIG instance " + entry
                        + "; verbo resolves only whole GPUs (indexes or GPU-… UUIDs)");
            }
            Gpu gpu = resolve(entry, pciOrder);
            if (gpu == null || visible.contains(gpu)) {
                break;
            }
            visible.add(gpu);
        }
        return List.copyOf(visible);
    }

    /**
     * The CUDA ordinal a task assigned {@code addresses} must bind to: the position of the first address's GPU
     * among {@link #visibleGpus the visible ones}. Addresses are nvidia-smi indexes or "GPU-…" UUID (prefixes).
     * A task given several GPUs ({@code spark.task.resource.gpu.amount} > 1) drives only the first: verbo runs one
     * ND4J trainer per task, and a trainer drives one device.
     *
     * @throws IllegalArgumentException when no address was given (never falls back to GPU 0, which may be another
     *                                  task's), when an address names no GPU, or when its GPU is not visible to
     *                                  this executor
     */
    public static int cudaOrdinal(List<String> addresses, String cudaVisibleDevices, List<Gpu> gpus) {
        if (addresses == null || addresses.isEmpty()) {
            throw new IllegalArgumentException("no GPU address was assigned to this task (is "
                    + "spark.task.resource.gpu.amount set?); refusing to guess GPU 0, which may be another task's");
        }
        String address = addresses.get(0) == null ? "" : addresses.get(0).trim();
        Gpu gpu = resolve(address, gpus);
        if (gpu == null) {
            throw new IllegalArgumentException("GPU address '" + address + "' names none of the GPUs nvidia-smi lists: "
                    + describe(gpus));
        }
        List<Gpu> visible = visibleGpus(cudaVisibleDevices, gpus);
        int ordinal = visible.indexOf(gpu);
        if (ordinal < 0) {
            throw new IllegalArgumentException("GPU address '" + address + "' is " + gpu.label()
                    + ", which is not visible to this executor: " + CUDA_VISIBLE_DEVICES + "='" + cudaVisibleDevices
                    + "' lets CUDA see " + (visible.isEmpty() ? "no GPU" : describe(visible)));
        }
        return ordinal;
    }

    /**
     * {@link #cudaOrdinal} with the two CUDA variables read from {@code env} (a task passes {@code System.getenv()}).
     * Refuses when several GPUs are visible and {@code CUDA_DEVICE_ORDER} is not {@code PCI_BUS_ID}: CUDA would then
     * number them fastest first, an order nvidia-smi does not show, and the ordinal could name another task's GPU.
     */
    public static int taskOrdinal(List<String> addresses, Map<String, String> env, List<Gpu> gpus) {
        String visibleDevices = env.get(CUDA_VISIBLE_DEVICES);
        int ordinal = cudaOrdinal(addresses, visibleDevices, gpus);
        int visible = visibleGpus(visibleDevices, gpus).size();
        if (visible > 1 && !PCI_BUS_ID.equals(env.get(CUDA_DEVICE_ORDER))) {
            throw new IllegalArgumentException(visible + " GPUs are visible to this executor but " + CUDA_DEVICE_ORDER
                    + " is not " + PCI_BUS_ID + ", so CUDA's device order is unknown here; set "
                    + "spark.executorEnv." + CUDA_DEVICE_ORDER + "=" + PCI_BUS_ID + " (conf/cluster-gpu.conf does)");
        }
        return ordinal;
    }

    /**
     * Binds the calling thread to CUDA device {@code ordinal} when ND4J runs on its CUDA backend, and returns true;
     * on the CPU backend does nothing and returns false. ND4J's CUDA affinity is per thread, so call this on the
     * thread that trains, before it allocates arrays; threads it starts need their own call.
     */
    public static boolean bindCurrentThread(int ordinal) {
        if (ordinal < 0) {
            throw new IllegalArgumentException("CUDA ordinal must be >= 0, got " + ordinal);
        }
        if (!cudaBackend()) {
            return false;
        }
        org.nd4j.linalg.api.concurrency.AffinityManager affinity = org.nd4j.linalg.factory.Nd4j.getAffinityManager();
        int devices = affinity.getNumberOfDevices();
        if (ordinal >= devices) {
            throw new IllegalArgumentException("CUDA ordinal " + ordinal + " but ND4J sees " + devices + " device(s)");
        }
        affinity.unsafeSetDevice(ordinal);
        return true;
    }

    /**
     * What a Spark task calls first: on the CUDA backend, binds the thread to the GPU Spark assigned
     * ({@code TaskContext.get().resources().get("gpu").addresses()}) and returns true; on the CPU backend returns
     * false without running nvidia-smi.
     */
    public static boolean bindTask(List<String> addresses) throws IOException {
        if (!cudaBackend()) {
            return false;
        }
        return bindCurrentThread(taskOrdinal(addresses, System.getenv(), listGpus()));
    }

    private static boolean cudaBackend() {
        return org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getName().equals(BackendCheck.CUDA_BACKEND);
    }

    /** An index names the GPU with that nvidia-smi index; "GPU-…" a UUID or a prefix naming exactly one GPU. */
    private static Gpu resolve(String entry, List<Gpu> gpus) {
        if (entry.matches("[0-9]{1,9}")) {
            int index = Integer.parseInt(entry);
            return gpus.stream().filter(g -> g.index() == index).findFirst().orElse(null);
        }
        if (entry.startsWith("GPU-")) {
            List<Gpu> hits = gpus.stream().filter(g -> g.uuid().startsWith(entry)).toList();
            return hits.size() == 1 ? hits.get(0) : null;
        }
        return null;
    }

    static String describe(List<Gpu> gpus) {
        return gpus.isEmpty() ? "none" : gpus.stream().map(g -> g.index() + " " + g.uuid())
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
