package org.verbo.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The effective configuration of one verbo command: the {@code reference.conf} files on the classpath
 * (defaults, and the list of every valid key), then the user's {@code --conf FILE}, then {@code --key=value}
 * overrides. Keys are written without the {@code verbo.} prefix on the command line
 * ({@code --prepare.dedup.near=false}); a key that has no default is rejected with a message naming it,
 * so a typo never silently does nothing.
 */
public final class VerboConfig {

    private static final String ROOT = "verbo";

    /** Keys that were removed, with the line that says what replaced them (a generic "unknown" would not). */
    private static final Map<String, String> REPLACED = Map.of(
            ROOT + ".prepare.id_field", "prepare.id_field was replaced by --prepare.id_col (prepare's --id-col), "
                    + "which names a JSONL field as well as a Parquet column");

    private final Config config;
    private final Set<String> commandLineKeys;

    private VerboConfig(Config config, Set<String> commandLineKeys) {
        this.config = config;
        this.commandLineKeys = Set.copyOf(commandLineKeys);
    }

    /** Loads defaults, then {@code confFile} (may be null), then {@code overrides} (key without "verbo." → value). */
    public static VerboConfig load(File confFile, Map<String, String> overrides) {
        Config reference = ConfigFactory.defaultReference(VerboConfig.class.getClassLoader());
        if (!reference.hasPath(ROOT)) {
            throw new IllegalStateException("no verbo reference.conf on the classpath: the jar is incomplete");
        }
        Config user = ConfigFactory.empty();
        if (confFile != null) {
            if (!confFile.isFile()) {
                throw new IllegalArgumentException("config file not found: " + confFile);
            }
            try {
                user = ConfigFactory.parseFile(confFile, ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new IllegalArgumentException("cannot parse " + confFile + ": " + e.getMessage(), e);
            }
            rejectUnknownKeys(user, reference, "in " + confFile);
        }
        Config cli = ConfigFactory.empty();
        Set<String> cliKeys = new TreeSet<>();
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String path = e.getKey().startsWith(ROOT + ".") ? e.getKey() : ROOT + "." + e.getKey();
            if (REPLACED.containsKey(path)) {
                throw new IllegalArgumentException(REPLACED.get(path));
            }
            cliKeys.add(path.substring(ROOT.length() + 1));
            if (!reference.hasPathOrNull(path)) {
                throw new IllegalArgumentException("unknown option --" + e.getKey() + suggestion(reference, path));
            }
            cli = cli.withValue(path, parseValue(reference.getValue(path), e.getValue(), e.getKey()));
        }
        Config merged = cli.withFallback(user).withFallback(reference).resolve();
        return new VerboConfig(merged, cliKeys);
    }

    /** The {@code verbo} block. */
    public Config root() {
        return config.getConfig(ROOT);
    }

    public Config at(String path) {
        return config.getConfig(ROOT + "." + path);
    }

    public VerboConfig with(String key, Object value) {
        return new VerboConfig(config.withValue(ROOT + "." + key, ConfigValueFactory.fromAnyRef(value)), commandLineKeys);
    }

    /**
     * True when {@code key} (without "verbo.") was given on the command line (a named option or {@code --key=value}),
     * not taken from a default or a {@code --conf} file: a shared config file may set options for formats a given
     * run does not read, a command line speaks about this run.
     */
    public boolean setOnCommandLine(String key) {
        return commandLineKeys.contains(key);
    }

    /** The effective {@code verbo} block as JSON, for provenance in reports and manifests. */
    public String toJson(String path) {
        return config.getValue(ROOT + "." + path).render(ConfigRenderOptions.concise());
    }

    private static ConfigValue parseValue(ConfigValue reference, String raw, String key) {
        // Lists and objects are given in HOCON syntax ("[a, b]"); scalars keep the reference's type so a
        // wrong type ("--tokenize.context_length=abc") fails here with the key's name.
        try {
            switch (reference.valueType()) {
                case LIST:
                case OBJECT:
                    return ConfigFactory.parseString("v = " + raw).getValue("v");
                case NUMBER:
                    return ConfigValueFactory.fromAnyRef(parseNumber(raw));
                case BOOLEAN:
                    if (!raw.equalsIgnoreCase("true") && !raw.equalsIgnoreCase("false")) {
                        throw new IllegalArgumentException("expected true or false");
                    }
                    return ConfigValueFactory.fromAnyRef(Boolean.parseBoolean(raw));
                default:
                    return ConfigValueFactory.fromAnyRef(raw);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad value for --" + key + "=" + raw + ": expected "
                    + reference.valueType().name().toLowerCase() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"), e);
        }
    }

    private static Number parseNumber(String raw) {
        try {
            return Long.parseLong(raw.trim());
        } catch (NumberFormatException notLong) {
            return Double.parseDouble(raw.trim());
        }
    }

    private static void rejectUnknownKeys(Config user, Config reference, String where) {
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String key = e.getKey();
            if (REPLACED.containsKey(key)) {
                throw new IllegalArgumentException(REPLACED.get(key) + " (" + where + ")");
            }
            if (!key.startsWith(ROOT + ".")) {
                unknown.add(key);
                continue;
            }
            if (!reference.hasPathOrNull(key) && !underFreeFormBlock(key, reference)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown config key(s) " + where + ": " + String.join(", ", new TreeSet<>(unknown)));
        }
    }

    /** {@code verbo.spark.conf} is an open map of Spark settings: anything below it is allowed. */
    private static boolean underFreeFormBlock(String key, Config reference) {
        return key.startsWith(ROOT + ".spark.conf.");
    }

    private static String suggestion(Config reference, String path) {
        String leaf = path.substring(path.lastIndexOf('.') + 1);
        List<String> near = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : reference.getConfig(ROOT).entrySet()) {
            if (e.getKey().endsWith("." + leaf) || e.getKey().equals(leaf)) {
                near.add("--" + e.getKey());
            }
        }
        return near.isEmpty() ? " (see --help)" : " (did you mean " + String.join(" or ", near) + "?)";
    }

    /** Spark settings from {@code verbo.spark.conf} as strings. */
    public Map<String, String> sparkConf() {
        Map<String, String> out = new LinkedHashMap<>();
        Config c = at("spark.conf");
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            out.put(e.getKey().replace("\"", ""), String.valueOf(e.getValue().unwrapped()));
        }
        return out;
    }
}
