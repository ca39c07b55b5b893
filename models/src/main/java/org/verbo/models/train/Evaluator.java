package org.verbo.models.train;

import org.verbo.models.Batch;
import org.verbo.models.LlamaModel;
import org.verbo.models.Workspaces;
import org.verbo.models.nn.CrossEntropyLoss;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Validation loss and perplexity. */
@SuppressWarnings("try")   // workspace scopes are opened for their side effect only
public final class Evaluator {
    private Evaluator() {
    }

    /**
     * Scores every block (length 2..T+1; consecutive blocks of equal length are batched together).
     *
     * @param maxBatches stop after this many batches (0 = all)
     */
    public static EvalResult evaluate(LlamaModel model, Iterator<int[]> blocks, int batchSize, int maxBatches) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0");
        }
        double lossSum = 0;
        long tokens = 0;
        int batches = 0;
        List<int[]> pending = new ArrayList<>();
        while (blocks.hasNext() && (maxBatches == 0 || batches < maxBatches)) {
            int[] b = blocks.next();
            if (!pending.isEmpty() && (pending.size() == batchSize || pending.get(0).length != b.length)) {
                CrossEntropyLoss.Result r = score(model, pending);
                lossSum += r.lossSum();
                tokens += r.tokens();
                batches++;
                pending.clear();
                if (maxBatches != 0 && batches >= maxBatches) {
                    break;
                }
            }
            pending.add(b);
        }
        if (!pending.isEmpty() && (maxBatches == 0 || batches < maxBatches)) {
            CrossEntropyLoss.Result r = score(model, pending);
            lossSum += r.lossSum();
            tokens += r.tokens();
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("no tokens to evaluate (empty or all-padding input)");
        }
        double loss = lossSum / tokens;
        return new EvalResult(loss, Math.exp(loss), tokens);
    }

    private static CrossEntropyLoss.Result score(LlamaModel model, List<int[]> blocks) {
        Batch batch = Batch.of(blocks, model.config().vocabSize(), model.config().contextLength());
        try (var ws = Workspaces.step("verbo-eval")) {
            return model.loss(batch);
        }
    }

    /** Loads a checkpoint directory (HF Llama format) and evaluates it. */
    public static EvalResult evaluate(Path checkpointDir, Iterator<int[]> blocks, int batchSize) {
        return evaluate(LlamaModel.load(checkpointDir), blocks, batchSize, 0);
    }
}
