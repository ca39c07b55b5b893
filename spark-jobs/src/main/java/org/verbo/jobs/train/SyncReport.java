package org.verbo.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.verbo.models.train.LossCurvePlot;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the metrics.jsonl of several pretrain runs (scripts/bench/sync.sh) and prints a Markdown table (validation loss
 * at the end, against the first run; per-round time inside and outside local training; bytes to and from the driver;
 * executor off-heap memory first and last round) and draws validation loss against training tokens.
 * Usage: SyncReport OUT.png TOKENS_PER_STEP_PER_WORKER label=run-dir[:workers] ...
 */
public final class SyncReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Color[] COLORS = {new Color(0, 0, 0), new Color(31, 119, 180), new Color(255, 127, 14),
        new Color(44, 160, 44), new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75),
        new Color(227, 119, 194), new Color(127, 127, 127)};

    private SyncReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: SyncReport OUT.png TOKENS_PER_STEP label=dir[:workers] ...");
            System.exit(2);
        }
        Path png = Path.of(args[0]);
        long tokensPerStep = Long.parseLong(args[1]);
        List<LossCurvePlot.Series> series = new ArrayList<>();
        double reference = Double.NaN;
        System.out.println("| run | workers | rounds | final val loss | vs first | train s/round | outside s/round | outside % "
                + "| MiB to+from driver/round | delta MiB/round | state MiB/round | executor RSS MiB first → last |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int i = 2; i < args.length; i++) {
            String label = args[i].substring(0, args[i].lastIndexOf('='));
            String[] spec = args[i].substring(args[i].lastIndexOf('=') + 1).split(":");
            int workers = spec.length > 1 ? Integer.parseInt(spec[1]) : 1;
            List<JsonNode> rows = new ArrayList<>();
            for (String l : Files.readAllLines(Path.of(spec[0]).resolve("metrics.jsonl"))) {
                if (!l.isBlank()) {
                    rows.add(JSON.readTree(l));
                }
            }
            List<double[]> val = new ArrayList<>();
            double train = 0;
            double outside = 0;
            double bytes = 0;
            double delta = 0;
            double state = 0;
            int rounds = 0;
            for (JsonNode r : rows) {
                if (r.has("val_loss")) {
                    val.add(new double[] {r.get("step").asDouble() * tokensPerStep * workers, r.get("val_loss").asDouble()});
                }
                if (r.has("round")) {
                    rounds++;
                    train += r.get("train_s").asDouble();
                    outside += r.get("outside_s").asDouble() - r.get("checkpoint_s").asDouble();
                    bytes += r.get("bytes_to_driver").asDouble() + r.get("bytes_from_driver").asDouble();
                    delta += r.get("delta_bytes").asDouble();
                    state += r.get("state_bytes").asDouble();
                }
            }
            double last = val.isEmpty() ? Double.NaN : val.get(val.size() - 1)[1];
            if (i == 2) {
                reference = last;
            }
            String off = rounds == 0 ? "" : String.format(Locale.ROOT, "%.0f → %.0f",
                    rows.get(0).get("executor_rss_bytes").asDouble() / 1048576.0,
                    rows.get(rows.size() - 1).get("executor_rss_bytes").asDouble() / 1048576.0);
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %.4f | %+.2f%% | %s | %s | %s | %s | %s | %s | %s |%n", label, workers,
                    rounds == 0 ? "-" : String.valueOf(rounds), last, 100 * (last - reference) / reference,
                    rounds == 0 ? "-" : String.format(Locale.ROOT, "%.2f", train / rounds),
                    rounds == 0 ? "-" : String.format(Locale.ROOT, "%.2f", outside / rounds),
                    rounds == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * outside / (train + outside)),
                    rounds == 0 ? "-" : String.format(Locale.ROOT, "%.1f", bytes / rounds / 1048576.0),
                    rounds == 0 ? "-" : String.format(Locale.ROOT, "%.1f", delta / rounds / 1048576.0),
                    rounds == 0 ? "-" : String.format(Locale.ROOT, "%.1f", state / rounds / 1048576.0), off);
            series.add(new LossCurvePlot.Series(label, val.stream().mapToDouble(v -> v[0]).toArray(),
                    val.stream().mapToDouble(v -> v[1]).toArray(), COLORS[(i - 2) % COLORS.length]));
        }
        LossCurvePlot.write(png, "validation loss at equal training tokens", "training tokens (all workers)", series);
    }
}
