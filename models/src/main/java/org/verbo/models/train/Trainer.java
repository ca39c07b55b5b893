package org.verbo.models.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.models.Batch;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.Workspaces;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

/**
 * Single-JVM training as a library: given parameters, optimizer state and a step counter, {@link #run} does a given
 * number of optimizer steps on a given stream of blocks (each of length T+1). One step = gradient accumulation over
 * {@code gradAccumulation} micro-batches of {@code microBatchSize} blocks, global-norm clipping, the scheduled
 * learning rate, one optimizer update. Parameters and optimizer state are flat vectors with a stable layout
 * ({@link org.verbo.models.ParameterLayout}, {@link Optimizer#stateLayout()}), so a distributed driver can ship them
 * as float[] and call this per task.
 */
@SuppressWarnings("try")   // workspace scopes are opened for their side effect only
public final class Trainer implements AutoCloseable {
    private final LlamaModel model;
    private final TrainConfig config;
    private final Optimizer optimizer;
    /** Steps along the learning-rate schedule (the run's inner step count). */
    private long step;
    /**
     * The optimizer's own step count (Adam's bias correction). Equal to {@link #step} in one JVM; a DiLoCo worker
     * whose inner state is reset each round restarts it while the schedule goes on (Douillard et al. 2023).
     */
    private long optimizerStep;

    /** Result of one optimizer step; {@code step} is the 1-based number of the step just done. */
    public record StepResult(long step, double loss, double lr, double gradNorm, long tokens, double seconds) {
    }

    public Trainer(LlamaModel model, TrainConfig config) {
        this(model, config, Optimizer.create(config, model.layout(), model.dataType()), 0);
    }

    public Trainer(LlamaModel model, TrainConfig config, Optimizer optimizer, long step) {
        this(model, config, optimizer, step, step);
    }

    /** A trainer at schedule step {@code step} whose optimizer has done {@code optimizerStep} updates. */
    public Trainer(LlamaModel model, TrainConfig config, Optimizer optimizer, long step, long optimizerStep) {
        if (optimizer.kind() != config.optimizer()) {
            throw new IllegalArgumentException("optimizer " + optimizer.kind().id() + " does not match config " + config.optimizer().id());
        }
        if (step < 0 || optimizerStep < 0) {
            throw new IllegalArgumentException("step and optimizerStep must be >= 0");
        }
        this.model = model;
        this.config = config;
        this.optimizer = optimizer;
        this.step = step;
        this.optimizerStep = optimizerStep;
        model.gradients();   // allocate the long-lived gradient vector outside any workspace
        if (model.dataType() == DataType.FLOAT) {
            // once per JVM, for models big enough to pay for it: the first step runs at full speed
            org.verbo.models.nn.Kernels.warmUpFor((double) config.microBatchSize()
                    * model.config().contextLength() * model.config().parameterCount(),
                    org.verbo.models.nn.Kernels.Use.TRAINING);
        }
        sizeWorkspaces();   // the step's working memory is allocated here, like the optimizer state
    }

    /**
     * Builds a trainer from flat vectors (copied): {@code params} in {@link org.verbo.models.ParameterLayout} order,
     * {@code optimizerState} in the optimizer's layout (null = fresh), {@code step} optimizer steps already done.
     */
    public static Trainer fromVectors(ModelConfig modelConfig, TrainConfig config, float[] params, float[] optimizerState,
                                      long step) {
        return fromVectors(modelConfig, config, params, optimizerState, step, step);
    }

    /** {@link #fromVectors(ModelConfig, TrainConfig, float[], float[], long)} with a separate optimizer step count. */
    public static Trainer fromVectors(ModelConfig modelConfig, TrainConfig config, float[] params, float[] optimizerState,
                                      long step, long optimizerStep) {
        LlamaModel model = LlamaModel.withParameters(modelConfig, Nd4j.createFromArray(params.clone()));
        Optimizer opt = Optimizer.create(config, model.layout(), DataType.FLOAT);
        if (optimizerState != null) {
            if (optimizerState.length != opt.state().length()) {
                throw new IllegalArgumentException("optimizer state has " + optimizerState.length + " values, "
                        + config.optimizer().id() + " needs " + opt.state().length());
            }
            opt.state().assign(Nd4j.createFromArray(optimizerState));
        }
        return new Trainer(model, config, opt, step, optimizerStep);
    }

    public LlamaModel model() {
        return model;
    }

