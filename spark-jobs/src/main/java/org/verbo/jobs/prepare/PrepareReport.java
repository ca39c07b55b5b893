package org.verbo.jobs.prepare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.verbo.jobs.Provenance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code prepare} did: input and kept counts, dropped counts per stage and per reason, throughput, and
 * the provenance (inputs, effective config, verbo version). Written as {@code report.json} and printed as a
 * table.
 */
public record PrepareReport(List<String> inputs, int files, long inputBytes, long records, long kept,
                            long decodedWithFallback, List<ReasonCount> rejected, long nearDupCandidateEdges,
                            long nearDupVerifiedEdges, Ids ids, double seconds, String configJson) {

    /** Rejection stages in pipeline order. */
    public static final List<String> STAGES = List.of(DocRows.STAGE_READ, DocRows.STAGE_NORMALISE,
            DocRows.STAGE_QUALITY, DocRows.STAGE_EXACT, DocRows.STAGE_NEAR);

    public record ReasonCount(String stage, String reason, long count) {
    }

    /**
     * Where ids came from when the user named a field or column ({@code ids} null otherwise): the column, what a
     * missing id does ({@code reject} or {@code generate}) and how many records got a generated id. Rejections
     * for a missing or duplicate id are counted among the reasons ({@code missing_id}, {@code duplicate_id}).
     */
    public record Ids(String column, String missing, long generated) {
    }

    public PrepareReport {
        rejected = rejected.stream()
                .sorted(Comparator.comparingInt((ReasonCount r) -> stageOrder(r.stage())).thenComparing(ReasonCount::reason))
                .toList();
    }

    private static int stageOrder(String stage) {
        int i = STAGES.indexOf(stage);
        return i < 0 ? STAGES.size() : i;
    }

    public long rejectedTotal() {
        return rejected.stream().mapToLong(ReasonCount::count).sum();
    }

    public long count(String reason) {
        return rejected.stream().filter(r -> r.reason().equals(reason)).mapToLong(ReasonCount::count).sum();
    }

    public Map<String, Long> perStage() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String s : STAGES) {
            m.put(s, 0L);
        }
        for (ReasonCount r : rejected) {
            m.merge(r.stage(), r.count(), Long::sum);
        }
        return m;
    }

    public String toJson() {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("input_records", records);
        root.put("kept", kept);
        root.put("rejected", rejectedTotal());
        ObjectNode stages = root.putObject("dropped_per_stage");
        perStage().forEach(stages::put);
        ObjectNode reasons = root.putObject("dropped_per_reason");
        for (ReasonCount r : rejected) {
            reasons.put(r.reason(), r.count());
        }
        ArrayNode detail = root.putArray("dropped");
        for (ReasonCount r : rejected) {
            detail.addObject().put("stage", r.stage()).put("reason", r.reason()).put("count", r.count());
        }
        root.put("decoded_with_fallback_charset", decodedWithFallback);
        if (ids != null) {
            ObjectNode id = root.putObject("ids");
            id.put("id_col", ids.column());
            id.put("missing_id", ids.missing());
            id.put("missing_rejected", count(FileRecordReader.MISSING_ID));
            id.put("generated", ids.generated());
            id.put("duplicates_rejected", count(DuplicateIds.REASON));
        }
        ObjectNode near = root.putObject("near_dedup");
        near.put("candidate_edges", nearDupCandidateEdges);
        near.put("verified_edges", nearDupVerifiedEdges);
        ObjectNode in = root.putObject("input");
        in.put("files", files);
        in.put("bytes", inputBytes);
        ArrayNode paths = in.putArray("paths");
        inputs.forEach(paths::add);
        ObjectNode perf = root.putObject("throughput");
        perf.put("seconds", round(seconds));
        perf.put("records_per_s", round(records / Math.max(seconds, 1e-9)));
        perf.put("mb_per_s", round(inputBytes / 1e6 / Math.max(seconds, 1e-9)));
        try {
            JsonNode cfg = om.readTree(configJson);
            root.set("config", cfg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        root.set("provenance", Provenance.json(om));
        try {
            return om.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** The same counts as a table for the terminal. */
    public String toTable() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"stage", "reason", "documents"});
        rows.add(new String[] {"input", "", String.format("%,d", records)});
        for (ReasonCount r : rejected) {
            rows.add(new String[] {r.stage(), r.reason(), String.format("-%,d", r.count())});
        }
        rows.add(new String[] {"kept", "", String.format("%,d", kept)});
        int[] w = new int[3];
        for (String[] r : rows) {
            for (int i = 0; i < 3; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        String sep = "+" + "-".repeat(w[0] + 2) + "+" + "-".repeat(w[1] + 2) + "+" + "-".repeat(w[2] + 2) + "+\n";
        sb.append(sep);
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            sb.append(String.format("| %-" + w[0] + "s | %-" + w[1] + "s | %" + w[2] + "s |%n", r[0], r[1], r[2]));
            if (i == 0 || i == 1 || i == rows.size() - 2) {
                sb.append(sep);
            }
        }
        sb.append(sep);
        sb.append(String.format("%d files, %.1f MB in %.1f s: %,.0f records/s, %.2f MB/s; %,d decoded with the fallback charset%n",
                files, inputBytes / 1e6, seconds, records / Math.max(seconds, 1e-9), inputBytes / 1e6 / Math.max(seconds, 1e-9),
                decodedWithFallback));
        if (ids != null) {
            sb.append(String.format("ids from '%s': %,d missing rejected, %,d generated, %,d duplicates rejected%n",
                    ids.column(), count(FileRecordReader.MISSING_ID), ids.generated(), count(DuplicateIds.REASON)));
        }
        return sb.toString();
    }
}
