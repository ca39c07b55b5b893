package org.verbo.embeddings.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.verbo.models.EncoderBatch;
import org.verbo.models.LlamaModel;
import org.verbo.models.Workspaces;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * An embedder: the decoder run as an encoder ({@link LlamaModel#hiddenStates}, bidirectional by default), a
 * {@link Pooling} over the text tokens (instruction and padding excluded), L2 normalisation. Not thread-safe: one
 * forward, then its backward; give each task its own model.
 */
public final class EmbeddingModel {
    /** Texts per decoder batch in {@link #encode(List, List)}. */
    public static final int DEFAULT_BATCH = 32;

    /**
     * encode's per-batch workspace and the decoder's nested per-block one ({@link LlamaModel#encoderStates}): fixed
     * blocks per encoding thread, sized for the largest batch of each call from the bytes per token measured on the
     * model's first batch, reset after each batch. Not learning workspaces: batches differ in padded length, and a
     * learning workspace re-allocated and zeroed itself on almost every batch (JFR, bench-7m: 19 % of encode's
     * samples in that memset). Not one fixed 512 MiB block either, as before: creating it (zeroing 512 MiB) took
     * about 1.6 s per thread, which every Spark task thread of {@code verbo embed} paid; a 16 x 50-token bench-7m
     * batch needs about 25 MB.
     */
    private static final String ENCODE_WORKSPACE = "verbo-embed";
    private static final String BLOCK_WORKSPACE = LlamaModel.ENCODER_BLOCK_WORKSPACE;

    private final LlamaModel decoder;
    private final Pooling pooling;
    private final EmbeddingConfig config;
    private final L2Normalize normalize = new L2Normalize();
    private boolean forwarded;   // a forward ran since the last backward
    private long[] bytesPerToken;   // {encode workspace, block workspace} per padded token, from the first batch

    public EmbeddingModel(LlamaModel decoder, Pooling pooling, EmbeddingConfig config) {
        if (config.maxLength() > decoder.config().contextLength()) {
            throw new IllegalArgumentException("maxLength " + config.maxLength() + " exceeds the decoder's context "
                    + decoder.config().contextLength());
        }
        if (pooling.kind() != config.pooling()) {
            throw new IllegalArgumentException("pooling is " + pooling.kind() + ", the config says " + config.pooling());
        }
        if (pooling.parameters() != null && pooling.parameters().parameters().dataType() != decoder.dataType()) {
            throw new IllegalArgumentException("pooling and decoder data types differ");
        }
        this.decoder = decoder;
        this.pooling = pooling;
        this.config = config;
        if (decoder.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT) {
            // once per JVM, for models big enough to pay for it: the first batches run compiled kernels
            org.verbo.models.nn.Kernels.warmUpFor((double) DEFAULT_BATCH * config.maxLength()
                    * decoder.config().parameterCount(), org.verbo.models.nn.Kernels.Use.INFERENCE);
        }
    }

    /** The decoder with a freshly initialised pooling (seeded) of the config's kind. */
    public static EmbeddingModel create(LlamaModel decoder, EmbeddingConfig config, long seed) {
        return new EmbeddingModel(decoder, newPooling(config, decoder.config().hiddenSize(), seed, decoder.dataType()),
                config);
    }

    static Pooling newPooling(EmbeddingConfig config, int hiddenSize, long seed, DataType dtype) {
        return switch (config.pooling()) {
            case LATENT_ATTENTION -> LatentAttentionPooling.initialize(config.latentAttention(hiddenSize), seed, dtype);
            case MEAN -> new MeanPooling();
            case LAST_TOKEN -> new LastTokenPooling();
        };
    }

    public LlamaModel decoder() {
        return decoder;
    }

    public Pooling pooling() {
        return pooling;
    }

    public EmbeddingConfig config() {
        return config;
    }

    /** Embedding width C. */
    public int dimension() {
        return decoder.config().hiddenSize();
    }

    /** {@link #encode(List, List, int)} with {@link #DEFAULT_BATCH}. */
    public float[][] encode(List<int[]> tokenized, List<Integer> instructionLengths) {
        return encode(tokenized, instructionLengths, DEFAULT_BATCH);
    }

    /**
     * Unit-length embeddings of tokenised texts, in order. Texts are cut to {@code maxLength} tokens and run
     * {@code batchSize} at a time, right-padded; a text's embedding does not depend on its batch (up to float
     * rounding, about 1e-6).
     *
     * @param instructionLengths per text, how many leading tokens are instruction (0 for documents)
     * @return [B][C]
     */
    public float[][] encode(List<int[]> tokenized, List<Integer> instructionLengths, int batchSize) {
        if (tokenized.size() != instructionLengths.size()) {
            throw new IllegalArgumentException(tokenized.size() + " texts but " + instructionLengths.size()
                    + " instruction lengths");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        float[][] out = new float[tokenized.size()][];
        forwarded = false;
        Pooling.Inference pool = pooling.inference();   // the pooling's parameter-only part, once for every batch
        int from = 0;
        if (bytesPerToken == null && !tokenized.isEmpty()) {
            // the model's first batch runs in measuring workspaces (every array its own allocation) to learn the
            // bytes a padded token takes in each
            int to = Math.min(tokenized.size(), batchSize);
            Workspaces.measure(ENCODE_WORKSPACE, BLOCK_WORKSPACE);
            encodeBatch(pool, tokenized, instructionLengths, 0, to, out);
            java.util.Map<String, Long> used = Workspaces.measured();
            long tokens = paddedTokens(tokenized, 0, to);
            bytesPerToken = new long[]{perToken(used.get(ENCODE_WORKSPACE), tokens),
                    perToken(used.get(BLOCK_WORKSPACE), tokens)};
            from = to;
        }
        long maxTokens = 0;
        for (int b = from; b < tokenized.size(); b += batchSize) {
            maxTokens = Math.max(maxTokens, paddedTokens(tokenized, b, Math.min(tokenized.size(), b + batchSize)));
        }
        if (maxTokens > 0) {
            // 25 % and 4 MiB over the measured rate: alignment, and the few arrays whose size is not per token
            Workspaces.ensureFixed(ENCODE_WORKSPACE, maxTokens * bytesPerToken[0] * 5 / 4 + (4L << 20));
            Workspaces.ensureFixed(BLOCK_WORKSPACE, maxTokens * bytesPerToken[1] * 5 / 4 + (4L << 20));
        }
        for (; from < tokenized.size(); from += batchSize) {
            encodeBatch(pool, tokenized, instructionLengths, from, Math.min(tokenized.size(), from + batchSize), out);
        }
        return out;
    }

    /** Texts [from, to) encoded as one batch into out[from, to), inside this thread's encode workspace. */
    private void encodeBatch(Pooling.Inference pool, List<int[]> tokenized, List<Integer> instructionLengths,
                             int from, int to, float[][] out) {
        int[] instr = instructionLengths.subList(from, to).stream().mapToInt(Integer::intValue).toArray();
        try (MemoryWorkspace ws = Workspaces.step(ENCODE_WORKSPACE)) {
            INDArray pooled = pooled(pool, tokenized.subList(from, to), instr);              // [b, C]
            float[] flat = pooled.castTo(DataType.FLOAT).dup('c').data().asFloat();
            int c = (int) pooled.size(1);
            for (int i = from; i < to; i++) {
                out[i] = L2Normalize.unit(flat, (i - from) * c, c);
            }
        }
    }

    /** Tokens the decoder runs over for texts [from, to) as one batch: count x longest (cut) length. */
    private long paddedTokens(List<int[]> tokenized, int from, int to) {
        int longest = 0;
        for (int i = from; i < to; i++) {
            longest = Math.max(longest, Math.min(tokenized.get(i).length, config.maxLength()));
        }
        return (long) (to - from) * longest;
    }

    private static long perToken(Long bytes, long tokens) {
        return bytes == null || tokens == 0 ? 0 : (bytes + tokens - 1) / tokens;
    }

    /**
     * Document embeddings (no instruction) of many texts: sorted by token length (ties in input order) into batches of
     * {@code batchSize}, so a batch pads little, and returned in the input order. What {@code verbo embed} does with a
     * partition; a text's embedding does not depend on its batch, only the padding work does.
     *
     * @return [B][C]
     */
    public float[][] encodeByLength(List<int[]> tokenized, int batchSize) {
        Integer[] order = new Integer[tokenized.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> tokenized.get(i).length).thenComparingInt(i -> i));
        List<int[]> sorted = new ArrayList<>(order.length);
        for (Integer i : order) {
            sorted.add(tokenized.get(i));
        }
        float[][] e = encode(sorted, Collections.nCopies(sorted.size(), 0), batchSize);
        float[][] out = new float[order.length][];
        for (int i = 0; i < order.length; i++) {
            out[order[i]] = e[i];
        }
        return out;
    }

    /**
     * Inference for one batch, before the L2 normalisation: {@link #forward}'s pooled vectors up to float rounding,
     * through {@link LlamaModel#encoderStates} and {@link Pooling#inference} (the fast paths; {@link #forward} is
     * their reference twin, {@code EmbeddingModelTest} holds them equal).
     */
    private INDArray pooled(Pooling.Inference pool, List<int[]> texts, int[] instructionLengths) {
        EncoderBatch batch = batch(texts, instructionLengths);
        INDArray hidden = decoder.encoderStates(batch, config.attention());                 // [B, T, C]
        return pool.pool(hidden, PoolingMask.of(batch, instructionLengths));                 // [B, C]
    }

    /**
     * One batch forward, kept for {@link #backward}: unit-length embeddings [B, C] in the decoder's data type.
     *
     * @param texts              token ids, cut to maxLength here
     * @param instructionLengths per text, leading instruction tokens (must leave at least one text token)
     */
    public INDArray forward(List<int[]> texts, int[] instructionLengths) {
        EncoderBatch batch = batch(texts, instructionLengths);
        INDArray hidden = decoder.hiddenStates(batch, config.attention());                  // [B, T, C]
        INDArray pooled = pooling.forward(hidden, PoolingMask.of(batch, instructionLengths));   // [B, C]
        forwarded = true;
        return normalize.forward(pooled);                                                     // [B, C], unit rows
    }

    /** Texts cut to maxLength and right-padded; checks that every text keeps a token to pool. */
    private EncoderBatch batch(List<int[]> texts, int[] instructionLengths) {
        if (texts.isEmpty() || texts.size() != instructionLengths.length) {
            throw new IllegalArgumentException(texts.size() + " texts but " + instructionLengths.length
                    + " instruction lengths (need at least one text)");
        }
        List<int[]> cut = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            int[] t = texts.get(i);
            int[] c = t.length > config.maxLength() ? Arrays.copyOf(t, config.maxLength()) : t;
            if (instructionLengths[i] < 0 || instructionLengths[i] >= c.length) {
                throw new IllegalArgumentException("text " + i + " has " + c.length + " tokens (after cutting to "
                        + config.maxLength() + ") and an instruction of " + instructionLengths[i]
                        + "; at least one text token must remain to pool");
            }
            cut.add(c);
        }
        return EncoderBatch.of(cut);
    }

    /**
     * Backward from a gradient on the last {@link #forward}'s embeddings [B, C]: pooling gradients are ADDED to the
     * pooling's gradient vector and, when {@code throughDecoder}, decoder gradients to {@link LlamaModel#gradients()}.
     */
    public void backward(INDArray dEmbeddings, boolean throughDecoder) {
        if (!forwarded) {
            throw new IllegalStateException("backward needs a forward just before it");
        }
        forwarded = false;
        INDArray dHidden = pooling.backward(normalize.backward(dEmbeddings.castTo(decoder.dataType())));   // [B, T, C]
        if (throughDecoder) {
            decoder.hiddenStatesBackward(dHidden);
        }
    }
}
