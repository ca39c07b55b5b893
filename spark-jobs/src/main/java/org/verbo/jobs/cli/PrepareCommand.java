package org.verbo.jobs.cli;

import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.jobs.prepare.PrepareJob;
import org.verbo.jobs.prepare.PrepareReport;
import org.verbo.jobs.prepare.PrepareSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

@Command(name = "prepare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Read text / JSONL / Parquet / HTML, normalise, filter, remove exact and near duplicates.",
                "Writes <out>/corpus/ and <out>/rejected/ (Parquet) and <out>/report.json."})
final class PrepareCommand extends JobCommand {

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "File, directory or glob (repeatable). Any Hadoop path.")
    List<String> inputs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    String out;

    @Option(names = "--format", paramLabel = "FMT", description = "auto|text|jsonl|parquet|html (default: auto, by file extension).")
    String format;

    @Option(names = "--text-col", paramLabel = "NAME", description = "Parquet text column (default: text).")
    String textCol;

    @Option(names = "--id-col", paramLabel = "NAME", description = "JSONL field or Parquet column of the ids (default: none, ids are <file>#<line or row>).")
    String idCol;

    @Option(names = "--overwrite", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL", description = "Replace existing outputs (default: false: refuse).")
    Boolean overwrite;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("prepare.format", format, "prepare.text_col", textCol, "prepare.id_col", idCol,
                "prepare.overwrite", overwrite));
        PrepareSettings settings = PrepareSettings.from(config, inputs, out);
        PrepareJob.preflight(settings, HadoopFiles.preflightConf(config.sparkConf()));
        try (SparkSession spark = session(config)) {
            PrepareReport report = run(spark, settings, this::say);
            out().print(report.toTable());
            say("wrote " + out + "/corpus, " + out + "/rejected, " + out + "/report.json");
        }
        return 0;
    }

    static PrepareReport run(SparkSession spark, PrepareSettings settings, java.util.function.Consumer<String> progress) {
        return PrepareJob.run(spark, settings, progress);
    }
}
