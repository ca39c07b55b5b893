package org.verbo.models.bench;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.verbo.models.LlamaModel;
import org.verbo.models.ModelConfig;
import org.verbo.models.SamplingConfig;
import org.verbo.models.Workspaces;
import org.verbo.models.io.Checkpoints;
import org.verbo.models.nn.BatchedMatmul;
import org.verbo.models.nn.Kernels;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;

/**
 * Autoregressive greedy decoding with the KV cache, the verbo side of {@code scripts/bench.sh generate} (the PyTorch
 * side is {@code scripts/bench/train_torch.py --generate DIR}).
 *
 * <p>{@code GenerateBench write --dir=DIR [--preset=bench-7m] [--prompt=64]} writes a seeded checkpoint (weights
 * drawn with seed 123 and scaled by 5 as {@link ParityDump} does, so attention and RoPE matter and greedy decoding
 * does not sit on near-ties) and a seeded prompt ({@code prompt.bin}, int32 LE, seed 5).
 *
 * <p>{@code GenerateBench run --dir=DIR [--new=192] [--warmup=3]} loads them, runs {@code warmup} whole untimed
 * generations (the Vector API kernels and the loop need C2; three generations are about 580 {@code forwardCached}
 * calls, each running every kernel once per layer), then one timed generation: prefill = one {@code forwardCached} over the prompt plus the argmax of
 * its logits (the first new token); decode = the remaining new-1 steps of one {@code forwardCached} over the last
 * token plus the argmax. Prints one JSON line with both times and the generated ids, and checks the timed loop
 * against {@link LlamaModel#generate} (the same ids, or it fails).
 */
