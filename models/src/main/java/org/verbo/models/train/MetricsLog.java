package org.verbo.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per logged step with {@code step}, {@code loss}, {@code lr},
 * {@code tokens_per_s}, {@code elapsed_s}, plus {@code val_loss} and {@code val_perplexity} when evaluated
 * (DESIGN.md "Formats").
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    /** Opens for appending; on resume, records after {@code keepUpToStep} are dropped first. */
    public MetricsLog(Path file, long keepUpToStep) throws IOException {
        if (Files.exists(file)) {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank() && JSON.readTree(line).path("step").asLong() <= keepUpToStep) {
                    kept.add(line);
                }
            }
            Files.write(file, kept, StandardCharsets.UTF_8);
        }
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    public void write(long step, double loss, double lr, double tokensPerS, double elapsedS, EvalResult val)
            throws IOException {
        write(step, loss, lr, tokensPerS, elapsedS, val, java.util.Map.of());
    }

    /** A record with extra fields after the standard ones (the distributed trainer's round, timing and bytes). */
    public void write(long step, double loss, double lr, double tokensPerS, double elapsedS, EvalResult val,
                      java.util.Map<String, ?> extra) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", step);
        n.put("loss", loss);
        n.put("lr", lr);
        n.put("tokens_per_s", tokensPerS);
        n.put("elapsed_s", elapsedS);
        if (val != null) {
            n.put("val_loss", val.loss());
            n.put("val_perplexity", val.perplexity());
        }
        extra.forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
        out.write(JSON.writeValueAsString(n));
        out.write('\n');
        out.flush();
    }

    /** Reads a metrics file back: (step, loss, val_loss or NaN) triples. */
    public static List<double[]> read(Path file) throws IOException {
        List<double[]> rows = new ArrayList<>();
        if (!Files.exists(file)) {
            return rows;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = JSON.readTree(line);
            rows.add(new double[]{n.path("step").asDouble(), n.path("loss").asDouble(Double.NaN),
                    n.has("val_loss") ? n.get("val_loss").asDouble() : Double.NaN});
        }
        return rows;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