    public TrainConfig config() {
        return config;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** Schedule steps done so far. */
    public long step() {
        return step;
    }

    /** Updates the optimizer has done (its bias-correction count). */
    public long optimizerStep() {
        return optimizerStep;
    }

    /** Live flat parameter vector. */
    public INDArray parameters() {
        return model.parameters();
    }

    /** Live flat optimizer state. */
    public INDArray optimizerState() {
        return optimizer.state();
    }

    public float[] parameterVector() {
        return model.parameters().toFloatVector();
    }

    public float[] optimizerStateVector() {
        return optimizer.state().toFloatVector();
    }

    public void setParameterVector(float[] values) {
        model.parameters().assign(Nd4j.createFromArray(values).castTo(model.dataType()));
    }

    public void setOptimizerStateVector(float[] values) {
        optimizer.state().assign(Nd4j.createFromArray(values).castTo(optimizer.state().dataType()));
    }

    /** Runs {@code steps} optimizer steps; the listener (nullable) sees each result. */
    public List<StepResult> run(int steps, Iterator<int[]> blocks, Consumer<StepResult> listener) {
        List<StepResult> out = new ArrayList<>(steps);
        for (int i = 0; i < steps; i++) {
            StepResult r = trainStep(blocks);
            out.add(r);
            if (listener != null) {
                listener.accept(r);
            }
        }
        return out;
    }

    /** One optimizer step: consumes microBatchSize x gradAccumulation blocks. */
    public StepResult trainStep(Iterator<int[]> blocks) {
        long t0 = System.nanoTime();
        ModelConfig mc = model.config();
        model.zeroGradients();
        double loss = 0;
        long tokens = 0;
        for (int a = 0; a < config.gradAccumulation(); a++) {
            List<int[]> micro = new ArrayList<>(config.microBatchSize());
            for (int i = 0; i < config.microBatchSize(); i++) {
                if (!blocks.hasNext()) {
                    throw new NoSuchElementException("training block stream ended inside step " + (step + 1));
                }
                micro.add(blocks.next());
            }
            Batch batch = Batch.of(micro, mc.vocabSize(), mc.contextLength());
            for (int target : batch.targets()) {
                if (target >= 0) {
                    tokens++;
                }
            }
            try (var ws = Workspaces.step(STEP_WORKSPACE)) {
                loss += model.meanLossAndBackward(batch, 1.0 / config.gradAccumulation()) / config.gradAccumulation();
            }
        }
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("training loss is " + loss + " at step " + (step + 1)
                    + "; lower the learning rate or check the data");
        }
        INDArray grads = model.gradients();
        double norm = org.verbo.models.nn.Kernels.norm2(grads);
        if (config.clipNorm() > 0 && norm > config.clipNorm()) {
            grads.muli(config.clipNorm() / norm);
        }
        double lr = LrSchedule.at(config, step);
        try (var ws = Workspaces.step(STEP_WORKSPACE)) {
            optimizer.step(model.parameters(), grads, lr, optimizerStep + 1);
        }
        step++;
        optimizerStep++;
        return new StepResult(step, loss, lr, norm, tokens, (System.nanoTime() - t0) / 1e9);
    }

    /** {@code -Dverbo.presizeWorkspaces=false} keeps ND4J's own learning cycle in the first step. */
    private static final boolean PRESIZE = !"false".equals(System.getProperty("verbo.presizeWorkspaces"));
    /** The workspace of a step's forward + backward and of its update. */
    private static final String STEP_WORKSPACE = "verbo-train";

    /**
     * At construction, in the constructing thread: sizes the step's workspaces from two forward + backward passes on
     * one and on two blocks (every activation of a step is linear in the micro-batch size), and creates them at the
     * size the micro-batch needs plus 2 %. Why: otherwise ND4J learns the size in the first step, which then touches
     * three times the step's memory (see {@link Workspaces#presize}); the two small passes touch a quarter of it. A
     * trainer stepped from another thread falls back to ND4J's learning there. The gradients the passes add are
     * cleared here, and nothing else (optimizer, schedule, random state) is touched, so results keep their bits.
     */
    private void sizeWorkspaces() {
        if (!PRESIZE || Nd4j.getWorkspaceManager().checkIfWorkspaceExists(STEP_WORKSPACE)) {
            return;   // switched off, or this thread already has them (a previous trainer learned them)
        }
        java.util.Map<String, Long> one = dryStep(1);
        java.util.Map<String, Long> two = dryStep(2);
        long b = config.microBatchSize();
        for (var e : two.entrySet()) {
            long s1 = one.getOrDefault(e.getKey(), 0L);
            long perBlock = Math.max(0, e.getValue() - s1);
            long bytes = s1 + (b - 1) * perBlock;
            Workspaces.presize(e.getKey(), bytes + bytes / 50 + (1 << 20));
        }
        model.zeroGradients();   // the measuring passes added to them
    }

    /** Workspace bytes (by id) a forward + backward on n blocks of token 0 allocates; nothing is kept. */
    private java.util.Map<String, Long> dryStep(int n) {
        ModelConfig mc = model.config();
        List<int[]> blocks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            blocks.add(new int[mc.contextLength() + 1]);
        }
        Batch batch = Batch.of(blocks, mc.vocabSize(), mc.contextLength());
        Workspaces.measure(STEP_WORKSPACE, LlamaModel.BLOCK_BACKWARD_WORKSPACE);
        try (var ws = Workspaces.step(STEP_WORKSPACE)) {
            model.meanLossAndBackward(batch, 1.0);
        }
        java.util.Map<String, Long> sizes = Workspaces.measured();
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        return sizes;
    }

    /**
     * Frees the off-heap parameter, gradient and optimizer vectors now instead of at some later garbage collection,
     * and this thread's step workspace: a Spark executor builds a trainer per task, and off-heap memory must stay
     * flat across rounds. The trainer is unusable afterwards.
     */
    @Override
    public void close() {
        for (INDArray a : new INDArray[]{model.gradients(), optimizer.state(), model.parameters()}) {
            if (a.closeable()) {
                a.close();
            }
        }
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
    }
}
