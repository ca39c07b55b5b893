package org.verbo.models.train;

import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Single-process pre-training: the entry point behind {@code verbo pretrain}. Writes
 * {@code <out>/checkpoints/step-N/}, {@code <out>/metrics.jsonl} and {@code <out>/loss.png}.
 */
public final class Pretrain {
    private Pretrain() {
    }

    /**
     * @param model       model size for a fresh run; ignored (may be null) when {@code startFrom} is given, whose
     *                    config.json wins
     * @param train       training hyper-parameters
     * @param trainBlocks called once per pass over the training data; each iterator yields blocks of T+1 token ids
     *                    in a deterministic order
     * @param valBlocks   validation blocks, called once per evaluation (nullable: no validation)
     * @param outDir      output directory (created)
     * @param startFrom   nullable; a {@code step-N} training checkpoint resumes exactly (optimizer state, step, data
     *                    position), any other HF Llama checkpoint directory only initialises the weights
     * @param progress    receives human-readable progress lines
     * @param configExtras extra keys merged into every config.json written (e.g. bos_token_id, eos_token_id); nullable
     */
    public static PretrainSummary run(ModelConfig model, TrainConfig train, Supplier<Iterator<int[]>> trainBlocks,
                                      Supplier<Iterator<int[]>> valBlocks, Path outDir, Path startFrom,
                                      Consumer<String> progress, Map<String, ?> configExtras) {
        return run(model, train, trainBlocks, valBlocks, outDir, startFrom, progress, configExtras, Hooks.NONE);
    }

    /**
     * What a caller adds around the run: files written into every checkpoint before it is published (such as
     * {@code tokenizer.json}), and a listener called after each checkpoint and at the end with the local output
     * directory, which publishes it elsewhere (a Hadoop path) as the run goes.
     */
    public record Hooks(Map<String, byte[]> checkpointFiles, Publisher publisher) {
        public static final Hooks NONE = new Hooks(Map.of(), (dir, checkpoint) -> { });

        public Hooks {
            checkpointFiles = checkpointFiles == null ? Map.of() : Map.copyOf(checkpointFiles);
            publisher = publisher == null ? (dir, checkpoint) -> { } : publisher;
        }
    }

    /** Publishes the local output directory; {@code checkpoint} is the checkpoint just written, or null at the end. */
    @FunctionalInterface
    public interface Publisher {
        void publish(Path outDir, Path checkpoint) throws IOException;
    }

