package org.verbo.embeddings.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.verbo.embeddings.io.EmbeddingCheckpoint;
import org.verbo.embeddings.model.EmbeddingConfig;
import org.verbo.embeddings.model.EmbeddingModel;
import org.verbo.embeddings.model.PoolingKind;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Encoding throughput of {@link EmbeddingModel#encode} (bidirectional decoder + pooling + L2 norm), the Java half of
 * {@code scripts/bench.sh embed}; {@code scripts/bench/embed_torch.py} is the PyTorch half on the same files.
 * <pre>
 *   EmbedBench setup --out=DIR [--preset=bench-7m] [--short=40] [--short-texts=256] [--long=200] [--long-texts=48]
 *       writes DIR/model-{mean,latent_attention}/ (EmbeddingCheckpoint, one seeded decoder shared by both),
 *       DIR/texts-{short,long}.bin (seeded token ids, lengths uniform in [0.75 L, 1.25 L]) and
 *       DIR/parity-{pooling}-{set}.bin (verbo's embeddings of the first 8 texts, float32 LE [8, C])
 *   EmbedBench time --out=DIR --json=FILE [--batch=16] [--warmup=1] [--passes=3]
 *       encodes every text set with every model: warm-up passes over all settings, then timed passes; one JSON object;
 *       {@code --only=latent_attention/short_by_length} runs that one setting (for profiling)
 * </pre>
 * Texts file: int32 LE count, then per text int32 LE length and its ids. Not a test: a benchmark main.
 */
public final class EmbedBench {
    static final String[] POOLINGS = {"mean", "latent_attention"};
    /** short_by_length: the short texts sorted by length (stable), batched as {@code verbo embed} batches a partition. */
    static final String[] SETS = {"short", "long", "short_by_length"};
    static final int PARITY_TEXTS = 8;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EmbedBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0 || !(args[0].equals("setup") || args[0].equals("time"))) {
            usage();
        }
        Map<String, String> o = BenchArgs.parse(Arrays.asList(args).subList(1, args.length),
                args[0].equals("setup") ? List.of("out") : List.of("out", "json")).orElse(null);
        if (o == null) {
            usage();
            return;
        }
        Path out = Path.of(o.get("out"));
        if (args[0].equals("setup")) {
            setup(out, o.getOrDefault("preset", "bench-7m"), Integer.parseInt(o.getOrDefault("short", "40")),
                    Integer.parseInt(o.getOrDefault("short-texts", "256")), Integer.parseInt(o.getOrDefault("long", "200")),
                    Integer.parseInt(o.getOrDefault("long-texts", "48")));
        } else {
            time(out, Path.of(o.get("json")), Integer.parseInt(o.getOrDefault("batch", "16")),
                    Integer.parseInt(o.getOrDefault("warmup", "1")), Integer.parseInt(o.getOrDefault("passes", "3")),
                    o.get("only"));
        }
    }

    private static void usage() {
        System.err.println("usage: EmbedBench setup --out=DIR [--preset=bench-7m] [--short=40] [--short-texts=256] "
                + "[--long=200] [--long-texts=48]\n       EmbedBench time --out=DIR --json=FILE [--batch=16] "
                + "[--warmup=1] [--passes=3] [--only=POOLING/SET]");
        System.exit(2);
    }

    static void setup(Path out, String preset, int shortLen, int shortTexts, int longLen, int longTexts)
            throws IOException {
        ModelConfig mc = ModelConfig.preset(preset);
        Files.createDirectories(out);
        Random rng = new Random(7);
        List<int[]> shortTexts0 = texts(rng, shortTexts, shortLen, mc.vocabSize());
        List<int[]> byLength = new ArrayList<>(shortTexts0);
        byLength.sort(java.util.Comparator.comparingInt(t -> t.length));   // stable: ties keep their order
        Map<String, List<int[]>> sets = Map.of("short", shortTexts0,
                "long", texts(new Random(8), longTexts, longLen, mc.vocabSize()), "short_by_length", byLength);
        for (String s : SETS) {
            writeTexts(out.resolve("texts-" + s + ".bin"), sets.get(s));
        }
        for (String p : POOLINGS) {
            LlamaModel decoder = LlamaModel.initialize(mc, 123);
            // larger weights than at init make attention and RoPE matter in the hidden states (as ParityDump does)
            decoder.parameters().muli(5);
            EmbeddingConfig cfg = EmbeddingConfig.nvEmbed(mc).withPooling(PoolingKind.parse(p));
            EmbeddingModel model = EmbeddingModel.create(decoder, cfg, 11);
            EmbeddingCheckpoint.save(model, out.resolve("model-" + p), Map.of("source", "EmbedBench setup",
                    "preset", preset, "decoder_seed", 123, "pooling_seed", 11, "decoder_scale", 5), List.of());
            for (String s : SETS) {
                List<int[]> first = sets.get(s).subList(0, PARITY_TEXTS);
                float[][] e = model.encode(first, Collections.nCopies(first.size(), 0));
                writeFloats(out.resolve("parity-" + p + "-" + s + ".bin"), e);
            }
        }
        System.out.println("wrote " + out);
    }

    static void time(Path out, Path json, int batch, int warmup, int passes, String only) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("engine", "verbo (ND4J " + org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName()
                + ", Java " + System.getProperty("java.version") + ", " + org.verbo.models.nn.Kernels.describe() + ")");
        root.put("threads", Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS",
                String.valueOf(Runtime.getRuntime().availableProcessors()))));
        root.put("batch", batch);
        ArrayNode runs = root.putArray("runs");
        Map<String, EmbeddingModel> models = new java.util.LinkedHashMap<>();
        Map<String, List<int[]>> sets = new java.util.LinkedHashMap<>();
        for (String p : POOLINGS) {
            models.put(p, EmbeddingCheckpoint.load(out.resolve("model-" + p)));
        }
        for (String s : SETS) {
            sets.put(s, readTexts(out.resolve("texts-" + s + ".bin")));
        }
        // warm-up over every setting before any timing: C2 compiles the SIMD kernels during the first few hundred
        // calls, and a per-setting warm-up left the first setting timed half-compiled (0.7x in a first run, ~1x later)
        for (int i = 0; i < warmup; i++) {
            for (String p : POOLINGS) {
                for (String s : SETS) {
                    if (only != null && !only.equals(p + "/" + s)) {
                        continue;
                    }
                    models.get(p).encode(sets.get(s), Collections.nCopies(sets.get(s).size(), 0), batch);
                }
            }
        }
        for (String p : POOLINGS) {
            EmbeddingModel model = models.get(p);
            for (String s : SETS) {
                if (only != null && !only.equals(p + "/" + s)) {
                    continue;
                }
                List<int[]> texts = sets.get(s);
                List<Integer> instr = Collections.nCopies(texts.size(), 0);
                ArrayNode secs = JSON.createArrayNode();
                for (int i = 0; i < passes; i++) {
                    long t0 = System.nanoTime();
                    model.encode(texts, instr, batch);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    secs.add(sec);
                    System.err.printf("verbo %s %s pass %d: %.3f s, %.0f texts/s%n", p, s, i, sec, texts.size() / sec);
                }
                ObjectNode r = runs.addObject();
                r.put("pooling", p);
                r.put("set", s);
                r.put("texts", texts.size());
                r.put("tokens", texts.stream().mapToLong(t -> t.length).sum());
                r.put("padded_tokens", paddedTokens(texts, batch));
                r.set("pass_seconds", secs);
            }
        }
        Files.createDirectories(json.toAbsolutePath().getParent());
        JSON.writeValue(json.toFile(), root);
    }

    /** Texts with lengths uniform in [0.75 L, 1.25 L], ids uniform over the vocabulary (seeded). */
    static List<int[]> texts(Random rng, int n, int len, int vocab) {
        List<int[]> out = new ArrayList<>(n);
        int lo = Math.max(1, (int) Math.round(0.75 * len));
        int hi = (int) Math.round(1.25 * len);
        for (int i = 0; i < n; i++) {
            int[] t = new int[lo + rng.nextInt(hi - lo + 1)];
            for (int j = 0; j < t.length; j++) {
                t[j] = rng.nextInt(vocab);
            }
            out.add(t);
        }
        return out;
    }

    /** Tokens the decoder runs over: each batch is right-padded to its longest text. */
    static long paddedTokens(List<int[]> texts, int batch) {
        long n = 0;
        for (int from = 0; from < texts.size(); from += batch) {
            int to = Math.min(texts.size(), from + batch);
            n += (long) (to - from) * texts.subList(from, to).stream().mapToInt(t -> t.length).max().orElse(0);
        }
        return n;
    }

    static void writeTexts(Path file, List<int[]> texts) throws IOException {
        try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
            o.writeInt(Integer.reverseBytes(texts.size()));
            for (int[] t : texts) {
                o.writeInt(Integer.reverseBytes(t.length));
                for (int id : t) {
                    o.writeInt(Integer.reverseBytes(id));
                }
            }
        }
    }

    static List<int[]> readTexts(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            int n = Integer.reverseBytes(in.readInt());
            List<int[]> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int[] t = new int[Integer.reverseBytes(in.readInt())];
                for (int j = 0; j < t.length; j++) {
                    t[j] = Integer.reverseBytes(in.readInt());
                }
                out.add(t);
            }
            return out;
        }
    }

    static void writeFloats(Path file, float[][] rows) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * rows.length * rows[0].length).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] r : rows) {
            for (float f : r) {
                b.putFloat(f);
            }
        }
        Files.write(file, b.array());
    }
}