@SuppressWarnings("try")   // workspace scopes are opened for their side effect only
public final class GenerateBench {
    private GenerateBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0 || !(args[0].equals("write") || args[0].equals("run") || args[0].equals("profile"))) {
            usage();
        }
        String preset = "bench-7m";
        Path dir = null;
        int prompt = 64;
        int fresh = 192;
        int warmup = 3;
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].replaceFirst("^--", "").split("=", 2);
            if (kv.length != 2) {
                usage();
            }
            switch (kv[0]) {
                case "preset" -> preset = kv[1];
                case "dir" -> dir = Path.of(kv[1]);
                case "prompt" -> prompt = Integer.parseInt(kv[1]);
                case "new" -> fresh = Integer.parseInt(kv[1]);
                case "warmup" -> warmup = Integer.parseInt(kv[1]);
                default -> usage();
            }
        }
        if (dir == null || prompt < 1 || fresh < 1 || warmup < 0) {
            usage();
        }
        if (args[0].equals("write")) {
            write(ModelConfig.preset(preset), dir, prompt);
        } else if (args[0].equals("profile")) {
            profile(dir, fresh, warmup);
        } else {
            run(dir, fresh, warmup);
        }
    }

    private static void usage() {
        System.err.println("usage: GenerateBench write --dir=DIR [--preset=bench-7m] [--prompt=64]\n"
                + "       GenerateBench run --dir=DIR [--new=192] [--warmup=3]\n"
                + "       GenerateBench profile --dir=DIR [--new=192] [--warmup=3]");
        System.exit(2);
    }

    static void write(ModelConfig mc, Path dir, int promptLen) throws IOException {
        LlamaModel model = LlamaModel.initialize(mc, 123);
        model.parameters().muli(5);
        Files.createDirectories(dir);
        Checkpoints.saveModel(model, dir, null);
        Random rng = new Random(5);
        ByteBuffer tb = ByteBuffer.allocate(4 * promptLen).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < promptLen; i++) {
            tb.putInt(rng.nextInt(mc.vocabSize()));
        }
        Files.write(dir.resolve("prompt.bin"), tb.array());
        System.out.println("wrote " + dir);
    }

    static void run(Path dir, int fresh, int warmup) throws IOException {
        LlamaModel model = Checkpoints.loadModel(dir);
        ByteBuffer pb = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("prompt.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        int[] prompt = new int[pb.remaining() / 4];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = pb.getInt();
        }
        if (prompt.length + fresh > model.config().contextLength()) {
            throw new IllegalArgumentException("prompt " + prompt.length + " + new " + fresh
                    + " exceeds the context length " + model.config().contextLength());
        }
        for (int w = 0; w < warmup; w++) {
            generate(model, prompt, fresh, null);
        }
        BatchedMatmul.shapeStats(true);
        long[] nanos = new long[2];
        int[] ids = generate(model, prompt, fresh, nanos);
        Map<String, long[]> gemms = BatchedMatmul.shapeStats(true);
        int[] api = model.generate(prompt, SamplingConfig.greedy(fresh), -1);
        if (!Arrays.equals(api, ids)) {
            throw new IllegalStateException("the timed loop and LlamaModel.generate disagree: " + Arrays.toString(ids)
                    + " vs " + Arrays.toString(api));
        }
        double prefill = nanos[0] / 1e9;
        double decode = nanos[1] / 1e9;
        StringJoiner idList = new StringJoiner(",", "[", "]");
        for (int id : ids) {
            idList.add(Integer.toString(id));
        }
        if (BatchedMatmul.STATS) {
            gemms.forEach((shape, s) -> System.err.printf(Locale.ROOT, "gemm %-40s %6d calls %8.1f us/call%n", shape,
                    s[2], s[0] / 1e3 / Math.max(1, s[2])));
        }
        System.out.printf(Locale.ROOT, "{\"engine\": \"verbo/ND4J %s, %s\", \"prompt\": %d, \"new\": %d, "
                        + "\"warmup_generations\": %d, \"prefill_s\": %.6f, \"decode_s\": %.6f, "
                        + "\"decode_tokens_per_s\": %.2f, \"tokens\": %s}%n",
                Nd4j.getBackend().getClass().getSimpleName(), Kernels.describe(), prompt.length, fresh, warmup,
                prefill, decode, (fresh - 1) / decode, idList);
    }

    /**
     * Where a decode step's time goes: the step time of {@link #run}'s loop beside the matrix-vector products it makes
     * (one {@code cblas_sgemv} per projection and the LM head, timed alone on the model's own weights, median of 300
     * calls), so the rest (kernels, JNI, Java) is the difference. Per layer: q|k|v, o, gate|up, down.
     */
    static void profile(Path dir, int fresh, int warmup) throws IOException {
        LlamaModel model = Checkpoints.loadModel(dir);
        ModelConfig mc = model.config();
        ByteBuffer pb = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("prompt.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        int[] prompt = new int[pb.remaining() / 4];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = pb.getInt();
        }
        for (int w = 0; w < warmup; w++) {
            generate(model, prompt, fresh, null);
        }
        long[] nanos = new long[2];
        double[] step = new double[5];
        double[] prefill = new double[5];
        for (int r = 0; r < step.length; r++) {
            generate(model, prompt, fresh, nanos);
            step[r] = nanos[1] / 1e3 / (fresh - 1);
            prefill[r] = nanos[0] / 1e3;
        }
        Arrays.sort(step);
        Arrays.sort(prefill);
        Gemv head = new Gemv(model.parameter(mc.tiedEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight"),
                mc.vocabSize(), mc.hiddenSize(), 1);
        List<Gemv> perLayer = projections(model, 1);
        List<Gemv> prefillProducts = projections(model, prompt.length);
        prefillProducts.add(head);
        double[] pre = new double[30];
        for (int r = 0; r < pre.length; r++) {
            long t0 = System.nanoTime();
            for (Gemv g : prefillProducts) {
                g.run();
            }
            pre[r] = (System.nanoTime() - t0) / 1e3;
        }
        Arrays.sort(pre);
        // all products of one step in the step's order, so the weights stream through the caches as in decoding
        double[] seq = new double[200];
        double[] hot = new double[200];
        for (int r = 0; r < seq.length; r++) {
            long t0 = System.nanoTime();
            for (Gemv g : perLayer) {
                g.run();
            }
            head.run();
            seq[r] = (System.nanoTime() - t0) / 1e3;
            t0 = System.nanoTime();
            perLayer.get(2).run();   // one gate|up product again right after itself: its weights are in cache
            hot[r] = (System.nanoTime() - t0) / 1e3;
        }
        Arrays.sort(seq);
        Arrays.sort(hot);
        double gemvs = seq[seq.length / 2];
        System.out.printf(Locale.ROOT, "decode step (median of 5 generations): %.1f us%n", step[2]);
        System.out.printf(Locale.ROOT, "the step's %d sgemv calls alone, in step order (median of 200): %.1f us (%.0f%% of "
                + "the step); rest (norms, RoPE, attention, residuals, JNI, logits copy, argmax): %.1f us; one "
                + "gate|up sgemv with its weights in cache: %.1f us%n", perLayer.size() + 1, gemvs,
                100 * gemvs / step[2], step[2] - gemvs, hot[hot.length / 2]);
        System.out.printf(Locale.ROOT, "prefill of %d tokens (median of 5): %.1f us; its %d products alone (sgemm, the LM "
                + "head on the last row only; median of 30): %.1f us; rest %.1f us%n", prompt.length, prefill[2],
                prefillProducts.size(), pre[pre.length / 2], prefill[2] - pre[pre.length / 2]);
    }

    /** Each layer's q|k|v, o, gate|up and down products for t tokens, in layer order. */
    private static List<Gemv> projections(LlamaModel model, int t) {
        ModelConfig mc = model.config();
        int c = mc.hiddenSize();
        int qkv = (mc.numHeads() + 2 * mc.numKvHeads()) * mc.headDim();
        int hd = mc.numHeads() * mc.headDim();
        List<Gemv> out = new ArrayList<>();
        for (int l = 0; l < mc.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            out.add(new Gemv(model.parameter(p + "self_attn.q_proj.weight"), qkv, c, t));
            out.add(new Gemv(model.parameter(p + "self_attn.o_proj.weight"), c, hd, t));
            out.add(new Gemv(model.parameter(p + "mlp.gate_proj.weight"), 2 * mc.ffnSize(), c, t));
            out.add(new Gemv(model.parameter(p + "mlp.down_proj.weight"), c, mc.ffnSize(), t));
        }
        return out;
    }

    /**
     * Y [t, rows] = X [t, cols] W^T with W [rows, cols] starting at w's first element (rows may span adjacent tensors:
     * q|k|v, gate|up), as the decode kernels call it: sgemv for one token, sgemm otherwise.
     */
    private record Gemv(org.bytedeco.javacpp.FloatPointer w, org.bytedeco.javacpp.FloatPointer x,
                        org.bytedeco.javacpp.FloatPointer y, int rows, int cols, int t) {
        Gemv(INDArray w, int rows, int cols, int t) {
            this(new org.bytedeco.javacpp.FloatPointer(w.data().addressPointer()),   // a view's buffer starts at its offset
                    new org.bytedeco.javacpp.FloatPointer((long) t * cols),
                    new org.bytedeco.javacpp.FloatPointer((long) t * rows), rows, cols, t);
        }

        void run() {
            int rm = org.bytedeco.openblas.global.openblas.CblasRowMajor;
            int nt = org.bytedeco.openblas.global.openblas.CblasNoTrans;
            if (t == 1) {
                org.bytedeco.openblas.global.openblas.cblas_sgemv(rm, nt, rows, cols, 1f, w, cols, x, 1, 0f, y, 1);
            } else {
                org.bytedeco.openblas.global.openblas.cblas_sgemm(rm, nt, org.bytedeco.openblas.global.openblas.CblasTrans,
                        t, rows, cols, 1f, x, cols, w, cols, 0f, y, rows);
            }
        }
    }

    /**
     * Greedy decoding as {@code Sampler.generate} does it (one workspace scope per call, argmax of the logits), timed
     * in two parts when nanos is given: {prefill, decode}.
     */
    static int[] generate(LlamaModel model, int[] prompt, int fresh, long[] nanos) {
        LlamaModel.KvCache cache = model.newCache();
        int[] out = new int[fresh];
        long t0 = System.nanoTime();
        try (var ws = Workspaces.step("verbo-generate")) {
            out[0] = argmax(model.forwardCached(prompt, cache));
        }
        long t1 = System.nanoTime();
        for (int i = 1; i < fresh; i++) {
            try (var ws = Workspaces.step("verbo-generate")) {
                out[i] = argmax(model.forwardCached(new int[]{out[i - 1]}, cache));
            }
        }
        long t2 = System.nanoTime();
        if (nanos != null) {
            nanos[0] = t1 - t0;
            nanos[1] = t2 - t1;
        }
        return out;
    }

    /** First index of the largest logit (Sampler's greedy rule). */
    private static int argmax(INDArray logits) {
        float[] z = logits.toFloatVector();
        int best = 0;
        for (int i = 1; i < z.length; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }
}
