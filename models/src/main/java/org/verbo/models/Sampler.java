package org.verbo.models;

import java.util.Arrays;
import java.util.Random;

/** Temperature, top-k and top-p (nucleus, Holtzman et al. 2020) sampling over next-token logits. */
@SuppressWarnings("try")   // workspace scopes are opened for their side effect only
final class Sampler {
    private final SamplingConfig cfg;
    private final Random rng;

    Sampler(SamplingConfig cfg) {
        this.cfg = cfg;
        this.rng = new Random(cfg.seed());
    }

    int[] generate(LlamaModel model, int[] promptIds, int eosId) {
        int ctx = model.config().contextLength();
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        int[] prompt = promptIds.length >= ctx ? Arrays.copyOfRange(promptIds, promptIds.length - (ctx - 1), promptIds.length)
                : promptIds;
        for (int id : prompt) {
            if (id < 0 || id >= model.config().vocabSize()) {
                throw new IllegalArgumentException("prompt token id " + id + " is outside the vocabulary of size "
                        + model.config().vocabSize());
            }
        }
        LlamaModel.KvCache cache = model.newCache();
        double[] logits;
        try (var ws = Workspaces.step("verbo-generate")) {
            logits = model.forwardCached(prompt, cache).toDoubleVector();
        }
        int[] out = new int[cfg.maxNewTokens()];
        int n = 0;
        while (n < cfg.maxNewTokens()) {
            int next = sample(logits);
            out[n++] = next;
            if (next == eosId || cache.length() >= ctx) {
                break;
            }
            try (var ws = Workspaces.step("verbo-generate")) {
                logits = model.forwardCached(new int[]{next}, cache).toDoubleVector();
            }
        }
        return Arrays.copyOf(out, n);
    }

    int sample(double[] logits) {
        int v = logits.length;
        if (cfg.temperature() == 0.0) {
            int best = 0;
            for (int i = 1; i < v; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a]) != 0 ? Double.compare(logits[b], logits[a])
                : Integer.compare(a, b));
        int keep = cfg.topK() > 0 ? Math.min(cfg.topK(), v) : v;
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[order[i]] - max) / cfg.temperature());
            sum += p[i];
        }
        // nucleus: the smallest prefix whose probability mass reaches topP
        double cum = 0;
        int cut = keep;
        for (int i = 0; i < keep; i++) {
            cum += p[i] / sum;
            if (cum >= cfg.topP()) {
                cut = i + 1;
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < cut; i++) {
            total += p[i];
        }
        double r = rng.nextDouble() * total;
        for (int i = 0; i < cut; i++) {
            r -= p[i];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[cut - 1];
    }
}
