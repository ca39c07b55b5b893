package org.verbo.models.nn;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CrossEntropyLoss#headLoss}: the LM head's product with the loss applied per chunk of rows in cache
 * ({@link PackedGemm#gemmCrossEntropy}) against its twin, the same product stored in full and then
 * {@link CrossEntropyLoss#compute} over it: the same dlogits and the same loss sum, bit for bit, whatever the thread
 * count, on shapes with several row chunks, a last partial register block, a vocabulary that is not a multiple of the
 * panel nor of one vector, and ignored (negative) targets. Both are also held to the ND4J reference
 * ({@link CrossEntropyLoss#reference}) within float rounding.
 */
@ExtendWith(KernelStateExtension.class)
class HeadLossTest {
    @BeforeEach
    void kernelsOn() {
        Kernels.setEnabled(true);
        PackedGemm.force(true);
    }

    @AfterEach
    void restore() {
        PackedGemm.force(null);
    }

    @ParameterizedTest(name = "n={0} v={1} c={2} threads={3}")
    @CsvSource({
            // 301 rows at c = 256: chunks of 126 rows, the last register block 1 row
            "301, 300, 256, 1",
            "301, 300, 256, 2",
            "301, 300, 256, 3",
            // one vector short of a panel, a tail of 7 columns, k of 40
            "64, 55, 40, 2",
            "520, 1024, 64, 2",
    })
    void sameBitsAsTheStoredLogits(int n, int v, int c, int threads) {
        Random rng = new Random(17L * n + v + c);
        INDArray h = Nd4j.create(random(rng, n * c, 1f), new long[]{n, c}, DataType.FLOAT);
        INDArray w = Nd4j.create(random(rng, v * c, 0.2f), new long[]{v, c}, DataType.FLOAT);
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            targets[i] = i % 11 == 3 ? -100 : rng.nextInt(v);
        }
        targets[0] = v - 1;
        double gradScale = 1.0 / n;
        Kernels.setThreads(threads);

        CrossEntropyLoss.Result fused = CrossEntropyLoss.headLoss(h, w, targets, gradScale);
        INDArray logits = BatchedMatmul.gemm(h, w, null, false, true, 1.0, 0.0);
        CrossEntropyLoss.Result ref = CrossEntropyLoss.reference(logits.dup(), targets, gradScale);
        CrossEntropyLoss.Result stored = CrossEntropyLoss.compute(logits, targets, gradScale);

        assertNotNull(fused.dlogits());
        assertEquals(stored.tokens(), fused.tokens());
        assertEquals(Double.doubleToLongBits(stored.lossSum()), Double.doubleToLongBits(fused.lossSum()),
                "loss sum " + fused.lossSum() + " vs " + stored.lossSum());
        assertArrayEquals(stored.dlogits().data().asFloat(), fused.dlogits().data().asFloat(), "dlogits bits");

        assertEquals(ref.lossSum(), fused.lossSum(), 1e-5 * Math.abs(ref.lossSum()));
        float[] r = ref.dlogits().data().asFloat();
        float[] f = fused.dlogits().data().asFloat();
        for (int i = 0; i < r.length; i++) {
            if (Math.abs(r[i] - f[i]) > 1e-6 * gradScale + 1e-5 * Math.abs(r[i])) {
                throw new AssertionError("dlogits element " + i + ": " + f[i] + " vs reference " + r[i]);
            }
        }
        for (int i = 0; i < n; i++) {
            if (targets[i] < 0) {
                assertEquals(0f, fused.dlogits().getFloat(i, 0), "an ignored row's gradient is 0");
            }
        }
    }

    @ParameterizedTest(name = "target {0}")
    @CsvSource({"300", "301"})
    void refusesATargetOutsideTheVocabulary(int bad) {
        Random rng = new Random(5);
        INDArray h = Nd4j.create(random(rng, 30 * 32, 1f), new long[]{30, 32}, DataType.FLOAT);
        INDArray w = Nd4j.create(random(rng, 300 * 32, 1f), new long[]{300, 32}, DataType.FLOAT);
        int[] targets = new int[30];
        targets[17] = bad;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropyLoss.headLoss(h, w, targets, 0.1));
        assertTrue(e.getMessage().contains("outside vocabulary"), e.getMessage());
    }

    private static float[] random(Random rng, int size, float scale) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) rng.nextGaussian() * scale;
        }
        return x;
    }
}
