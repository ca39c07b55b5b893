package org.verbo.models;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendCheckTest {
    // Literal nvidia-smi --query-gpu=index,pci.bus_id,uuid,name,compute_cap --format=csv,noheader output.
    private static final String TWO_A10_AND_H100 = """
            0, 00000000:17:00.0, GPU-11111111-aaaa-bbbb-cccc-000000000000, NVIDIA A10, 8.6
            1, 00000000:65:00.0, GPU-22222222-aaaa-bbbb-cccc-000000000000, NVIDIA H100 80GB HBM3, 9.0
            2, 00000000:CA:00.0, GPU-33333333-aaaa-bbbb-cccc-000000000000, NVIDIA A10, 8.6
            """;

    @Test
    void cpuBuildReportsTheCpu() {
        BackendCheck.Result r = BackendCheck.check(false);
        assertEquals("cpu", r.backend());
        assertFalse(r.fellBack());
        assertTrue(r.line().startsWith("backend: cpu (ND4J nd4j-native on "), r.line());
    }

    /**
     * Facts, not the implementation's list: a GPU runs the kernels iff nd4j-cuda-11.6 1.0.0-M2.1 ships a cubin of
     * the same major and a minor at most the GPU's (cubins sm_37/50/52/60/61/70/75/80/86, no PTX).
     */
    @ParameterizedTest(name = "{0} ({1}) runs: {2}")
    @CsvSource({
            "Tesla K20, 3.5, false",
            "Tesla K80, 3.7, true",
            "Jetson Nano (Maxwell), 5.3, true",
            "GTX 1080, 6.1, true",
            "Tesla T4, 7.5, true",
            "A10, 8.6, true",
            "Jetson AGX Orin, 8.7, true",
            "L4, 8.9, true",
            "H100, 9.0, false",
            "B200, 10.0, false",
            "RTX 5090, 12.0, false",
            "no capability reported, [N/A], false",
    })
    void kernelsRunOnTheSameMajorFromTheShippedMinorUp(String gpu, String computeCapability, boolean runs) {
        assertEquals(runs, BackendCheck.runsOn(computeCapability), gpu);
    }

    @Test
    void refusalNamesTheGpuAndStatesTheRule() {
        GpuDevices.Gpu h100 = GpuDevices.parseNvidiaSmi(TWO_A10_AND_H100).get(1);
        assertEquals("GPU 1 'NVIDIA H100 80GB HBM3' (PCI 00000000:65:00.0) has compute capability 9.0, but ND4J "
                + "1.0.0-M2.1 CUDA kernels (cubins sm_37..sm_86, no PTX) run on compute capability 3.7-8.9 (same major "
                + "version), not 9.0", BackendCheck.unsupportedMessage(h100));
    }

    @Test
    void checksEveryGpuCudaCanSeeAndOnlyThose() {
        List<GpuDevices.Gpu> all = GpuDevices.parseNvidiaSmi(TWO_A10_AND_H100);
        // Unset: all three visible, and ND4J may put a thread on the H100.
        String unset = BackendCheck.problem(GpuDevices.visibleGpus(null, all), null, 3);
        assertTrue(unset != null && unset.startsWith("GPU 1 'NVIDIA H100 80GB HBM3'"), unset);
        // The two A10s only: runs, although the H100 sits between them in PCI order.
        assertNull(BackendCheck.problem(GpuDevices.visibleGpus("2,0", all), "2,0", 3));
        // A UUID prefix selecting the H100 alone.
        String h100 = BackendCheck.problem(GpuDevices.visibleGpus("GPU-2222", all), "GPU-2222", 3);
        assertTrue(h100 != null && h100.startsWith("GPU 1 "), h100);
        // The H100 after an invalid entry is not visible: CUDA stops at the invalid one.
        assertNull(BackendCheck.problem(GpuDevices.visibleGpus("0,7,1", all), "0,7,1", 3));
        assertEquals("no NVIDIA GPU is visible to CUDA (CUDA_VISIBLE_DEVICES='' selects none of the 3 GPUs "
                + "nvidia-smi lists)", BackendCheck.problem(GpuDevices.visibleGpus("", all), "", 3));
        assertEquals("no NVIDIA GPU is visible (nvidia-smi lists none)", BackendCheck.problem(List.of(), null, 0));
    }

    @Test
    void resultLineWarnsAboutCudaOrderOnlyForSeveralGpusWithoutPciBusOrder() {
        List<GpuDevices.Gpu> all = GpuDevices.parseNvidiaSmi(TWO_A10_AND_H100);
        List<GpuDevices.Gpu> a10s = GpuDevices.visibleGpus("0,2", all);
        assertEquals("GPU 2 'NVIDIA A10' (PCI 00000000:CA:00.0), compute capability 8.6",
                BackendCheck.describeVisible(GpuDevices.visibleGpus("2", all), null));
        assertEquals("2 GPUs: GPU 0 'NVIDIA A10' (PCI 00000000:17:00.0), compute capability 8.6; GPU 2 'NVIDIA A10' "
                + "(PCI 00000000:CA:00.0), compute capability 8.6", BackendCheck.describeVisible(a10s, "PCI_BUS_ID"));
        String unordered = BackendCheck.describeVisible(a10s, null);
        assertTrue(unordered.endsWith("[CUDA_DEVICE_ORDER is not PCI_BUS_ID, so CUDA numbers these GPUs fastest "
                + "first, not in this order; verbo's Spark GPU settings (conf/cluster-gpu.conf) set "
                + "CUDA_DEVICE_ORDER=PCI_BUS_ID on executors]"), unordered);
        assertEquals(unordered, BackendCheck.describeVisible(a10s, "FASTEST_FIRST"));
    }

    @Test
    void resultRejectsAnUnknownBackend() {
        assertThrows(IllegalArgumentException.class, () -> new BackendCheck.Result("rocm", "MI300", false));
    }

    /**
     * ND4J finds its backends through {@code java.util.ServiceLoader}; nd4j-cuda's jar registers
     * {@code org.nd4j.linalg.jcublas.JCublasBackend} (names from ND4J, not from BackendCheck). The CPU build has no
     * such jar, so one is planted on a child class path: the plain loader sees both entries, the hiding one only
     * nd4j-native's.
     */
    @Test
    void fallbackLoaderHidesOnlyTheCudaBackendEntry(@TempDir Path fakeCudaJar) throws Exception {
        String service = "META-INF/services/org.nd4j.linalg.factory.Nd4jBackend";
        Path entry = fakeCudaJar.resolve(service);
        Files.createDirectories(entry.getParent());
        Files.writeString(entry, "# nd4j-cuda-11.6\norg.nd4j.linalg.jcublas.JCublasBackend\n");
        try (URLClassLoader withCuda = new URLClassLoader(new URL[] {fakeCudaJar.toUri().toURL()}, getClass().getClassLoader())) {
            List<URL> all = Collections.list(withCuda.getResources(service));
            assertEquals(2, all.size(), all.toString());
            List<URL> kept = Collections.list(new BackendCheck.CudaHidingClassLoader(withCuda).getResources(service));
            assertEquals(1, kept.size(), kept.toString());
            assertTrue(kept.get(0).toString().contains("nd4j-native"), kept.toString());
        }
    }
}
