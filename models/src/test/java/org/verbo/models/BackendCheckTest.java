package org.verbo.models;

import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendCheckTest {
    @Test
    void cpuBuildReportsTheCpu() {
        BackendCheck.Result r = BackendCheck.check(false);
        assertEquals("cpu", r.backend());
        assertFalse(r.fellBack());
        assertTrue(r.line().startsWith("backend: cpu (ND4J nd4j-native on "), r.line());
    }

    @Test
    void classifiesComputeCapabilitiesAgainstTheKernelRange() {
        List<BackendCheck.Gpu> gpus = BackendCheck.parseNvidiaSmi(
                "0, NVIDIA H100 80GB HBM3, 9.0\n1, Tesla T4, 7.5\n2, NVIDIA A10, 8.6\n3, Tesla K80, 3.7\n4, Tesla K20, 3.5\n");
        assertEquals(5, gpus.size());
        assertFalse(gpus.get(0).supported());
        assertTrue(gpus.get(1).supported());
        assertTrue(gpus.get(2).supported());
        assertTrue(gpus.get(3).supported());
        assertFalse(gpus.get(4).supported());
        assertEquals("GPU 0 'NVIDIA H100 80GB HBM3' has compute capability 9.0, but ND4J 1.0.0-M2.1 CUDA kernels support "
                + "3.7 to 8.6", BackendCheck.unsupportedMessage(gpus.get(0)));
    }

    @Test
    void fallbackLoaderHidesOnlyTheCudaBackendEntry() throws Exception {
        ClassLoader hidden = new BackendCheck.CudaHidingClassLoader(getClass().getClassLoader());
        List<URL> services = Collections.list(hidden.getResources(BackendCheck.SERVICE));
        assertEquals(1, services.size(), services.toString());
        assertTrue(services.get(0).toString().contains("nd4j-native"), services.toString());
    }
}
