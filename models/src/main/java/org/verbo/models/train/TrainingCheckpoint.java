package org.verbo.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.models.LlamaModel;
import org.verbo.models.ParameterLayout;
import org.verbo.models.io.CheckpointException;
import org.verbo.models.io.Checkpoints;
import org.verbo.models.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A resumable training checkpoint directory {@code step-N/}: the HF model files ({@link Checkpoints}),
 * {@code optimizer.safetensors} (the flat optimizer state split into named pieces) and {@code trainer_state.json}
 * (step, data position, seed, configs). Written to a temp directory and renamed into place.
 */
public final class TrainingCheckpoint {
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String STATE_FILE = "trainer_state.json";
    static final String VERSION = "0.1.0";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TrainingCheckpoint() {
    }

    /** Where the data stream stood and what had been done when the checkpoint was written. */
    public record Progress(long epoch, long blockInEpoch, long tokensSeen, double elapsedSeconds) {
    }

    /** A trainer restored from disk plus its progress. */
    public record Restored(Trainer trainer, Progress progress) {
    }

    public static boolean isTrainingCheckpoint(Path dir) {
        return Files.isRegularFile(dir.resolve(STATE_FILE)) && Files.isRegularFile(dir.resolve(OPTIMIZER_FILE));
    }

    /** Names and [offset, length) of the pieces of an optimizer's flat state. */
    static Map<String, long[]> pieces(TrainConfig.OptimizerKind kind, ParameterLayout layout) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long p = layout.size();
        switch (kind) {
            case ADAMW -> {
                m.put("exp_avg", new long[]{0, p});
                m.put("exp_avg_sq", new long[]{p, p});
            }
            case SGD_SAI -> {
                m.put("momentum_buffer", new long[]{0, p});
                m.put("lr_scale", new long[]{p, layout.tensorCount()});
            }
        }
        return m;
    }

    /** Writes {@code <checkpointsDir>/step-N} atomically and returns it. */
    public static Path save(Path checkpointsDir, Trainer trainer, Progress progress, Map<String, ?> configExtras)
            throws IOException {
        return save(checkpointsDir, trainer, progress, configExtras, Map.of());
    }

    /**
     * {@link #save(Path, Trainer, Progress, Map)} with extra files (name → bytes, such as {@code tokenizer.json})
     * written into the directory before it is published, so the checkpoint appears whole.
     */
    public static Path save(Path checkpointsDir, Trainer trainer, Progress progress, Map<String, ?> configExtras,
                            Map<String, byte[]> extraFiles) throws IOException {
        Files.createDirectories(checkpointsDir);
        Path target = checkpointsDir.resolve("step-" + trainer.step());
        Path tmp = Files.createTempDirectory(checkpointsDir, ".tmp-step-" + trainer.step() + "-");
        try {
            LlamaModel model = trainer.model();
            Checkpoints.saveModel(model, tmp, configExtras);
            Optimizer opt = trainer.optimizer();
            boolean f64 = opt.state().dataType() == DataType.DOUBLE;
            Map<String, long[]> pieces = pieces(opt.kind(), model.layout());
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, String> dtypes = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : pieces.entrySet()) {
                shapes.put(e.getKey(), new long[]{e.getValue()[1]});
                dtypes.put(e.getKey(), f64 ? "F64" : "F32");
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("optimizer", opt.kind().id());
            meta.put("state_layout", opt.stateLayout());
            meta.put("parameter_count", Long.toString(model.layout().size()));
            meta.put("step", Long.toString(trainer.step()));
            SafeTensors.write(tmp.resolve(OPTIMIZER_FILE), new ArrayList<>(pieces.keySet()), shapes, dtypes, name -> {
                long[] r = pieces.get(name);
                INDArray v = opt.state().get(NDArrayIndex.interval(r[0], r[0] + r[1]));
                return f64 ? SafeTensors.Tensor.of(new long[]{r[1]}, v.toDoubleVector())
                        : SafeTensors.Tensor.of(new long[]{r[1]}, v.toFloatVector());
            }, meta);
            ObjectNode st = JSON.createObjectNode();
            st.put("step", trainer.step());
            st.put("epoch", progress.epoch());
            st.put("block_in_epoch", progress.blockInEpoch());
            st.put("tokens_seen", progress.tokensSeen());
            st.put("elapsed_s", progress.elapsedSeconds());
            st.put("seed", trainer.config().seed());
            st.put("optimizer", opt.kind().id());
            st.put("producer", "verbo-models " + VERSION);
            st.set("train_config", JSON.valueToTree(trainer.config()));
            st.set("model_config", JSON.valueToTree(model.config()));
            Files.write(tmp.resolve(STATE_FILE), JSON.writeValueAsBytes(st));
            for (Map.Entry<String, byte[]> f : extraFiles.entrySet()) {
                Files.write(tmp.resolve(f.getKey()), f.getValue());
            }
            Checkpoints.publish(tmp, target);
        } catch (IOException | RuntimeException e) {
            Checkpoints.deleteTree(tmp);
            throw e;
        }
        return target;
    }

    /** An optimizer's flat state as read back from its file, with the optimizer's own step count. */
    public record OptimizerState(float[] values, long optimizerStep) {
    }

    /**
     * Writes a float32 optimizer state vector in {@code optimizer.safetensors} layout (named pieces, the optimizer kind
     * and its step count in the metadata): what a distributed worker keeps between rounds.
     */
    public static void writeOptimizerState(Path file, TrainConfig.OptimizerKind kind, ParameterLayout layout, float[] state,
                                           long optimizerStep) throws IOException {
        Map<String, long[]> pieces = pieces(kind, layout);
        long expected = Optimizer.stateSize(kind, layout);
        if (state.length != expected) {
            throw new IllegalArgumentException(kind.id() + " state has " + state.length + " values, expected " + expected);
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        pieces.forEach((name, r) -> {
            shapes.put(name, new long[]{r[1]});
            dtypes.put(name, "F32");
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("optimizer", kind.id());
        meta.put("parameter_count", Long.toString(layout.size()));
        meta.put("optimizer_step", Long.toString(optimizerStep));
        SafeTensors.write(file, new ArrayList<>(pieces.keySet()), shapes, dtypes, name -> {
            long[] r = pieces.get(name);
            return SafeTensors.Tensor.of(new long[]{r[1]},
                    java.util.Arrays.copyOfRange(state, (int) r[0], (int) (r[0] + r[1])));
        }, meta);
    }

    /** Reads what {@link #writeOptimizerState} wrote, checking the optimizer kind and every piece's size. */
    public static OptimizerState readOptimizerState(Path file, TrainConfig.OptimizerKind kind, ParameterLayout layout) {
        float[] state = new float[Math.toIntExact(Optimizer.stateSize(kind, layout))];
        try (SafeTensors.Reader r = new SafeTensors.Reader(file)) {
            String k = r.metadata().getOrDefault("optimizer", "");
            if (!k.equals(kind.id())) {
                throw new CheckpointException(file + " holds " + (k.isEmpty() ? "no" : k) + " optimizer state, the run uses "
                        + kind.id());
            }
            for (Map.Entry<String, long[]> e : pieces(kind, layout).entrySet()) {
                float[] v = r.readFloats(e.getKey());
                if (v.length != e.getValue()[1]) {
                    throw new CheckpointException(file + ": '" + e.getKey() + "' has " + v.length + " values, expected "
                            + e.getValue()[1]);
                }
                System.arraycopy(v, 0, state, (int) e.getValue()[0], v.length);
            }
            return new OptimizerState(state, Long.parseLong(r.metadata().getOrDefault("optimizer_step", "0")));
        }
    }

    /** Restores model, optimizer state, step and data position; {@code config} must use the same optimizer. */
    public static Restored load(Path dir, TrainConfig config) {
        if (!isTrainingCheckpoint(dir)) {
            throw new CheckpointException(dir + " is not a training checkpoint (needs " + STATE_FILE + " and " + OPTIMIZER_FILE + ")");
        }
        JsonNode st;
        try {
            st = JSON.readTree(dir.resolve(STATE_FILE).toFile());
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + dir.resolve(STATE_FILE) + ": " + e.getMessage(), e);
        }
        LlamaModel model = Checkpoints.loadModel(dir);
        String kind = st.path("optimizer").asText();
        if (!kind.equals(config.optimizer().id())) {
            throw new CheckpointException(dir + " was trained with optimizer " + kind + ", the config asks for "
                    + config.optimizer().id() + "; resume with the same optimizer");
        }
        Optimizer opt = Optimizer.create(config, model.layout(), model.dataType());
        try (SafeTensors.Reader r = new SafeTensors.Reader(dir.resolve(OPTIMIZER_FILE))) {
            for (Map.Entry<String, long[]> e : pieces(opt.kind(), model.layout()).entrySet()) {
                SafeTensors.Info info = r.info(e.getKey());
                if (info.shape().length != 1 || info.shape()[0] != e.getValue()[1]) {
                    throw new CheckpointException(r.file() + ": tensor '" + e.getKey() + "' has shape "
                            + java.util.Arrays.toString(info.shape()) + ", expected [" + e.getValue()[1] + "]");
                }
                INDArray target = opt.state().get(NDArrayIndex.interval(e.getValue()[0], e.getValue()[0] + e.getValue()[1]));
                if (model.dataType() == DataType.DOUBLE) {
                    target.assign(Nd4j.createFromArray(r.readDoubles(e.getKey())));
                } else {
                    target.assign(Nd4j.createFromArray(r.readFloats(e.getKey())));
                }
            }
        }
        Trainer trainer = new Trainer(model, config, opt, st.path("step").asLong());
        Progress p = new Progress(st.path("epoch").asLong(), st.path("block_in_epoch").asLong(),
                st.path("tokens_seen").asLong(), st.path("elapsed_s").asDouble());
        return new Restored(trainer, p);
    }

    /** step-N directories under a checkpoints dir, ascending by N. */
    public static List<Path> list(Path checkpointsDir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(checkpointsDir)) {
            return out;
        }
        try (var s = Files.list(checkpointsDir)) {
            s.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isDirectory(p)).forEach(out::add);
        }
        out.sort(java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(5))));
        return out;
    }
}
