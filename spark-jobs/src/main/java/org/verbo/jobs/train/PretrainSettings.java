package org.verbo.jobs.train;

import com.typesafe.config.Config;
import org.verbo.models.ModelConfig;
import org.verbo.models.train.TrainConfig;
import org.verbo.models.train.sync.DeltaCodec;
import org.verbo.models.train.sync.SyncConfig;

/** The {@code verbo.pretrain} block as the models library's records (each validates its own values). */
public final class PretrainSettings {

    private PretrainSettings() {
    }

    public static TrainConfig trainConfig(Config p) {
        return TrainConfig.builder()
                .steps(p.getInt("steps"))
                .microBatchSize(p.getInt("micro_batch"))
                .gradAccumulation(p.getInt("grad_accumulation"))
                .lr(p.getDouble("lr"))
                .minLr(p.getDouble("min_lr"))
                .warmupSteps(p.getInt("warmup"))
                .weightDecay(p.getDouble("weight_decay"))
                .clipNorm(p.getDouble("clip_norm"))
                .optimizer(p.getString("optimizer"))
                .betas(p.getDouble("beta1"), p.getDouble("beta2"))
                .eps(p.getDouble("eps"))
                .momentum(p.getDouble("momentum"))
                .evalInterval(p.getInt("eval_interval"))
                .evalBatches(p.getInt("eval_batches"))
                .checkpointInterval(p.getInt("checkpoint_interval"))
                .logInterval(p.getInt("log_interval"))
                .seed(p.getLong("seed"))
                .decayAll(p.getBoolean("decay_all"))
                .build();
    }

    /** The {@code verbo.pretrain.sync} block and {@code workers}. */
    public static SyncConfig syncConfig(Config p) {
        Config s = p.getConfig("sync");
        return new SyncConfig(p.getInt("workers"), s.getInt("local_steps"), SyncConfig.Outer.parse(s.getString("outer")),
                s.getDouble("outer_lr"), s.getDouble("outer_momentum"), DeltaCodec.parse(s.getString("delta")),
                SyncConfig.InnerState.parse(s.getString("inner_state")), s.getInt("reduce_partitions"));
    }

    /** The preset's architecture with the vocabulary and context length the shards were made for. */
    public static ModelConfig modelConfig(String preset, int vocabSize, int contextLength) {
        ModelConfig m = ModelConfig.preset(preset);
        return new ModelConfig(vocabSize, m.hiddenSize(), m.numLayers(), m.numHeads(), m.numKvHeads(), m.ffnSize(),
                contextLength, m.ropeTheta(), m.normEps(), m.tiedEmbeddings());
    }
}
