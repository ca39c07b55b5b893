package org.verbo.jobs.cli;

import org.apache.spark.sql.SparkSession;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.spark.SparkSessions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.io.File;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * What every verbo command shares: {@code --conf FILE}, {@code --master URL}, and {@code --key=value}
 * overrides of any key listed in the help footer. An option that is neither is rejected at start.
 */
abstract class JobCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--conf", paramLabel = "FILE", description = "HOCON file with overrides (see conf/local.conf).")
    File conf;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master URL (default: local[*]; spark-submit's --master wins).")
    String master;

    @Unmatched
    List<String> unmatched = new ArrayList<>();

    /** Effective config: reference.conf, then --conf, then named options, then --key=value. */
    protected VerboConfig config(Map<String, String> named) {
        Map<String, String> overrides = new LinkedHashMap<>();
        if (master != null) {
            overrides.put("spark.master", master);
        }
        named.forEach((k, v) -> {
            if (v != null) {
                overrides.put(k, v);
            }
        });
        for (String arg : unmatched) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new ParameterException(spec.commandLine(), "unknown argument '" + arg
                        + "' (options take the form --key=value; see --help)");
            }
            overrides.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        return VerboConfig.load(conf, overrides); // IllegalArgumentException → one line, exit 2 (Verbo)
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected void say(String line) {
        out().println(line);
        out().flush();
    }

    protected SparkSession session(VerboConfig config) {
        return SparkSessions.create(config, spec.name());
    }

    static Map<String, String> named(Object... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1] == null ? null : String.valueOf(kv[i + 1]));
        }
        return m;
    }
}
