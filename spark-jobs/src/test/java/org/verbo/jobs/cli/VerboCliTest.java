package org.verbo.jobs.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad usage fails at start, before any Spark work, with one clear line and exit code 2. */
class VerboCliTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Verbo.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void unknownKeyFailsWithOneLineNamingIt() {
        Run r = run("prepare", "--input=" + tmp, "--out=" + tmp.resolve("o"), "--prepare.dedup.neer=false");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--prepare.dedup.neer"), r.err());
    }

    @Test
    void wrongValueTypeAndMissingPathsFailClearly() {
        Run badType = run("tokenize", "--out=" + tmp, "--tokenize.context_length=abc");
        assertEquals(2, badType.code());
        assertTrue(badType.err().contains("tokenize.context_length"), badType.err());

        Run missing = run("prepare", "--input=" + tmp.resolve("does-not-exist"), "--out=" + tmp.resolve("o"));
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("input not found"), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());

        Run noInput = run("prepare", "--out=" + tmp);
        assertEquals(2, noInput.code());
        assertTrue(noInput.err().contains("--input"), noInput.err());
    }

    @Test
    void unknownKeyInConfFileIsRejected() throws Exception {
        Path conf = tmp.resolve("bad.conf");
        Files.writeString(conf, "verbo.prepare.dedup.nearr = false\n");
        Run r = run("prepare", "--conf=" + conf, "--input=" + tmp, "--out=" + tmp.resolve("o"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("verbo.prepare.dedup.nearr"), r.err());
    }

    @Test
    void anOptionThatDoesNotApplyToTheInputsFormatFailsWithOneLine() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.writeString(in.resolve("a.txt"), "some text");
        Run idCol = run("prepare", "--input=" + in, "--out=" + tmp.resolve("o"), "--id-col=id");
        assertEquals(2, idCol.code(), idCol.err());
        assertEquals(1, idCol.err().strip().lines().count(), idCol.err());
        assertTrue(idCol.err().startsWith("verbo prepare: --id-col applies to JSONL and Parquet inputs"), idCol.err());

        Run renamed = run("prepare", "--input=" + in, "--out=" + tmp.resolve("o"), "--prepare.id_field=id");
        assertEquals(2, renamed.code(), renamed.err());
        assertEquals(1, renamed.err().strip().lines().count(), renamed.err());
        assertTrue(renamed.err().contains("replaced by --prepare.id_col"), renamed.err());
        assertTrue(Files.notExists(tmp.resolve("o")));
    }

    @Test
    void aUsersMistakeIsOneLineAndABugKeepsItsStackTrace() {
        // verbo's own check of a value: the user's to fix
        IllegalArgumentException mistake = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new org.verbo.jobs.tokenize.TokenizeJob.Settings("c", "t", "o", 16, 0.1, 1, "verbo", "</s>", 0, false));
        // the same type thrown inside the JDK (a charset name verbo never checked): a bug, keeps its trace
        IllegalArgumentException inLibrary = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> java.nio.charset.Charset.forName("no such charset!"));
        NullPointerException npe = new NullPointerException("boom");

        assertEquals(new Handled(2, 1), handle(mistake));
        assertEquals(1, handle(inLibrary).code());
        assertTrue(handle(inLibrary).lines() > 2, "stack trace kept");
        assertEquals(1, handle(npe).code());
        assertTrue(handle(npe).lines() > 2, "stack trace kept");
    }

    private record Handled(int code, long lines) {
    }

    private static Handled handle(Exception ex) {
        picocli.CommandLine cl = Verbo.commandLine().getSubcommands().get("prepare");
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        try {
            int code = cl.getExecutionExceptionHandler().handleExecutionException(ex, cl, null);
            return new Handled(code, err.toString().strip().lines().count());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void helpListsConfigKeysWithDefaults() {
        Run r = run("prepare", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--prepare.dedup.minhash.bands=14"), r.out());
        assertTrue(r.out().contains("--input"), r.out());
    }
}
