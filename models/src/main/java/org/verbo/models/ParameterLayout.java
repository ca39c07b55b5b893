package org.verbo.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stable order of all parameter tensors inside one flat vector. Names are Hugging Face
 * {@code LlamaForCausalLM} state-dict keys, so a checkpoint is the layout written tensor by tensor.
 * The order is: embeddings, then per layer input norm, q, k, v, o, post-attention norm, gate, up, down,
 * then the final norm and (when not tied) the LM head. The distributed trainer relies on this order
 * never changing for a given {@link ModelConfig}.
 */
public final class ParameterLayout {

    /** One tensor: HF name, shape (row-major, HF {@code [out, in]} for projections), offset in the flat vector. */
    public record Entry(String name, long[] shape, long offset, boolean weightDecay) {
        public long size() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        public boolean isNormOrEmbedding() {
            return !weightDecay;
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape) + "@" + offset;
        }
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byName;
    private final long size;

    private ParameterLayout(List<Entry> entries) {
        this.entries = Collections.unmodifiableList(entries);
        Map<String, Entry> map = new LinkedHashMap<>();
        long total = 0;
        for (Entry e : entries) {
            map.put(e.name(), e);
            total += e.size();
        }
        this.byName = Collections.unmodifiableMap(map);
        this.size = total;
    }

    public static ParameterLayout of(ModelConfig c) {
        List<Entry> list = new ArrayList<>();
        long[] offset = {0};
        int cDim = c.hiddenSize();
        int kvDim = c.numKvHeads() * c.headDim();
        add(list, offset, "model.embed_tokens.weight", false, c.vocabSize(), cDim);
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            add(list, offset, p + "input_layernorm.weight", false, cDim);
            add(list, offset, p + "self_attn.q_proj.weight", true, cDim, cDim);
            add(list, offset, p + "self_attn.k_proj.weight", true, kvDim, cDim);
            add(list, offset, p + "self_attn.v_proj.weight", true, kvDim, cDim);
            add(list, offset, p + "self_attn.o_proj.weight", true, cDim, cDim);
            add(list, offset, p + "post_attention_layernorm.weight", false, cDim);
            add(list, offset, p + "mlp.gate_proj.weight", true, c.ffnSize(), cDim);
            add(list, offset, p + "mlp.up_proj.weight", true, c.ffnSize(), cDim);
            add(list, offset, p + "mlp.down_proj.weight", true, cDim, c.ffnSize());
        }
        add(list, offset, "model.norm.weight", false, cDim);
        if (!c.tiedEmbeddings()) {
            add(list, offset, "lm_head.weight", true, c.vocabSize(), cDim);
        }
        return new ParameterLayout(list);
    }

    /**
     * A layout over the given tensors, for parameter groups outside the decoder (the embeddings module's pooling head)
     * that want the same flat vectors, optimizers and safetensors writer. Offsets must run contiguously from 0 in
     * list order and names must be unique.
     */
    public static ParameterLayout of(List<Entry> entries) {
        long expected = 0;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Entry e : entries) {
            if (e.offset() != expected) {
                throw new IllegalArgumentException("tensor " + e.name() + " starts at " + e.offset() + ", expected "
                        + expected + " (offsets must be contiguous in list order)");
            }
            if (!names.add(e.name())) {
                throw new IllegalArgumentException("duplicate tensor name " + e.name());
            }
            expected += e.size();
        }
        return new ParameterLayout(new ArrayList<>(entries));
    }

    private static void add(List<Entry> list, long[] offset, String name, boolean decay, long... shape) {
        Entry e = new Entry(name, shape, offset[0], decay);
        list.add(e);
        offset[0] += e.size();
    }

    public List<Entry> entries() {
        return entries;
    }

    public Entry entry(String name) {
        Entry e = byName.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return e;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** Total number of scalars. */
    public long size() {
        return size;
    }

    public int tensorCount() {
        return entries.size();
    }
}
