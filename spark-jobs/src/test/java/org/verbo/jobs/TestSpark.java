package org.verbo.jobs;

import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.config.VerboConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** One small real local Spark session shared by every test class of the module (start-up costs seconds). */
public final class TestSpark {

    private static SparkSession spark;

    private TestSpark() {
    }

    public static synchronized SparkSession session() {
        if (spark == null || spark.sparkContext().isStopped()) {
            // local[2,2]: two cores, and a failed task is retried once, as on a cluster (the retry tests need it)
            spark = SparkSession.builder()
                    .master("local[2,2]")
                    .appName("verbo-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.default.parallelism", "4")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.ui.showConsoleProgress", "false")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
        }
        return spark;
    }

    /** A config from the reference defaults plus {@code key, value, key, value …} overrides. */
    public static VerboConfig config(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return VerboConfig.load(null, m);
    }

    /** Every quality filter off: tests of reading and dedup use short synthetic documents. */
    public static String[] qualityOff() {
        return new String[] {
            "prepare.quality.gopher_quality.enabled", "false",
            "prepare.quality.gopher_repetition.enabled", "false",
            "prepare.quality.c4.enabled", "false",
            "prepare.quality.fineweb.enabled", "false",
        };
    }

    public static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
