package org.verbo.models;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GpuDevicesTest {
    // Literal output of nvidia-smi --query-gpu=index,pci.bus_id,uuid,name,compute_cap --format=csv,noheader on a
    // four-T4 host (indexes are PCI bus order).
    private static final String FOUR_T4 = """
            0, 00000000:18:00.0, GPU-0a1b2c3d-0000-1111-2222-333333333333, Tesla T4, 7.5
            1, 00000000:3B:00.0, GPU-1a1b2c3d-0000-1111-2222-333333333333, Tesla T4, 7.5
            2, 00000000:86:00.0, GPU-2a1b2c3d-0000-1111-2222-333333333333, Tesla T4, 7.5
            3, 00000000:AF:00.0, GPU-3a1b2c3d-0000-1111-2222-333333333333, Tesla T4, 7.5
            """;
    private static final List<GpuDevices.Gpu> GPUS = GpuDevices.parseNvidiaSmi(FOUR_T4);

    @Test
    void parsesEveryFieldOfTheQuery() {
        assertEquals(4, GPUS.size());
        assertEquals(new GpuDevices.Gpu(2, "00000000:86:00.0", "GPU-2a1b2c3d-0000-1111-2222-333333333333", "Tesla T4",
                "7.5"), GPUS.get(2));
        // A name holding a comma stays whole; a line missing fields is an error, never a silently dropped GPU.
        assertEquals("Odd, Name", GpuDevices.parseNvidiaSmi(
                "0, 00000000:01:00.0, GPU-ffff, Odd, Name, 8.0\n").get(0).name());
        assertThrows(IllegalArgumentException.class, () -> GpuDevices.parseNvidiaSmi("0, Tesla T4, 7.5\n"));
        assertThrows(IllegalArgumentException.class, () -> GpuDevices.parseNvidiaSmi(
                "Failed to initialize NVML: Driver/library version mismatch, a, b, c, d\n"));
    }

    @Test
    void withoutVisibleDevicesTheOrdinalIsTheNvidiaSmiIndex() {
        assertEquals(0, GpuDevices.cudaOrdinal(List.of("0"), null, GPUS));
        assertEquals(3, GpuDevices.cudaOrdinal(List.of("3"), null, GPUS));
    }

    @Test
    void visibleDevicesRenumberFromZero() {
        assertEquals(1, GpuDevices.cudaOrdinal(List.of("3"), "2,3", GPUS));
        assertEquals(0, GpuDevices.cudaOrdinal(List.of("2"), "2,3", GPUS));
        // The variable's order is CUDA's order: "3,1" makes GPU 1 ordinal 1.
        assertEquals(1, GpuDevices.cudaOrdinal(List.of("1"), "3,1", GPUS));
        assertEquals(0, GpuDevices.cudaOrdinal(List.of("1"), " 1 ", GPUS));
    }

    @Test
    void uuidsWorkAsAddressesAndAsVisibleDevices() {
        String uuid3 = "GPU-3a1b2c3d-0000-1111-2222-333333333333";
        assertEquals(1, GpuDevices.cudaOrdinal(List.of(uuid3), "2,3", GPUS));
        assertEquals(1, GpuDevices.cudaOrdinal(List.of("3"), "GPU-2a1b2c3d-0000-1111-2222-333333333333," + uuid3, GPUS));
        // A unique prefix names a GPU, as in CUDA; an ambiguous one names none.
        assertEquals(0, GpuDevices.cudaOrdinal(List.of("GPU-3a"), "GPU-3a1b,GPU-0a", GPUS));
        assertEquals(List.of(), GpuDevices.visibleGpus("GPU-", GPUS));
    }

    @Test
    void visibleListEndsAtTheFirstEntryNamingNoGpu() {
        assertEquals(List.of(GPUS.get(2)), GpuDevices.visibleGpus("2,9,3", GPUS));
        assertEquals(List.of(GPUS.get(1)), GpuDevices.visibleGpus("1,GPU-dead,0", GPUS));
        assertEquals(List.of(), GpuDevices.visibleGpus("-1", GPUS));
        assertEquals(List.of(GPUS.get(0)), GpuDevices.visibleGpus("0,0,1", GPUS));
        // Set but empty hides every GPU; unset shows all of them in PCI order.
        assertEquals(List.of(), GpuDevices.visibleGpus("", GPUS));
        assertEquals(GPUS, GpuDevices.visibleGpus(null, List.of(GPUS.get(3), GPUS.get(0), GPUS.get(2), GPUS.get(1))));
    }

    @Test
    void anAddressThisExecutorCannotSeeIsAnError() {
        IllegalArgumentException hidden = assertThrows(IllegalArgumentException.class,
                () -> GpuDevices.cudaOrdinal(List.of("0"), "2,3", GPUS));
        assertEquals("GPU address '0' is GPU 0 'Tesla T4' (PCI 00000000:18:00.0), which is not visible to this "
                + "executor: CUDA_VISIBLE_DEVICES='2,3' lets CUDA see [2 GPU-2a1b2c3d-0000-1111-2222-333333333333, "
                + "3 GPU-3a1b2c3d-0000-1111-2222-333333333333]", hidden.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> GpuDevices.cudaOrdinal(List.of("7"), null, GPUS));
        assertTrue(unknown.getMessage().startsWith("GPU address '7' names none of the GPUs nvidia-smi lists"),
                unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GpuDevices.cudaOrdinal(List.of("3"), "", GPUS));
    }

    @Test
    void noAddressNeverMeansGpuZero() {
        assertThrows(IllegalArgumentException.class, () -> GpuDevices.cudaOrdinal(List.of(), null, GPUS));
        assertThrows(IllegalArgumentException.class, () -> GpuDevices.cudaOrdinal(null, null, GPUS));
        assertThrows(IllegalArgumentException.class, () -> GpuDevices.cudaOrdinal(Arrays.asList((String) null), null, GPUS));
        assertThrows(IllegalArgumentException.class, () -> GpuDevices.cudaOrdinal(List.of(""), null, GPUS));
    }

    @Test
    void severalAddressesBindTheFirst() {
        assertEquals(2, GpuDevices.cudaOrdinal(List.of("2", "0"), null, GPUS));
        assertEquals(1, GpuDevices.cudaOrdinal(List.of("1", "0"), "0,1", GPUS));
    }

    @Test
    void migInstancesAreRefusedNotGuessed() {
        assertThrows(IllegalArgumentException.class,
                () -> GpuDevices.visibleGpus("MIG-4f0e5f5c-0000-1111-2222-333333333333", GPUS));
    }

    @Test
    void taskOrdinalNeedsPciBusOrderWhenSeveralGpusAreVisible() {
        assertEquals(1, GpuDevices.taskOrdinal(List.of("3"),
                Map.of("CUDA_VISIBLE_DEVICES", "2,3", "CUDA_DEVICE_ORDER", "PCI_BUS_ID"), GPUS));
        IllegalArgumentException unordered = assertThrows(IllegalArgumentException.class,
                () -> GpuDevices.taskOrdinal(List.of("3"), Map.of("CUDA_VISIBLE_DEVICES", "2,3"), GPUS));
        assertTrue(unordered.getMessage().contains("spark.executorEnv.CUDA_DEVICE_ORDER=PCI_BUS_ID"),
                unordered.getMessage());
        // YARN/Kubernetes isolating one GPU per executor: one visible GPU has one order.
        assertEquals(0, GpuDevices.taskOrdinal(List.of("2"), Map.of("CUDA_VISIBLE_DEVICES", "2"), GPUS));
    }

    @Test
    void gpuRecordRejectsIncompleteRows() {
        assertThrows(IllegalArgumentException.class, () -> new GpuDevices.Gpu(-1, "00000000:18:00.0", "GPU-1", "T4", "7.5"));
        assertThrows(IllegalArgumentException.class, () -> new GpuDevices.Gpu(0, "00000000:18:00.0", "1234", "T4", "7.5"));
        assertThrows(IllegalArgumentException.class, () -> new GpuDevices.Gpu(0, " ", "GPU-1", "T4", "7.5"));
    }

    @Test
    void bindingIsANoOpOnTheCpuBackend() throws Exception {
        // This module's tests run on nd4j-native: nothing to bind, and no nvidia-smi is run.
        assertFalse(GpuDevices.bindCurrentThread(3));
        assertFalse(GpuDevices.bindTask(List.of("3")));
        assertThrows(IllegalArgumentException.class, () -> GpuDevices.bindCurrentThread(-1));
    }
}
