package org.verbo.models;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.verbo.models.nn.AttentionMask;
import org.verbo.models.nn.AttentionMode;
import org.verbo.models.nn.BatchedMatmul;
import org.verbo.models.nn.CausalSelfAttention;
import org.verbo.models.nn.CrossEntropyLoss;
import org.verbo.models.nn.DecodeScratch;
import org.verbo.models.nn.DecoderBlock;
import org.verbo.models.nn.Embedding;
import org.verbo.models.nn.Kernels;
import org.verbo.models.nn.Param;
import org.verbo.models.nn.RmsNorm;
import org.verbo.models.nn.RotaryEmbedding;
import org.verbo.models.nn.SwiGluFeedForward;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Llama-style decoder-only transformer (HF {@code LlamaForCausalLM}): token embedding, N pre-norm
 * {@link DecoderBlock}s, final RMSNorm, LM head. All parameters live in one flat vector laid out by
 * {@link ParameterLayout}; gradients live in a second flat vector with the same layout. Not thread-safe:
 * one forward, then its backward.
 *
 * <p>Besides the language model ({@link #logits}, {@link #meanLossAndBackward}) the decoder runs as an encoder:
 * {@link #hiddenStates} returns the final-norm hidden states without the LM head, causal or bidirectional, over
 * right-padded batches, and {@link #hiddenStatesBackward} takes a gradient on them (NV-Embed's latent attention
 * pooling and contrastive loss live in the embeddings module and start from here).
 */
@SuppressWarnings("try")   // workspace scopes are opened for their side effect only
public final class LlamaModel {
    private final ModelConfig config;
    private final ParameterLayout layout;
    private final DataType dtype;
    private final INDArray params;         // [P]
    private INDArray grads;                // [P], allocated on first backward
    private final Map<String, Param> byName = new LinkedHashMap<>();
    /** Views spanning adjacent tensors (q|k|v, gate|up) for fused projections, with their [offset, rows, cols]. */
    private final Map<Param, long[]> fused = new LinkedHashMap<>();
    private final Embedding embedding;
    private final List<DecoderBlock> blocks = new ArrayList<>();
    private final RmsNorm finalNorm;
    private final Param lmHead;
    private final RotaryEmbedding rope;

    // forward cache for backward
    private INDArray finalHidden;          // [N, C]
    private long[] encoded;                // {B, T} of the last hiddenStates forward, null after a logits forward

    private LlamaModel(ModelConfig config, INDArray params) {
        this.config = config;
        this.layout = ParameterLayout.of(config);
        if (params.rank() != 1 || params.length() != layout.size()) {
            throw new IllegalArgumentException("flat parameter vector has " + params.length() + " values, config needs "
                    + layout.size());
        }
        this.dtype = params.dataType();
        this.params = params;
        for (ParameterLayout.Entry e : layout.entries()) {
            byName.put(e.name(), new Param(e.name(), view(params, e)));
        }
        this.rope = new RotaryEmbedding(config.headDim(), config.contextLength(), config.ropeTheta(), dtype);
        this.embedding = new Embedding(byName.get("model.embed_tokens.weight"));
        for (int l = 0; l < config.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            long qkvRows = (long) (config.numHeads() + 2 * config.numKvHeads()) * config.headDim();
            CausalSelfAttention attn = new CausalSelfAttention(byName.get(p + "self_attn.q_proj.weight"),
                    byName.get(p + "self_attn.k_proj.weight"), byName.get(p + "self_attn.v_proj.weight"),
                    byName.get(p + "self_attn.o_proj.weight"), config.numHeads(), config.numKvHeads(), rope,
                    fusedView(p + "self_attn.qkv_proj(fused)", p + "self_attn.q_proj.weight", qkvRows));
            SwiGluFeedForward mlp = new SwiGluFeedForward(byName.get(p + "mlp.gate_proj.weight"),
                    byName.get(p + "mlp.up_proj.weight"), byName.get(p + "mlp.down_proj.weight"),
                    fusedView(p + "mlp.gate_up_proj(fused)", p + "mlp.gate_proj.weight", 2L * config.ffnSize()));
            blocks.add(new DecoderBlock(new RmsNorm(byName.get(p + "input_layernorm.weight"), config.normEps()), attn,
                    new RmsNorm(byName.get(p + "post_attention_layernorm.weight"), config.normEps()), mlp));
        }
        this.finalNorm = new RmsNorm(byName.get("model.norm.weight"), config.normEps());
        this.lmHead = config.tiedEmbeddings() ? embedding.weight() : byName.get("lm_head.weight");
    }

    /**
     * A [rows, hidden] parameter viewing consecutive tensors of the layout that start at {@code first} (q, k, v and
     * gate, up are adjacent with the same column count), so their projections run as one GEMM.
     */
    private Param fusedView(String name, String first, long rows) {
        ParameterLayout.Entry e = layout.entries().stream().filter(x -> x.name().equals(first)).findFirst()
                .orElseThrow();
        long[] spec = {e.offset(), rows, config.hiddenSize()};
        Param fusedParam = new Param(name, fusedSlice(params, spec));
        fused.put(fusedParam, spec);
        return fusedParam;
    }

    private static INDArray fusedSlice(INDArray flat, long[] spec) {
        return flat.get(NDArrayIndex.interval(spec[0], spec[0] + spec[1] * spec[2])).reshape('c', spec[1], spec[2]);
    }

    /** A row-major view of one tensor inside a flat vector. */
    static INDArray view(INDArray flat, ParameterLayout.Entry e) {
        return flat.get(NDArrayIndex.interval(e.offset(), e.offset() + e.size())).reshape('c', e.shape());
    }

    /** New float32 model, weights drawn from N(0, 0.02) (HF {@code initializer_range}), norms at 1. */
    public static LlamaModel initialize(ModelConfig config, long seed) {
        return initialize(config, seed, DataType.FLOAT);
    }

    public static LlamaModel initialize(ModelConfig config, long seed, DataType dtype) {
        ParameterLayout layout = ParameterLayout.of(config);
        INDArray flat = Nd4j.create(dtype, layout.size());
        Random rng = new Random(seed);
        for (ParameterLayout.Entry e : layout.entries()) {
            double[] values = new double[Math.toIntExact(e.size())];
            boolean norm = e.name().endsWith("norm.weight");
            for (int i = 0; i < values.length; i++) {
                values[i] = norm ? 1.0 : 0.02 * rng.nextGaussian();
            }
            view(flat, e).assign(Nd4j.createFromArray(values).castTo(dtype).reshape('c', e.shape()));
        }
        return new LlamaModel(config, flat);
    }

    /** A model over the given flat parameter vector (shared, not copied). */
    public static LlamaModel withParameters(ModelConfig config, INDArray flatParams) {
        return new LlamaModel(config, flatParams);
    }

    /** Loads a Hugging Face Llama checkpoint directory (config.json + model.safetensors). */
    public static LlamaModel load(Path checkpointDir) {
        return org.verbo.models.io.Checkpoints.loadModel(checkpointDir);
    }

    public ModelConfig config() {
        return config;
    }

    public ParameterLayout layout() {
        return layout;
    }

    public DataType dataType() {
        return dtype;
    }

    /** The live flat parameter vector [P] (writes change the model). */
    public INDArray parameters() {
        return params;
    }

    /** A live view of one named parameter tensor. */
    public INDArray parameter(String name) {
        Param p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return p.value();
    }

    /** The live flat gradient vector [P] (allocated on first use). */
    public INDArray gradients() {
        if (grads == null) {
            try (var ws = Workspaces.outside()) {
                grads = Nd4j.zeros(dtype, layout.size());
            }
            for (ParameterLayout.Entry e : layout.entries()) {
                byName.get(e.name()).bindGrad(view(grads, e));
            }
            fused.forEach((param, spec) -> param.bindGrad(fusedSlice(grads, spec)));
        }
        return grads;
    }

    public void zeroGradients() {
        Kernels.zero(gradients());
    }

    /** Forward pass: tokens [B*T] (row-major, b-major) -> logits [B*T, V]; the blocks keep what backward needs. */
    public INDArray logits(int[] tokens, int batch, int len) {
        return logits(tokens, batch, len, true);
    }

    /**
     * Forward pass for inference (evaluation, benchmarks): the same logits as {@link #logits(int[], int, int)}, but
     * inside a step workspace each block runs in a nested workspace that the next block reuses, so a batch's
     * activations take one layer's memory instead of all layers' (batch 32 x 256 at bench-7m: about 200 MB a layer).
     * No backward may follow; one that tries is refused.
     */
    public INDArray inferenceLogits(int[] tokens, int batch, int len) {
        return logits(tokens, batch, len, false);
    }

    private INDArray logits(int[] tokens, int batch, int len, boolean keepForBackward) {
        INDArray h = finalHidden(tokens, batch, len, keepForBackward);   // [N, C]
        return BatchedMatmul.gemm(h, lmHead.value(), null, false, true, 1.0, 0.0);   // [N, V]
    }

    /** The blocks and the final norm: [N, C], the LM head's input. */
    private INDArray finalHidden(int[] tokens, int batch, int len, boolean keepForBackward) {
        if (tokens.length != batch * len) {
            throw new IllegalArgumentException("expected " + batch * len + " tokens, got " + tokens.length);
        }
        if (len > config.contextLength()) {
            throw new IllegalArgumentException("sequence of " + len + " exceeds context length " + config.contextLength());
        }
        encoded = null;
        finalHidden = null;
        INDArray x = embedding.forward(tokens);                 // [N, C]
        org.nd4j.linalg.api.memory.MemoryWorkspace step = keepForBackward ? null
                : Nd4j.getMemoryManager().getCurrentWorkspace();
        for (DecoderBlock block : blocks) {
            INDArray in = x;
            x = Workspaces.nested(step, "verbo-block-forward", () -> block.forward(in, batch, len));   // [N, C]
        }
        INDArray h = finalNorm.forward(x);                      // [N, C]
        if (keepForBackward) {
            finalHidden = h;
        }
        return h;
    }

    /** Loss without gradients. */
    public CrossEntropyLoss.Result loss(Batch batch) {
        INDArray logits = inferenceLogits(batch.inputs(), batch.batchSize(), batch.seqLen());
        return CrossEntropyLoss.compute(logits, batch.targets(), 0.0);
    }

    /**
     * Forward and backward; gradients of {@code gradScale * (sum of token losses)} are ADDED to
     * {@link #gradients()}. Use gradScale = 1 / (tokens * accumulation steps) for a mean loss.
     */
    public CrossEntropyLoss.Result lossAndBackward(Batch batch, double gradScale) {
        gradients();
        INDArray h = finalHidden(batch.inputs(), batch.batchSize(), batch.seqLen(), true);   // [N, C]
        // the LM head's product and the loss in one (the logits are never stored where the packed GEMM takes it)
        CrossEntropyLoss.Result r = CrossEntropyLoss.headLoss(h, lmHead.value(), batch.targets(), gradScale);
        backward(r.dlogits());
        return new CrossEntropyLoss.Result(r.lossSum(), r.tokens(), null);
    }

    /** Mean-loss variant: scales by the batch's own counted tokens. */
    public double meanLossAndBackward(Batch batch, double extraScale) {
        long counted = 0;
        for (int t : batch.targets()) {
            if (t >= 0) {
                counted++;
            }
        }
        if (counted == 0) {
            return 0.0;
        }
        CrossEntropyLoss.Result r = lossAndBackward(batch, extraScale / counted);
        return r.meanLoss();
    }

    private void backward(INDArray dlogits) {
        if (finalHidden == null) {
            throw new IllegalStateException("backward needs a logits forward that kept its activations, not an "
                    + "inferenceLogits or hiddenStates one");
        }
        BatchedMatmul.gemm(dlogits, finalHidden, lmHead.grad(), true, false, 1.0, 1.0);   // dW_head += dlogits^T h [V, C]
        INDArray dx = BatchedMatmul.gemm(dlogits, lmHead.value(), null, false, false, 1.0, 0.0);   // [N, C]
        dx = finalNorm.backward(dx);
        embedding.backward(blocksBackward(dx));
    }

    /** The nested workspace of one block's backward (see {@link #blocksBackward}). */
    public static final String BLOCK_BACKWARD_WORKSPACE = "verbo-block-backward";

    /**
     * dy [N, C] at the last block's output -> dx [N, C] at the first block's input, parameter gradients added. Inside
     * a step workspace each block's backward runs in a nested workspace that the next block reuses, and only its
     * dx is copied out to the step's: a block's backward temporaries (about 50 MB per bench-7m layer) then take the
     * memory of one layer, not of all layers (PyTorch frees them as it goes, and the step's peak RSS is compared
     * with PyTorch's in docs/PERFORMANCE.md). Without an active workspace (the embedding trainer's backward) the
     * blocks run as they are.
     */
    private INDArray blocksBackward(INDArray dx) {
        org.nd4j.linalg.api.memory.MemoryWorkspace step = Nd4j.getMemoryManager().getCurrentWorkspace();
        for (int l = blocks.size() - 1; l >= 0; l--) {
            DecoderBlock block = blocks.get(l);
            INDArray dy = dx;
            dx = Workspaces.nested(step, BLOCK_BACKWARD_WORKSPACE, () -> block.backward(dy));   // [N, C]
        }
        return dx;
    }

    /**
     * The decoder as an encoder: final hidden states after the final RMSNorm, without the LM head. Row b of the
     * batch has {@code batch.lengths()[b]} real tokens, padded on the right; padded keys get no attention weight, so a
     * text's states at its real positions are the same alone or in any batch with any padding (up to float rounding
     * of the matrix products). States at padded positions are finite but meaningless; give them zero gradient.
     *
     * @param mode {@link AttentionMode#BIDIRECTIONAL} for the encoder view (NV-Embed), {@link AttentionMode#CAUSAL}
     *             for the language model's own view
     * @return [B, T, C], a new array (the backward pass keeps its own cache)
     */
    public INDArray hiddenStates(EncoderBatch batch, AttentionMode mode) {
        return hiddenStates(batch.tokens(), batch.batchSize(), batch.seqLen(),
                new AttentionMask(mode, batch.lengths()));
    }

    /**
     * {@link #hiddenStates(EncoderBatch, AttentionMode)} on tokens [B*T] (row-major, b-major) under any mask; a mask
     * without lengths means no padding, and {@link AttentionMask#CAUSAL} gives the states the LM head reads.
     *
     * @return [B, T, C]
     */
    public INDArray hiddenStates(int[] tokens, int batch, int len, AttentionMask mask) {
        return states(tokens, batch, len, mask, true);
    }

    /** The nested workspace each block of {@link #encoderStates} runs in while a workspace is open. */
    public static final String ENCODER_BLOCK_WORKSPACE = "verbo-encoder-block";

    /**
     * Inference: {@link #hiddenStates(EncoderBatch, AttentionMode)}'s states [B, T, C], the same bits, keeping
     * nothing for a backward ({@link #hiddenStatesBackward} after it throws). While a workspace is open each block
     * runs in the nested workspace {@link #ENCODER_BLOCK_WORKSPACE}, reused by the next block, so a batch holds one
     * block's temporaries at a time instead of every block's (a third of the memory at bench-7m).
     */
    public INDArray encoderStates(EncoderBatch batch, AttentionMode mode) {
        return states(batch.tokens(), batch.batchSize(), batch.seqLen(), new AttentionMask(mode, batch.lengths()),
                false);
    }

    /** {@code -Dverbo.packedInference=false} keeps the padding rows in inference (A/B benchmarks, parity tests). */
    static final boolean PACKED_INFERENCE = !"false".equals(System.getProperty("verbo.packedInference"));

    private INDArray states(int[] tokens, int batch, int len, AttentionMask mask, boolean keepForBackward) {
        if (tokens.length != batch * len) {
            throw new IllegalArgumentException("expected " + batch * len + " tokens, got " + tokens.length);
        }
        if (len > config.contextLength()) {
            throw new IllegalArgumentException("sequence of " + len + " exceeds context length " + config.contextLength());
        }
        for (int id : tokens) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of size "
                        + config.vocabSize());
            }
        }
        mask.check(batch, len);
        finalHidden = null;
        encoded = null;
        // Inference on a padded batch runs on the real tokens only (packed, sequence after sequence): every op but
        // attention is row by row, so padding rows were pure waste (a quarter of the work for texts of 30-50 tokens
        // in input order). Each real row gets what the padded batch gives it, up to the rounding of a product whose
        // row count moves it between GEMM paths (CausalSelfAttention.forward); padding rows come back as zeros.
        boolean packed = PACKED_INFERENCE && !keepForBackward && mask.padded(len) && Kernels.enabled()
                && dtype == DataType.FLOAT;
        INDArray x = embedding.forward(packed ? realTokens(tokens, batch, len, mask) : tokens);   // [N, C] (N = M packed)
        org.nd4j.linalg.api.memory.MemoryWorkspace outer = keepForBackward ? null
                : Nd4j.getMemoryManager().getCurrentWorkspace();
        for (DecoderBlock block : blocks) {
            INDArray in = x;
            x = Workspaces.nested(outer, ENCODER_BLOCK_WORKSPACE, () -> keepForBackward    // [N, C]
                    ? block.forward(in, batch, len, mask) : block.forwardInference(in, batch, len, mask));
        }
        INDArray h = finalNorm.forward(x);                      // [N, C]
        if (keepForBackward) {
            encoded = new long[]{batch, len};
        }
        if (packed) {
            h = repad(h, batch, len, mask);                     // [B*T, C], zero rows at padding
        }
        return h.reshape('c', batch, len, config.hiddenSize());   // [B, T, C]
    }

    /** The real tokens of a right-padded [batch, len] batch, sequence after sequence. */
    private static int[] realTokens(int[] tokens, int batch, int len, AttentionMask mask) {
        int[] out = new int[(int) mask.realTokens(batch, len)];
        for (int b = 0, k = 0; b < batch; b++) {
            int n = mask.length(b, len);
            System.arraycopy(tokens, b * len, out, k, n);
            k += n;
        }
        return out;
    }

    /** Packed rows [M, C] back to the padded batch's rows [B*T, C]; padding rows are zero. */
    private static INDArray repad(INDArray packed, int batch, int len, AttentionMask mask) {
        int c = (int) packed.size(1);
        INDArray dense = packed.isView() || packed.ordering() != 'c' ? packed.dup('c') : packed;
        float[] src = dense.data().asFloat();     // [M*C]
        float[] dst = new float[batch * len * c];
        for (int b = 0, k = 0; b < batch; b++) {
            int n = mask.length(b, len);
            System.arraycopy(src, k * c, dst, b * len * c, n * c);
            k += n;
        }
        return Nd4j.create(dst, new long[]{(long) batch * len, c}, packed.dataType());
    }

    /**
     * Backward from a gradient on the last {@link #hiddenStates} output: dHidden [B, T, C] (same data type as the
     * model); parameter gradients are ADDED to {@link #gradients()}, as {@link #lossAndBackward} does for the LM loss.
     * The pass is exact for whatever dHidden holds, padded rows included (they reach real positions' parameters
     * through the padded queries' attention), so a pooling over real tokens should leave them zero.
     */
    public void hiddenStatesBackward(INDArray dHidden) {
        if (encoded == null) {
            throw new IllegalStateException("hiddenStatesBackward needs a hiddenStates forward just before it");
        }
        long[] want = {encoded[0], encoded[1], config.hiddenSize()};
        if (!java.util.Arrays.equals(dHidden.shape(), want)) {
            throw new IllegalArgumentException("dHidden has shape " + java.util.Arrays.toString(dHidden.shape())
                    + ", the last forward gave " + java.util.Arrays.toString(want));
        }
        if (dHidden.dataType() != dtype) {
            throw new IllegalArgumentException("dHidden is " + dHidden.dataType() + ", the model is " + dtype);
        }
        gradients();
        INDArray dx = finalNorm.backward(dHidden.reshape('c', want[0] * want[1], want[2]));   // [N, C]
        embedding.backward(blocksBackward(dx));
    }

    /**
     * Key/value cache for one sequence: per layer [Hk, Tmax, D] (rotated keys; values), rows 0..length-1 filled. Both
     * paths of {@link #forwardCached} read and write this same layout, so either may continue a cache the other began.
     * Float models also get a {@link DecodeScratch} on first use: the decode kernels' activation buffers, reused by
     * every call on this cache.
     */
    public final class KvCache {
        final INDArray[] keys = new INDArray[config.numLayers()];
        final INDArray[] values = new INDArray[config.numLayers()];
        int length;
        private DecodeScratch scratch;

        KvCache() {
            try (var ws = Workspaces.outside()) {
                for (int l = 0; l < keys.length; l++) {
                    keys[l] = Nd4j.zeros(dtype, config.numKvHeads(), config.contextLength(), config.headDim());
                    values[l] = Nd4j.zeros(dtype, config.numKvHeads(), config.contextLength(), config.headDim());
                }
            }
        }

        public int length() {
            return length;
        }

        DecodeScratch scratch() {
            if (scratch == null) {
                scratch = new DecodeScratch(config.hiddenSize(), config.numHeads(), config.numKvHeads(),
                        config.headDim(), config.ffnSize(), config.contextLength());
            }
            return scratch;
        }
    }

    public KvCache newCache() {
        return new KvCache();
    }

    /**
     * Feeds tokens at the cache's current position and returns logits of the last one [V] (a new array, in the
     * current workspace if one is open). The cache grows by tokens.length.
     *
     * <p>Float models with the SIMD kernels on take the decode kernels ({@link DecodeScratch}: sgemv projections,
     * fused q|k|v and gate|up, RoPE into the cache, attention over the cache in one pass, the LM head on the last
     * position only, no ND4J op per step); double models, {@code -Dverbo.vectorKernels=false}, a JVM without the
     * Vector API module or {@code -Dverbo.directBlas=false} take the ND4J reference path, which
     * {@code CachedDecodingTest} holds equal to it.
     */
    public INDArray forwardCached(int[] tokens, KvCache cache) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("forwardCached needs at least one token");
        }
        if (cache.length + tokens.length > config.contextLength()) {
            throw new IllegalArgumentException("KV cache full: " + cache.length + " + " + tokens.length
                    + " tokens exceed context length " + config.contextLength());
        }
        for (int id : tokens) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of size "
                        + config.vocabSize());
            }
        }
        encoded = null;                                          // the blocks' caches now hold this call
        if (DecodeScratch.applies(params, cache.keys[0], cache.values[0])) {
            return forwardCachedKernels(tokens, cache);
        }
        INDArray x = embedding.forward(tokens);                  // [T, C]
        for (int l = 0; l < blocks.size(); l++) {
            x = blocks.get(l).forwardCached(x, cache.length, cache.keys[l], cache.values[l]);
        }
        cache.length += tokens.length;
        INDArray last = finalNorm.forward(x.getRow(x.size(0) - 1).reshape(1, config.hiddenSize()));
        return Nd4j.gemm(last, lmHead.value(), false, true).reshape(config.vocabSize());   // [V]
    }

    /** {@link #forwardCached} on the decode kernels: everything in the cache's scratch buffers, one new array (logits). */
    private INDArray forwardCachedKernels(int[] tokens, KvCache cache) {
        int len = tokens.length;
        DecodeScratch s = cache.scratch();
        s.embed(embedding.weight().value(), tokens, len);                                // x [T, C]
        for (int l = 0; l < blocks.size(); l++) {
            blocks.get(l).forwardCached(s, cache.length, len, cache.keys[l], cache.values[l]);
        }
        cache.length += len;
        INDArray logits = Nd4j.createUninitialized(dtype, config.vocabSize());           // [V]
        s.lastRowLogits(finalNorm, lmHead.value(), len, logits);
        return logits;
    }

    /**
     * Autoregressive sampling with a KV cache. Stops at {@code eosId} (included in the output; pass -1 for none),
     * after maxNewTokens, or when the context is full. A prompt longer than the context keeps its last tokens.
     *
     * @return the new tokens only
     */
    public int[] generate(int[] promptIds, SamplingConfig sampling, int eosId) {
        return new Sampler(sampling).generate(this, promptIds, eosId);
    }
}
