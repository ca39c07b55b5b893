package org.verbo.jobs.prepare;

import com.typesafe.config.Config;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.prep.dedup.MinHashConfig;
import org.verbo.prep.io.InputFormat;
import org.verbo.prep.io.ReaderOptions;
import org.verbo.prep.quality.QualityConfig;

import java.util.List;

/**
 * Everything {@code prepare} needs, validated before Spark starts. {@code format} null means "by extension".
 */
public record PrepareSettings(List<String> inputs, InputFormat format, String out, ReaderOptions reader,
                              QualityConfig quality, String textCol, String idCol, String idField, int filesPerTask,
                              boolean exactDedup, boolean nearDedup, MinHashConfig minHash, int minHashBatch,
                              int ccMaxRounds, boolean overwrite, String configJson) {

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
        if (minHashBatch < 1) {
            throw new IllegalArgumentException("prepare.dedup.batch_size must be >= 1");
        }
        if (ccMaxRounds < 1) {
            throw new IllegalArgumentException("prepare.dedup.cc_max_rounds must be >= 1");
        }
        inputs = List.copyOf(inputs);
    }

    public static PrepareSettings from(VerboConfig config, List<String> inputs, String out) {
        Config p = config.at("prepare");
        String fmt = p.getString("format");
        InputFormat format = fmt.equalsIgnoreCase("auto") ? null : InputFormat.parse(fmt);
        return new PrepareSettings(inputs, format, out,
                ReaderOptions.from(p.getConfig("reader")),
                QualityConfig.from(p.getConfig("quality")),
                p.getString("text_col"), p.getString("id_col"), p.getString("id_field"), p.getInt("files_per_task"),
                p.getBoolean("dedup.exact"), p.getBoolean("dedup.near"),
                MinHashConfig.from(p.getConfig("dedup.minhash")), p.getInt("dedup.batch_size"),
                p.getInt("dedup.cc_max_rounds"), p.getBoolean("overwrite"), config.toJson("prepare"));
    }
}
