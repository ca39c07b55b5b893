package org.verbo.embeddings.train;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.embeddings.FiniteDifferences;
import org.verbo.embeddings.model.L2Normalize;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InfoNceLossTest {
    private static final INDArray E0 = Nd4j.createFromArray(new double[][]{{1, 0}});
    private static final INDArray E1 = Nd4j.createFromArray(new double[][]{{0, 1}});

    /** Orthogonal unit vectors at tau = 1: every logit is 0 or 1, so the losses are closed forms. */
    @Test
    void handComputedLosses() {
        InfoNceLoss loss = new InfoNceLoss(1.0);
        INDArray q = Nd4j.concat(0, E0, E1);
        INDArray p = Nd4j.concat(0, E0, E1);
        // in-batch only: each query sees its positive (logit 1) and the other positive (logit 0)
        assertEquals(Math.log(1 + Math.exp(-1)), loss.compute(q, p, new int[]{0, 1}, true).loss(), 1e-15);
        // stage 2 without hard negatives: a single candidate, loss exactly 0
        InfoNceLoss.Result alone = loss.compute(q, p, new int[]{0, 1}, false);
        assertEquals(0.0, alone.loss(), 1e-15);
        assertEquals(0.0, alone.dQueries().amaxNumber().doubleValue(), 1e-15);
        // a hard negative e1 for query 0
        INDArray d = Nd4j.concat(0, E0, E1, E1);
        int[] owner = {0, 1, 0};
        assertEquals(Math.log(1 + Math.exp(-1)) / 2, loss.compute(q, d, owner, false).loss(), 1e-15);
        // stage 1, all three documents for both: query 0's logits (1, 0, 0) give -log(e / (e + 2)) = log(1 + 2/e);
        // query 1's (0, 1, 1) give -log(e / (1 + 2e)) = log(2 + 1/e)
        double want = (Math.log(1 + 2 * Math.exp(-1)) + Math.log(2 + Math.exp(-1))) / 2;
        assertEquals(want, loss.compute(q, d, owner, true).loss(), 1e-15);
        assertEquals(1, loss.compute(q, d, owner, true).correct());   // query 1 ties its positive with the negative
    }

    @Test
    void gradientsMatchFiniteDifferencesInBothStages() {
        Random rng = new Random(7);
        INDArray q = new L2Normalize().forward(FiniteDifferences.randn(rng, 1.0, 3, 5));
        INDArray d = new L2Normalize().forward(FiniteDifferences.randn(rng, 1.0, 7, 5));
        int[] owner = {0, 1, 2, 0, 0, 2, 1};
        InfoNceLoss loss = new InfoNceLoss(0.1);
        for (boolean inBatch : new boolean[]{true, false}) {
            InfoNceLoss.Result r = loss.compute(q, d, owner, inBatch);
            FiniteDifferences.check("dq " + inBatch, q, r.dQueries(), () -> loss.compute(q, d, owner, inBatch).loss(),
                    100, rng);
            FiniteDifferences.check("dd " + inBatch, d, r.dDocuments(),
                    () -> loss.compute(q, d, owner, inBatch).loss(), 100, rng);
        }
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new InfoNceLoss(0));
        InfoNceLoss loss = new InfoNceLoss(0.05);
        INDArray q = Nd4j.concat(0, E0, E1);
        assertThrows(IllegalArgumentException.class, () -> loss.compute(q, q, new int[]{1, 0}, true));
        assertThrows(IllegalArgumentException.class, () -> loss.compute(q, E0, new int[]{0}, true));
        assertThrows(IllegalArgumentException.class, () -> loss.compute(q, Nd4j.concat(0, q, E0), new int[]{0, 1, 2}, true));
    }
}
