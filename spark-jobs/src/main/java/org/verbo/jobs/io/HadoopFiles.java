package org.verbo.jobs.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Every path verbo reads or writes goes through Hadoop's {@link FileSystem} (DESIGN.md: file:, hdfs://, s3a://
 * … all work). Small helpers for listing inputs, atomic small-file writes and whole-directory publishing.
 */
public final class HadoopFiles {

    private HadoopFiles() {
    }

    /**
     * Expands each input (a file, a directory read recursively, or a glob) into its files, sorted by path so
     * file ordinals (and so "first occurrence") are deterministic. Hidden files ({@code .x}, {@code _x}) are
     * skipped, as Spark does. An input that matches nothing fails with a message naming it.
     */
    public static List<FileStatus> expandInputs(List<String> inputs, Configuration conf) {
        List<FileStatus> out = new ArrayList<>();
        for (String input : inputs) {
            Path p = new Path(input);
            List<FileStatus> found = new ArrayList<>();
            try {
                FileSystem fs = p.getFileSystem(conf);
                FileStatus[] matches = fs.globStatus(p);
                if (matches == null || matches.length == 0) {
                    throw new IllegalArgumentException("input not found: " + input);
                }
                for (FileStatus m : matches) {
                    if (m.isDirectory()) {
                        addFilesBelow(fs, m.getPath(), found);
                    } else if (!isHidden(m.getPath().getName())) {
                        found.add(m);
                    }
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot list input " + input + ": " + e.getMessage(), e);
            }
            if (found.isEmpty()) {
                throw new IllegalArgumentException("input has no files: " + input);
            }
            found.sort(Comparator.comparing(f -> f.getPath().toString()));
            out.addAll(found);
        }
        return out;
    }

    /**
     * Plain {@code listStatus} per directory, hidden names pruned on the way down. Not {@code listFiles(dir,
     * true)}: its {@code LocatedFileStatus} copies each file's permissions, which the local file system without
     * Hadoop's native library reads by starting one {@code stat} process per file (17 s for 5,652 pages).
     */
    private static void addFilesBelow(FileSystem fs, Path dir, List<FileStatus> found) throws IOException {
        for (FileStatus f : fs.listStatus(dir)) {
            if (isHidden(f.getPath().getName())) {
                continue;
            }
            if (f.isDirectory()) {
                addFilesBelow(fs, f.getPath(), found);
            } else if (f.isFile()) {
                found.add(f);
            }
        }
    }

    private static boolean isHidden(String name) {
        return name.startsWith(".") || name.startsWith("_");
    }

    /**
     * The Hadoop configuration a job will see, built before Spark starts so that bad paths fail at once:
     * Hadoop's defaults plus every {@code spark.hadoop.*} setting (from system properties, as spark-submit
     * passes them, and from {@code verbo.spark.conf}), the way Spark itself builds it.
     */
    public static Configuration preflightConf(java.util.Map<String, String> sparkConf) {
        return confFrom(hadoopSettings(sparkConf));
    }

    /**
     * The Hadoop settings a job adds to Hadoop's defaults: every {@code spark.hadoop.*} key (system properties, as
     * spark-submit passes them, then {@code verbo.spark.conf}) without its prefix. A serializable map, so a task can
     * rebuild the same configuration on an executor ({@link #confFrom}).
     */
    public static java.util.HashMap<String, String> hadoopSettings(java.util.Map<String, String> sparkConf) {
        java.util.Map<String, String> all = new java.util.LinkedHashMap<>();
        System.getProperties().forEach((k, v) -> all.put(String.valueOf(k), String.valueOf(v)));
        all.putAll(sparkConf);
        java.util.HashMap<String, String> out = new java.util.HashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith("spark.hadoop.")) {
                out.put(k.substring("spark.hadoop.".length()), v);
            }
        });
        return out;
    }

    /** Hadoop's defaults plus the given settings. */
    public static Configuration confFrom(java.util.Map<String, String> settings) {
        Configuration conf = new Configuration();
        settings.forEach(conf::set);
        return conf;
    }

    /** Fails with one line naming the path when a required input is missing. */
    public static void requireExists(String what, String path, Configuration conf) {
        if (!exists(path, conf)) {
            throw new IllegalArgumentException(what + " not found: " + path);
        }
    }

    /** Opens a file, decompressing by extension (.gz, .bz2, .deflate, .zst …) with Hadoop's codecs. */
    public static InputStream openMaybeCompressed(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        InputStream raw = fs.open(path);
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
        return codec == null ? raw : codec.createInputStream(raw);
    }

    public static boolean exists(String path, Configuration conf) {
        try {
            Path p = new Path(path);
            return p.getFileSystem(conf).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String readString(String path, Configuration conf) {
        Path p = new Path(path);
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes a small file through a temp name in the same directory, then renames it into place. */
    public static void writeStringAtomically(String path, String content, Configuration conf) {
        Path target = new Path(path);
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        try {
            FileSystem fs = target.getFileSystem(conf);
            try (FSDataOutputStream out = fs.create(tmp, true)) {
                out.write(content.getBytes(StandardCharsets.UTF_8));
            }
            if (fs.exists(target)) {
                fs.delete(target, false);
            }
            if (!fs.rename(tmp, target)) {
                throw new IOException("rename " + tmp + " -> " + target + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    /** Moves a finished temp directory to its final name (replacing what is there when allowed). */
    public static void publish(Path tmp, Path target, boolean replace, Configuration conf) {
        TempDirs.release(tmp, conf);   // a temp directory's lease stays behind, not in the output
        try {
            FileSystem fs = target.getFileSystem(conf);
            if (fs.exists(target)) {
                if (!replace) {
                    throw new IllegalStateException(target + " appeared while the job ran; left the new output in " + tmp);
                }
                fs.delete(target, true);
            }
            fs.mkdirs(target.getParent());
            if (!fs.rename(tmp, target)) {
                throw new IOException("rename " + tmp + " -> " + target + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + target + ": " + e.getMessage(), e);
        }
    }

    /** Best-effort clean-up of a temp directory (its lease, if any, is no longer refreshed). */
    public static void deleteQuietly(Path p, Configuration conf) {
        TempDirs.delete(p, conf);
    }

    /** Refuses to run over existing outputs unless {@code overwrite}: a rerun never mixes old and new files. */
    public static void refuseExisting(List<String> outputs, boolean overwrite, Configuration conf) {
        if (overwrite) {
            return;
        }
        List<String> existing = new ArrayList<>();
        for (String o : outputs) {
            if (exists(o, conf)) {
                existing.add(o);
            }
        }
        if (!existing.isEmpty()) {
            throw new IllegalArgumentException("output already exists: " + String.join(", ", existing)
                    + " (use --overwrite=true to replace it)");
        }
    }

    public static String child(String dir, String name) {
        return new Path(new Path(dir), name).toString();
    }

    /**
     * A new, leased temp directory {@code <outDir>/_tmp_<job>_<token>} on the outputs' file system (so the final rename
     * is cheap); what dead runs left in {@code outDir} is deleted first ({@link TempDirs}).
     */
    public static Path tempDirBeside(String outDir, String job, Configuration conf) {
        return TempDirs.create(new Path(outDir), job, conf);
    }

    /** True for a path without scheme or with the file: scheme. */
    public static boolean isLocal(String path) {
        String scheme = new Path(path).toUri().getScheme();
        return scheme == null || scheme.equals("file");
    }

    public static java.nio.file.Path localPath(String path) {
        return java.nio.file.Path.of(new Path(path).toUri().getPath()).toAbsolutePath();
    }

    /** The directory itself when it is local, else a copy fetched into a fresh local temp directory. */
    public static java.nio.file.Path localDir(String dir, Configuration conf) {
        if (isLocal(dir)) {
            return localPath(dir);
        }
        try {
            return fetchDir(dir, java.nio.file.Files.createTempDirectory("verbo-fetch-"), conf);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies a directory tree from any Hadoop file system into a local directory; returns the local copy. */
    public static java.nio.file.Path fetchDir(String source, java.nio.file.Path localParent, Configuration conf) {
        try {
            Path src = new Path(source);
            src.getFileSystem(conf).copyToLocalFile(false, src, new Path(localParent.toUri()), true);
            return localParent.resolve(src.getName());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + source + " to " + localParent + ": " + e.getMessage(), e);
        }
    }

    /** Copies a local file to a Hadoop path through a temp name and a rename (replacing what is there). */
    public static void putFile(java.nio.file.Path local, String target, Configuration conf) {
        putDir(local, target, conf);   // copyFromLocalFile copies a file or a tree alike
    }

    /** Copies a finished local directory tree (or one file) to a Hadoop path (through a temp name, then rename). */
    public static void putDir(java.nio.file.Path local, String target, Configuration conf) {
        Path dst = new Path(target);
        Path tmp = TempDirs.create(dst.getParent(), dst.getName(), conf);
        Path payload = new Path(tmp, dst.getName());
        try {
            FileSystem fs = dst.getFileSystem(conf);
            fs.copyFromLocalFile(false, true, new Path(local.toUri()), payload);
            publish(payload, dst, true, conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + local + " to " + target + ": " + e.getMessage(), e);
        } finally {
            TempDirs.delete(tmp, conf);
        }
    }
}
