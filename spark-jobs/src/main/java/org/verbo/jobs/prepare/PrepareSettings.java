package org.verbo.jobs.prepare;

import com.typesafe.config.Config;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.prep.dedup.MinHashConfig;
import org.verbo.prep.io.InputFormat;
import org.verbo.prep.io.ReaderOptions;
import org.verbo.prep.quality.QualityConfig;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything {@code prepare} needs, validated before Spark starts. {@code format} null means "by extension".
 * {@code idCol} names the JSONL field or Parquet column of the ids (empty: positional ids); {@code generateMissingIds}
 * gives a record without one its positional id instead of rejecting it. {@code commandLineKeys} are the
 * format-specific keys the user gave on the command line, checked against the inputs' formats at start
 * ({@link PrepareJob#preflight}).
 */
public record PrepareSettings(List<String> inputs, InputFormat format, String out, ReaderOptions reader,
                              QualityConfig quality, String textCol, String idCol, boolean generateMissingIds,
                              int filesPerTask, long taskBytes, boolean exactDedup, boolean nearDedup, MinHashConfig minHash,
                              int minHashBatch, int ccMaxRounds, long ccLocalEdges, boolean overwrite, String configJson,
                              Set<String> commandLineKeys) {

    /** Keys that apply to some input formats only. */
    public static final List<String> FORMAT_KEYS = List.of("prepare.id_col", "prepare.missing_id", "prepare.text_col",
            "prepare.reader.json_text_field", "prepare.reader.text_split", "prepare.reader.fallback_charset",
            "prepare.reader.max_document_bytes");

    /** Above this many edges the driver's union-find arrays (about 40 bytes an edge) would outgrow a small heap. */
    public static final long MAX_LOCAL_EDGES = 50_000_000L;

    public PrepareSettings {
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("prepare needs at least one --input");
        }
        if (out == null || out.isBlank()) {
            throw new IllegalArgumentException("prepare needs --out");
        }
        if (filesPerTask < 1) {
            throw new IllegalArgumentException("prepare.files_per_task must be >= 1");
        }
        if (taskBytes < 1) {
            throw new IllegalArgumentException("prepare.task_bytes must be >= 1");
        }
        if (minHashBatch < 1) {
            throw new IllegalArgumentException("prepare.dedup.batch_size must be >= 1");
        }
        if (ccMaxRounds < 1) {
            throw new IllegalArgumentException("prepare.dedup.cc_max_rounds must be >= 1");
        }
        if (ccLocalEdges < 0 || ccLocalEdges > MAX_LOCAL_EDGES) {
            throw new IllegalArgumentException("prepare.dedup.cc_local_edges must be in [0, " + MAX_LOCAL_EDGES + "], got "
                    + ccLocalEdges);
        }
        if (idCol == null) {
            throw new IllegalArgumentException("prepare.id_col must not be null (empty: positional ids)");
        }
        inputs = List.copyOf(inputs);
        commandLineKeys = commandLineKeys == null ? Set.of() : Set.copyOf(commandLineKeys);
    }

    /** {@code prepare.missing_id}: reject → false, generate → true. */
    static boolean parseMissingId(String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "reject" -> false;
            case "generate" -> true;
            default -> throw new IllegalArgumentException("prepare.missing_id must be reject or generate, got '" + value + "'");
        };
    }

    public static PrepareSettings from(VerboConfig config, List<String> inputs, String out) {
        Config p = config.at("prepare");
        String fmt = p.getString("format");
        InputFormat format = fmt.equalsIgnoreCase("auto") ? null : InputFormat.parse(fmt);
        Set<String> given = new TreeSet<>();
        for (String key : FORMAT_KEYS) {
            if (config.setOnCommandLine(key)) {
                given.add(key);
            }
        }
        return new PrepareSettings(inputs, format, out,
                ReaderOptions.from(p.getConfig("reader")),
                QualityConfig.from(p.getConfig("quality")),
                p.getString("text_col"), p.getString("id_col").trim(), parseMissingId(p.getString("missing_id")),
                p.getInt("files_per_task"), p.getBytes("task_bytes"), p.getBoolean("dedup.exact"), p.getBoolean("dedup.near"),
                MinHashConfig.from(p.getConfig("dedup.minhash")), p.getInt("dedup.batch_size"),
                p.getInt("dedup.cc_max_rounds"), p.getLong("dedup.cc_local_edges"), p.getBoolean("overwrite"), config.toJson("prepare"), given);
    }
}
