package org.verbo.models.train;

/** Token-weighted mean next-token loss (nats), its perplexity exp(loss), and the number of scored tokens. */
public record EvalResult(double loss, double perplexity, long tokens) {
    /** The line {@code verbo evaluate} prints last. */
    public String line() {
        return String.format(java.util.Locale.ROOT, "loss=%.6f perplexity=%.4f tokens=%d", loss, perplexity, tokens);
    }
}
