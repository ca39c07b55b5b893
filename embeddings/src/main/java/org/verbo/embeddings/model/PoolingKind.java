package org.verbo.embeddings.model;

import java.util.Locale;

/** How token states become one vector: NV-Embed's latent attention, or the two baselines of its Table 2. */
public enum PoolingKind {
    LATENT_ATTENTION, MEAN, LAST_TOKEN;

    /** The name written in embedding_config.json. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static PoolingKind parse(String id) {
        for (PoolingKind k : values()) {
            if (k.id().equals(id)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown pooling '" + id + "'; known: latent_attention, mean, last_token");
    }
}
