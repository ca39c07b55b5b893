package org.verbo.embeddings.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.model.ParameterGroup;
import org.verbo.models.LlamaModel;
import org.verbo.models.train.AdamW;

import java.util.ArrayList;
import java.util.List;

/**
 * Contrastive training of an {@link EmbeddingModel} (NV-Embed section 3.4): every step embeds a batch's queries,
 * positives and hard negatives in one decoder pass, takes the {@link InfoNceLoss}, runs the backward through the
 * L2 normalisation, the pooling and (unless frozen) the decoder, clips the global gradient norm and takes one AdamW
 * step on the pooling's and the decoder's flat vectors. Deterministic: the same model, config and batches give the
 * same parameters bit for bit (no randomness after the model's seeded initialisation).
 */
public final class EmbeddingTrainer {
    private final EmbeddingModel model;
    private final EmbeddingTrainConfig config;
    private final InfoNceLoss loss;
    private final AdamW poolingOptimizer;   // null when the pooling has no parameters
    private final AdamW decoderOptimizer;   // null when the decoder is frozen
    private long step;
    private InfoNceLoss.Result last;

    public EmbeddingTrainer(EmbeddingModel model, EmbeddingTrainConfig config) {
        ParameterGroup pooling = model.pooling().parameters();
        if (pooling == null && config.freezeDecoder()) {
            throw new IllegalArgumentException(model.config().pooling().id()
                    + " pooling has no parameters and the decoder is frozen: nothing to train");
        }
        this.model = model;
        this.config = config;
        this.loss = new InfoNceLoss(config.temperature());
        this.poolingOptimizer = pooling == null ? null : new AdamW(pooling.layout(), pooling.parameters().dataType(),
                config.beta1(), config.beta2(), config.eps(), config.weightDecay(), false);
        LlamaModel decoder = model.decoder();
        this.decoderOptimizer = config.freezeDecoder() ? null : new AdamW(decoder.layout(), decoder.dataType(),
                config.beta1(), config.beta2(), config.eps(), config.weightDecay(), false);
        if (decoder.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT) {
            // the model warmed the inference kernels; training runs the backward and optimizer ones too
            org.verbo.models.nn.Kernels.warmUpFor((double) EmbeddingModel.DEFAULT_BATCH * model.config().maxLength()
                    * decoder.config().parameterCount(), org.verbo.models.nn.Kernels.Use.TRAINING);
        }
    }

    public EmbeddingModel model() {
        return model;
    }

    public EmbeddingTrainConfig config() {
        return config;
    }

    /** Optimizer steps taken. */
    public long steps() {
        return step;
    }

    /** The loss result of the last step (its gradients and how many queries ranked their positive first). */
    public InfoNceLoss.Result lastResult() {
        return last;
    }

    /** One step on a batch at the config's learning rate; returns the mean InfoNCE loss before the update. */
    public double step(List<ContrastiveExample> batch) {
        return step(batch, config.learningRate());
    }

    /**
     * One step on a batch at learning rate {@code lr} (a caller's schedule: warm-up, cosine); returns the mean
     * InfoNCE loss before the update.
     */
    public double step(List<ContrastiveExample> batch, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + lr);
        }
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("empty training batch");
        }
        int b = batch.size();
        List<int[]> texts = new ArrayList<>();
        List<Integer> instr = new ArrayList<>();
        for (ContrastiveExample e : batch) {
            texts.add(e.query());
            instr.add(e.instructionLength());
        }
        List<Integer> owners = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            texts.add(batch.get(i).positive());
            owners.add(i);
        }
        for (int i = 0; i < b; i++) {
            for (int[] neg : batch.get(i).negatives()) {
                texts.add(neg);
                owners.add(i);
            }
        }
        while (instr.size() < texts.size()) {
            instr.add(0);
        }
        int n = texts.size();
        ParameterGroup pooling = model.pooling().parameters();
        if (pooling != null) {
            pooling.zeroGradients();
        }
        if (decoderOptimizer != null) {
            model.decoder().zeroGradients();
        }
        // one decoder pass over queries, positives and negatives: [n, C] unit vectors
        INDArray emb = model.forward(texts, instr.stream().mapToInt(Integer::intValue).toArray());
        INDArray q = emb.get(NDArrayIndex.interval(0, b), NDArrayIndex.all());       // [B, C]
        INDArray d = emb.get(NDArrayIndex.interval(b, n), NDArrayIndex.all());       // [M, C]
        last = loss.compute(q, d, owners.stream().mapToInt(Integer::intValue).toArray(), config.inBatchNegatives());
        model.backward(Nd4j.concat(0, last.dQueries(), last.dDocuments()), decoderOptimizer != null);
        clip(pooling);
        step++;
        if (poolingOptimizer != null) {
            poolingOptimizer.step(pooling.parameters(), pooling.gradients(), lr, step);
        }
        if (decoderOptimizer != null) {
            decoderOptimizer.step(model.decoder().parameters(), model.decoder().gradients(), lr, step);
        }
        return last.loss();
    }

    /** The pooling's AdamW state [2P] (first then second moments), live; null when the pooling has no parameters. */
    public INDArray poolingOptimizerState() {
        return poolingOptimizer == null ? null : poolingOptimizer.state();
    }

    /** The decoder's AdamW state [2P], live; null when the decoder is frozen. */
    public INDArray decoderOptimizerState() {
        return decoderOptimizer == null ? null : decoderOptimizer.state();
    }

    /**
     * Continues a run from a checkpoint: the step count (Adam's bias correction) and the optimizer moments saved
     * with it, so that the next steps equal those of the uninterrupted run.
     */
    public void restore(long steps, INDArray poolingState, INDArray decoderState) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        if ((poolingOptimizer == null) != (poolingState == null) || (decoderOptimizer == null) != (decoderState == null)) {
            throw new IllegalArgumentException("optimizer state does not match the trainer (pooling state "
                    + (poolingState != null) + ", decoder state " + (decoderState != null) + ")");
        }
        if (poolingOptimizer != null) {
            requireLength("pooling", poolingOptimizer.state(), poolingState);
            poolingOptimizer.state().assign(poolingState);
        }
        if (decoderOptimizer != null) {
            requireLength("decoder", decoderOptimizer.state(), decoderState);
            decoderOptimizer.state().assign(decoderState);
        }
        this.step = steps;
    }

    private static void requireLength(String what, INDArray want, INDArray got) {
        if (want.length() != got.length()) {
            throw new IllegalArgumentException(what + " optimizer state has " + got.length() + " values, the trainer "
                    + "needs " + want.length());
        }
    }

    /** Scales all trained gradients so their joint L2 norm is at most maxGradNorm. */
    private void clip(ParameterGroup pooling) {
        if (config.maxGradNorm() == 0) {
            return;
        }
        double sq = 0;
        if (pooling != null) {
            double g = pooling.gradients().norm2Number().doubleValue();
            sq += g * g;
        }
        if (decoderOptimizer != null) {
            double g = model.decoder().gradients().norm2Number().doubleValue();
            sq += g * g;
        }
        double norm = Math.sqrt(sq);
        if (norm > config.maxGradNorm()) {
            double s = config.maxGradNorm() / norm;
            if (pooling != null) {
                pooling.gradients().muli(s);
            }
            if (decoderOptimizer != null) {
                model.decoder().gradients().muli(s);
            }
        }
    }
}