    /** {@link #run} with hooks. */
    public static PretrainSummary run(ModelConfig model, TrainConfig train, Supplier<Iterator<int[]>> trainBlocks,
                                      Supplier<Iterator<int[]>> valBlocks, Path outDir, Path startFrom,
                                      Consumer<String> progress, Map<String, ?> configExtras, Hooks hooks) {
        try {
            return doRun(model, train, trainBlocks, valBlocks, outDir, startFrom, progress, configExtras,
                    hooks == null ? Hooks.NONE : hooks);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #run} without config.json extras. */
    public static PretrainSummary run(ModelConfig model, TrainConfig train, Supplier<Iterator<int[]>> trainBlocks,
                                      Supplier<Iterator<int[]>> valBlocks, Path outDir, Path startFrom,
                                      Consumer<String> progress) {
        return run(model, train, trainBlocks, valBlocks, outDir, startFrom, progress, null);
    }

    private static PretrainSummary doRun(ModelConfig modelConfig, TrainConfig train, Supplier<Iterator<int[]>> trainBlocks,
                                         Supplier<Iterator<int[]>> valBlocks, Path outDir, Path startFrom,
                                         Consumer<String> progress, Map<String, ?> extras, Hooks hooks)
            throws IOException {
        Consumer<String> log = progress == null ? s -> { } : progress;
        Path checkpoints = outDir.resolve("checkpoints");
        Trainer trainer;
        TrainingCheckpoint.Progress start;
        BlockStream stream = new BlockStream(trainBlocks);
        if (startFrom != null && TrainingCheckpoint.isTrainingCheckpoint(startFrom)) {
            TrainingCheckpoint.Restored r = TrainingCheckpoint.load(startFrom, train);
            trainer = r.trainer();
            start = r.progress();
            if (trainer.step() >= train.steps()) {
                throw new IllegalArgumentException("checkpoint " + startFrom + " is at step " + trainer.step()
                        + ", nothing to do for steps=" + train.steps());
            }
            stream.skipTo(start.epoch(), start.blockInEpoch());
            log.accept("resumed from " + startFrom + " at step " + trainer.step());
        } else {
            List<Path> existing = TrainingCheckpoint.list(checkpoints);
            if (!existing.isEmpty()) {
                throw new IllegalArgumentException("output " + outDir + " already has checkpoints (latest "
                        + existing.get(existing.size() - 1).getFileName() + "); resume from it or choose a new output directory");
            }
            LlamaModel model;
            if (startFrom != null) {
                model = LlamaModel.load(startFrom);
                log.accept("initialised weights from " + startFrom + " (" + model.layout().size() + " parameters)");
            } else {
                if (modelConfig == null) {
                    throw new IllegalArgumentException("a model config is required when not starting from a checkpoint");
                }
                model = LlamaModel.initialize(modelConfig, train.seed());
            }
            trainer = new Trainer(model, train);
            start = new TrainingCheckpoint.Progress(0, 0, 0, 0.0);
        }
        Files.createDirectories(outDir);
        LlamaModel model = trainer.model();
        ModelConfig mc = model.config();
        long firstStep = trainer.step();
        int remaining = (int) (train.steps() - firstStep);
        log.accept(String.format(Locale.ROOT, "model: %,d parameters (%d layers, hidden %d, heads %d/%d kv, ffn %d, context %d); "
                        + "optimizer %s state %,d bytes; %d steps x %,d tokens", mc.parameterCount(), mc.numLayers(),
                mc.hiddenSize(), mc.numHeads(), mc.numKvHeads(), mc.ffnSize(), mc.contextLength(), train.optimizer().id(),
                trainer.optimizer().stateBytes(), remaining, train.tokensPerStep(mc.contextLength())));

        long vectorBytes = model.parameters().length() * model.parameters().dataType().width();
        MemoryStats mem = new MemoryStats(2 * vectorBytes + trainer.optimizer().stateBytes());
        List<Double> losses = new ArrayList<>();
        long tokensSeen = start.tokensSeen();
        double elapsedBefore = start.elapsedSeconds();
        long t0 = System.nanoTime();
        long windowStart = t0;
        long windowTokens = 0;
        EvalResult lastVal = null;
        Path lastCheckpoint = startFrom;
        try (MetricsLog metrics = new MetricsLog(outDir.resolve("metrics.jsonl"), firstStep)) {
            for (int i = 0; i < remaining; i++) {
                Trainer.StepResult r = trainer.trainStep(stream);
                mem.sample();
                losses.add(r.loss());
                tokensSeen += r.tokens();
                windowTokens += r.tokens();
                long step = r.step();
                boolean last = step == train.steps();
                EvalResult val = null;
                if (valBlocks != null && ((train.evalInterval() > 0 && step % train.evalInterval() == 0) || last)) {
                    val = Evaluator.evaluate(model, valBlocks.get(), train.microBatchSize(), train.evalBatches());
                    lastVal = val;
                }
                double elapsed = elapsedBefore + (System.nanoTime() - t0) / 1e9;
                if (step % train.logInterval() == 0 || last || val != null) {
                    double windowS = (System.nanoTime() - windowStart) / 1e9;
                    double tps = windowS > 0 ? windowTokens / windowS : 0;
                    metrics.write(step, r.loss(), r.lr(), tps, elapsed, val);
                    double perStep = (System.nanoTime() - t0) / 1e9 / (i + 1);
                    log.accept(String.format(Locale.ROOT, "step %d/%d | loss %.4f | lr %.2e | grad norm %.3f | %,.0f tok/s"
                                    + " | elapsed %s | eta %s%s", step, train.steps(), r.loss(), r.lr(), r.gradNorm(), tps,
                            duration(elapsed), duration(perStep * (remaining - i - 1)),
                            val == null ? "" : String.format(Locale.ROOT, " | val loss %.4f ppl %.2f", val.loss(), val.perplexity())));
                    windowStart = System.nanoTime();
                    windowTokens = 0;
                }
                if (last || (train.checkpointInterval() > 0 && step % train.checkpointInterval() == 0)) {
                    TrainingCheckpoint.Progress p = new TrainingCheckpoint.Progress(stream.epoch(), stream.indexInEpoch(),
                            tokensSeen, elapsed);
                    lastCheckpoint = TrainingCheckpoint.save(checkpoints, trainer, p, extras, hooks.checkpointFiles());
                    if (last) {
                        plot(outDir);
                    }
                    hooks.publisher().publish(outDir, lastCheckpoint);
                    log.accept("checkpoint " + lastCheckpoint);
                }
            }
        }
        plot(outDir);
        hooks.publisher().publish(outDir, null);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long runTokens = tokensSeen - start.tokensSeen();
        return new PretrainSummary(firstStep, trainer.step(), List.copyOf(losses), lastVal, lastCheckpoint, tokensSeen,
                elapsedBefore + elapsed, elapsed > 0 ? runTokens / elapsed : 0, mc.parameterCount(),
                trainer.optimizer().stateBytes(), mem.peakHeapBytes(), mem.peakOffHeapBytes());
    }

    /** Redraws {@code <out>/loss.png} from {@code <out>/metrics.jsonl}. */
    public static void plot(Path outDir) throws IOException {
        List<double[]> rows = MetricsLog.read(outDir.resolve("metrics.jsonl"));
        double[] x = new double[rows.size()];
        double[] y = new double[rows.size()];
        List<double[]> val = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            x[i] = rows.get(i)[0];
            y[i] = rows.get(i)[1];
            if (Double.isFinite(rows.get(i)[2])) {
                val.add(rows.get(i));
            }
        }
        List<LossCurvePlot.Series> series = new ArrayList<>();
        series.add(new LossCurvePlot.Series("train loss", x, y, new Color(31, 119, 180)));
        if (!val.isEmpty()) {
            series.add(new LossCurvePlot.Series("validation loss", val.stream().mapToDouble(r -> r[0]).toArray(),
                    val.stream().mapToDouble(r -> r[2]).toArray(), new Color(255, 127, 14)));
        }
        LossCurvePlot.write(outDir.resolve("loss.png"), "verbo pretrain", "step", series);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
