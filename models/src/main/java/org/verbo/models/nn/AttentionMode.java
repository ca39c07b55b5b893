package org.verbo.models.nn;

/**
 * Which keys a query position may attend to. {@link #CAUSAL} is the decoder's own mask (key j <= query i), the one
 * the language model trains with; {@link #BIDIRECTIONAL} lets every position see the whole text, the encoder view
 * NV-Embed uses for embeddings (Lee et al. 2024, "NV-Embed", section 3.1: the causal mask is removed during
 * contrastive training).
 */
public enum AttentionMode {
    CAUSAL,
    BIDIRECTIONAL
}
