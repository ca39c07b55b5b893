package org.verbo.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.ParameterLayout;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Hugging Face-format model checkpoints: {@code model.safetensors} with {@code LlamaForCausalLM} tensor names and
 * {@code config.json}. Loading also accepts hub checkpoints sharded with {@code model.safetensors.index.json} and
 * tensors stored as F16/BF16/F64.
 */
public final class Checkpoints {
    public static final String MODEL_FILE = "model.safetensors";
    public static final String CONFIG_FILE = "config.json";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private Checkpoints() {
    }

    /** Writes model.safetensors and config.json into an existing directory. */
    public static void saveModel(LlamaModel model, Path dir, Map<String, ?> configExtras) throws IOException {
        boolean f64 = model.dataType() == DataType.DOUBLE;
        // A LinkedHashMap, not Map.of: Map.of's iteration order changes from JVM to JVM, and the header bytes with it.
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("producer", "verbo");
        writeFlat(dir.resolve(MODEL_FILE), model.layout(), model.parameters(), f64, meta);
        HfLlamaConfig.write(dir.resolve(CONFIG_FILE), model.config(), f64 ? "float64" : "float32", configExtras);
    }

    /** Writes a flat vector tensor by tensor with the layout's names. */
    public static void writeFlat(Path file, ParameterLayout layout, INDArray flat, boolean f64, Map<String, String> meta)
            throws IOException {
        List<String> names = new ArrayList<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        Map<String, ParameterLayout.Entry> entries = new LinkedHashMap<>();
        for (ParameterLayout.Entry e : layout.entries()) {
            names.add(e.name());
            shapes.put(e.name(), e.shape());
            dtypes.put(e.name(), f64 ? "F64" : "F32");
            entries.put(e.name(), e);
        }
        SafeTensors.write(file, names, shapes, dtypes, name -> {
            ParameterLayout.Entry e = entries.get(name);
            INDArray v = flat.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size()));
            return f64 ? SafeTensors.Tensor.of(e.shape(), v.toDoubleVector()) : SafeTensors.Tensor.of(e.shape(), v.toFloatVector());
        }, meta);
    }

    /** Loads config.json + weights into a new float32 model. */
    public static LlamaModel loadModel(Path dir) {
        return loadModel(dir, DataType.FLOAT);
    }

    public static LlamaModel loadModel(Path dir, DataType dtype) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("checkpoint directory " + dir + " does not exist");
        }
        Path cfgFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(cfgFile)) {
            throw new CheckpointException("checkpoint " + dir + " has no " + CONFIG_FILE);
        }
        ModelConfig config = HfLlamaConfig.read(cfgFile);
        INDArray flat = Nd4j.create(dtype, ParameterLayout.of(config).size());
        readInto(dir, ParameterLayout.of(config), flat);
        return LlamaModel.withParameters(config, flat);
    }

    /** The safetensors files of a checkpoint: model.safetensors, or the shards named by the index. */
    static List<Path> weightFiles(Path dir) {
        Path single = dir.resolve(MODEL_FILE);
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            try {
                JsonNode map = new ObjectMapper().readTree(index.toFile()).get("weight_map");
                if (map == null) {
                    throw new CheckpointException(index + " has no weight_map");
                }
                List<Path> files = new ArrayList<>();
                map.fields().forEachRemaining(f -> {
                    Path p = dir.resolve(f.getValue().asText());
                    if (!files.contains(p)) {
                        files.add(p);
                    }
                });
                return files;
            } catch (IOException e) {
                throw new CheckpointException("cannot read " + index + ": " + e.getMessage(), e);
            }
        }
        if (Files.exists(dir.resolve("pytorch_model.bin"))) {
            throw new CheckpointException(dir + " holds pytorch_model.bin only; convert it to safetensors first "
                    + "(transformers: model.save_pretrained(dir, safe_serialization=True))");
        }
        throw new CheckpointException("checkpoint " + dir + " has no " + MODEL_FILE + " or " + INDEX_FILE);
    }

    /**
     * Fills {@code flat} from the checkpoint's tensors, checking every expected name and shape. Extra tensors
     * (e.g. rotary_emb.inv_freq in old exports) are ignored; a tied model also accepts a file with lm_head.weight.
     */
    public static void readInto(Path dir, ParameterLayout layout, INDArray flat) {
        List<SafeTensors.Reader> readers = new ArrayList<>();
        try {
            for (Path f : weightFiles(dir)) {
                readers.add(new SafeTensors.Reader(f));
            }
            for (ParameterLayout.Entry e : layout.entries()) {
                SafeTensors.Reader r = readers.stream().filter(x -> x.contains(e.name())).findFirst().orElse(null);
                if (r == null) {
                    throw new CheckpointException("checkpoint " + dir + " is missing tensor '" + e.name() + "' (expected shape "
                            + Arrays.toString(e.shape()) + ")");
                }
                SafeTensors.Info info = r.info(e.name());
                if (!Arrays.equals(info.shape(), e.shape())) {
                    throw new CheckpointException(r.file() + ": tensor '" + e.name() + "' has shape " + Arrays.toString(info.shape())
                            + " but config.json implies " + Arrays.toString(e.shape()));
                }
                INDArray target = flat.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size()));
                if (flat.dataType() == DataType.DOUBLE) {
                    target.assign(Nd4j.createFromArray(r.readDoubles(e.name())));
                } else {
                    target.assign(Nd4j.createFromArray(r.readFloats(e.name())).castTo(flat.dataType()));
                }
            }
        } finally {
            readers.forEach(SafeTensors.Reader::close);
        }
    }

    /**
     * Atomically publishes a finished temp directory as {@code target}: a crash leaves either the old state or
     * the whole new checkpoint, never a half one. An existing target is replaced.
     */
    public static void publish(Path tmp, Path target) throws IOException {
        if (Files.exists(target)) {
            Path old = target.resolveSibling("." + target.getFileName() + ".old-" + System.nanoTime());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            move(tmp, target);
            deleteTree(old);
        } else {
            move(tmp, target);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
