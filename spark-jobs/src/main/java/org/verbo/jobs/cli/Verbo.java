package org.verbo.jobs.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import org.verbo.jobs.Provenance;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code verbo} command line (DESIGN.md): {@code verbo <command> [--conf FILE] [--key=value …]}.
 * Bad usage exits 2 with one line; a failed job exits 1.
 */
@Command(name = "verbo", mixinStandardHelpOptions = true, versionProvider = Verbo.Version.class,
        description = "From raw text to token shards, a trained model and vector stores, on Apache Spark.",
        subcommands = {PrepareCommand.class, TokenizerCommand.class, TokenizeCommand.class, PretrainCommand.class,
                EvaluateCommand.class, GenerateCommand.class, EmbedTrainCommand.class, EmbedCommand.class,
                SearchCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class})
public final class Verbo implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command; returns the exit code (tests call this rather than main). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Verbo());
        Config reference = ConfigFactory.defaultReference(Verbo.class.getClassLoader()).getConfig("verbo");
        for (Map.Entry<String, CommandLine> sub : cl.getSubcommands().entrySet()) {
            List<String> sections = switch (sub.getKey()) {
                case "prepare" -> List.of("prepare", "spark");
                case "tokenizer" -> List.of("tokenizer", "spark");
                case "tokenize" -> List.of("tokenize", "spark");
                case "pretrain" -> List.of("pretrain", "spark");
                case "evaluate" -> List.of("evaluate");
                case "generate" -> List.of("generate");
                case "embed-train" -> List.of("embed_train", "spark");
                case "embed" -> List.of("embed", "spark");
                case "search" -> List.of("search");
                case "demo" -> List.of("demo", "prepare", "tokenizer", "tokenize", "pretrain", "embed_train", "embed", "spark");
                default -> List.of();
            };
            if (!sections.isEmpty()) {
                sub.getValue().getCommandSpec().usageMessage().footer(footer(reference, sections));
            }
        }
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("verbo " + c.getCommandName() + ": " + ex.getMessage() + " (see: verbo "
                    + (c.getCommandName().equals("verbo") ? "" : c.getCommandName() + " ") + "--help)");
            c.getErr().flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            // Bad paths and bad config values are the user's to fix: one clear line. Anything else is a bug
            // or an environment failure: keep the stack trace.
            if (isUsageMistake(ex)) {
                c.getErr().println("verbo " + c.getCommandName() + ": " + ex.getMessage());
                c.getErr().flush();
                return 2;
            }
            if (ex instanceof OneLineFailure) {
                c.getErr().println("verbo " + c.getCommandName() + ": " + ex.getMessage());
                c.getErr().flush();
                return 1;
            }
            c.getErr().println("verbo " + c.getCommandName() + " failed: " + ex);
            ex.printStackTrace(c.getErr());
            c.getErr().flush();
            return 1;
        });
        return cl;
    }

    /**
     * A user's mistake: an {@link IllegalArgumentException} thrown by verbo's own checks (settings records, path and
     * config validation; STYLE.md: records reject bad values with it) or by the config and command-line parsers. The
     * same exception type thrown inside a library (ND4J on a shape, Spark, the JDK) is a bug or an environment
     * failure until verbo checks that input itself, so it keeps its stack trace.
     */
    static boolean isUsageMistake(Throwable ex) {
        if (!(ex instanceof IllegalArgumentException) || ex.getStackTrace().length == 0) {
            return false;
        }
        String thrower = ex.getStackTrace()[0].getClassName();
        return thrower.startsWith("org.verbo.") || thrower.startsWith("com.typesafe.config.")
                || thrower.startsWith("picocli.");
    }

    private static String[] footer(Config reference, List<String> sections) {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("Config keys (set with --key=value or in --conf FILE; defaults shown):");
        for (String section : sections) {
            Map<String, String> sorted = new TreeMap<>();
            for (Map.Entry<String, ConfigValue> e : reference.getConfig(section).entrySet()) {
                sorted.put(section + "." + e.getKey(), e.getValue().render(com.typesafe.config.ConfigRenderOptions.concise()));
            }
            sorted.forEach((k, v) -> lines.add("  --" + k + "=" + v));
        }
        return lines.toArray(new String[0]);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"verbo " + Provenance.verboVersion() + " (Spark "
                    + org.apache.spark.package$.MODULE$.SPARK_VERSION() + ", Java " + System.getProperty("java.version") + ")"};
        }
    }
}
