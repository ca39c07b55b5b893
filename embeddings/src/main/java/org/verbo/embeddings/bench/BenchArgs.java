package org.verbo.embeddings.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The {@code --key=value} arguments of the benchmark mains (EmbedBench, and spark-jobs' RetrievalEval, EmbedOverhead). */
public final class BenchArgs {
    private BenchArgs() {
    }

    /**
     * @param args     the arguments after any sub-command
     * @param required keys that must be present
     * @return key → value, or empty when an argument is not {@code --key=value} or a required key is missing (the
     *         caller prints its usage)
     */
    public static Optional<Map<String, String>> parse(List<String> args, List<String> required) {
        Map<String, String> o = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (!a.startsWith("--") || eq < 0) {
                return Optional.empty();
            }
            o.put(a.substring(2, eq), a.substring(eq + 1));
        }
        return o.keySet().containsAll(required) ? Optional.of(o) : Optional.empty();
    }
}
