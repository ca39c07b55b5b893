package org.verbo.models.train.sync;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockPlanTest {

    @Test
    void everyEpochIsAPermutationOfTheBlocks() {
        for (long n : new long[]{1, 2, 3, 5, 16, 17, 100, 1000, 4097}) {
            BlockPlan plan = new BlockPlan(n, 42);
            for (long epoch = 0; epoch < 3; epoch++) {
                BitSet seen = new BitSet();
                for (long i = 0; i < n; i++) {
                    long b = plan.blockAt(epoch * n + i);
                    assertTrue(b >= 0 && b < n, "block " + b + " outside [0, " + n + ")");
                    assertTrue(!seen.get((int) b), "block " + b + " twice in epoch " + epoch + " of " + n);
                    seen.set((int) b);
                }
                assertEquals(n, seen.cardinality());
            }
        }
    }

    @Test
    void epochsAndSeedsShuffleDifferently() {
        BlockPlan a = new BlockPlan(1000, 1);
        BlockPlan b = new BlockPlan(1000, 2);
        int sameAcrossEpochs = 0;
        int sameAcrossSeeds = 0;
        int fixedPoints = 0;
        for (long i = 0; i < 1000; i++) {
            sameAcrossEpochs += a.permute(0, i) == a.permute(1, i) ? 1 : 0;
            sameAcrossSeeds += a.permute(0, i) == b.permute(0, i) ? 1 : 0;
            fixedPoints += a.permute(0, i) == i ? 1 : 0;
        }
        // a random permutation agrees with another in about one place (expected 1, Poisson)
        assertTrue(sameAcrossEpochs < 10, "epochs 0 and 1 agree in " + sameAcrossEpochs + " places");
        assertTrue(sameAcrossSeeds < 10, "seeds 1 and 2 agree in " + sameAcrossSeeds + " places");
        assertTrue(fixedPoints < 10, fixedPoints + " fixed points: not shuffled");
    }

    @Test
    void workersOfARoundGetDisjointSlicesThatTileTheStream() {
        int workers = 3;
        int h = 4;
        int perStep = 2;
        long steps = 10;   // rounds of 4, 4, 2 steps
        SyncConfig sync = new SyncConfig(workers, h, SyncConfig.Outer.DILOCO, 0.7, 0.9, DeltaCodec.BF16,
                SyncConfig.InnerState.KEEP, 0);
        assertEquals(3, sync.rounds(steps));
        Set<Long> positions = new HashSet<>();
        for (long r = 0; r < sync.rounds(steps); r++) {
            int hr = sync.stepsInRound(r, steps);
            for (int k = 0; k < workers; k++) {
                long first = BlockPlan.firstPosition(r, k, workers, h, perStep, hr);
                for (long p = first; p < first + (long) hr * perStep; p++) {
                    assertTrue(positions.add(p), "position " + p + " assigned twice");
                }
            }
        }
        // 10 steps x 3 workers x 2 blocks: positions 0..59, each exactly once
        assertEquals(60, positions.size());
        assertEquals(59L, positions.stream().mapToLong(Long::longValue).max().orElseThrow());
        assertNotEquals(sync.stepsInRound(0, steps), sync.stepsInRound(2, steps));
    }
}
