package org.verbo.jobs.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.config.VerboConfig;

import java.util.Map;

/** Builds the SparkSession a verbo command runs in: embedded {@code local[*]} by default, or the cluster. */
public final class SparkSessions {

    private SparkSessions() {
    }

    /**
     * Under spark-submit, {@code spark.master} is already set and wins; otherwise {@code verbo.spark.master}
     * (default {@code local[*]}, or {@code --master=URL}) is used.
     */
    public static SparkSession create(VerboConfig config, String jobName) {
        return create(config, jobName, Map.of());
    }

    /** {@link #create(VerboConfig, String)} with settings a job adds after the user's (they win). */
    public static SparkSession create(VerboConfig config, String jobName, Map<String, String> jobSettings) {
        SparkConf conf = new SparkConf();
        String master = conf.contains("spark.master") ? conf.get("spark.master") : config.root().getString("spark.master");
        boolean local = master.startsWith("local");
        SparkSession.Builder b = SparkSession.builder()
                .appName(config.root().getString("spark.app_name") + " " + jobName)
                .master(master)
                .config("spark.sql.shuffle.partitions", config.root().getInt("spark.shuffle_partitions"))
                .config("spark.sql.session.timeZone", "UTC")
                // Spark's progress bar on a terminal; in logs (CI, spark-submit) verbo's own stage lines suffice.
                .config("spark.ui.showConsoleProgress", String.valueOf(System.console() != null));
        if (local) {
            // No web UI for a laptop run; it only costs start-up time and a port.
            b.config("spark.ui.enabled", "false");
        }
        for (Map.Entry<String, String> e : config.sparkConf().entrySet()) {
            b.config(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, String> e : jobSettings.entrySet()) {
            b.config(e.getKey(), e.getValue());
        }
        SparkSession spark = b.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        return spark;
    }
}
