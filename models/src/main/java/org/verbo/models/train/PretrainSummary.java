package org.verbo.models.train;

import java.nio.file.Path;
import java.util.List;

/**
 * What a {@link Pretrain#run} call did.
 *
 * @param startStep      optimizer steps done before this call (0 unless resumed)
 * @param endStep        optimizer steps done after it
 * @param stepLosses     training loss of each step run in this call, in order
 * @param finalValidation last validation result, or null without validation data
 * @param lastCheckpoint the last {@code step-N} directory written
 */
public record PretrainSummary(long startStep, long endStep, List<Double> stepLosses, EvalResult finalValidation,
                              Path lastCheckpoint, long tokensSeen, double elapsedSeconds, double tokensPerSecond,
                              long parameterCount, long optimizerStateBytes, long peakHeapBytes, long peakOffHeapBytes) {
    public double finalLoss() {
        return stepLosses.isEmpty() ? Double.NaN : stepLosses.get(stepLosses.size() - 1);
    }
}
