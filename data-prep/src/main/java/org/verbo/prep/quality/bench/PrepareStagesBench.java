package org.verbo.prep.quality.bench;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.verbo.prep.dedup.MinHashConfig;
import org.verbo.prep.dedup.MinHasher;
import org.verbo.prep.dedup.Shingler;
import org.verbo.prep.io.DocumentReader;
import org.verbo.prep.io.InputFormat;
import org.verbo.prep.io.RawDocument;
import org.verbo.prep.io.ReaderOptions;
import org.verbo.prep.io.TextSplit;
import org.verbo.prep.quality.QualityConfig;
import org.verbo.prep.quality.QualityFilters;
import org.verbo.prep.quality.Verdict;
import org.verbo.prep.text.HtmlTextExtractor;
import org.verbo.prep.text.TextDecoder;
import org.verbo.prep.text.TextNormalizer;

/**
 * Single-thread throughput of the per-byte stages of {@code verbo prepare} on a directory of inputs, in one
 * JVM, without Spark: what one core does per MB in the job's "read + normalise + quality" stage, and in
 * shingling. The files are read into memory once; every stage then runs on the same in-memory inputs:
 *
 * <ul>
 *   <li>{@code decode}: {@link TextDecoder} on each document's bytes (the whole file for HTML and FILE split,
 *       each line for LINE split and JSONL);
 *   <li>{@code html extract}: {@link HtmlTextExtractor#extract} on the decoded pages (HTML only);
 *   <li>{@code normalise}: {@link TextNormalizer#normalize} on what prepare normalises (the decoded text, the
 *       JSONL text field, or the extractor's output, which the job's {@code clean} normalises again);
 *   <li>{@code quality}: {@link QualityFilters#apply} with the reference.conf defaults (stop words pt + en) on
 *       the normalised documents;
 *   <li>{@code shingle}: {@link Shingler#shingles} (n = 5, the dedup.minhash.ngram default) on the kept texts;
 *   <li>{@code signatures}: {@link Shingler#ngramHashes} and {@link MinHasher#signatures} (the default bands and rows, in
 *       batches of 1,000 as the dedup job sends them) on the kept texts;
 *   <li>{@code read + normalise + quality}: {@link DocumentReader#read} from the bytes, then normalise and
 *       quality as the job's {@code PrepareJob.clean} does: the stage the Spark job reports.
 * </ul>
 *
 * <p>A first pass over everything warms the JIT; the timed passes then run round-robin over the stages
 * ({@code --repeats} rounds, so a load change on a shared machine hits all stages alike) and the best time per
 * stage is reported as MB of input file bytes per second of wall time, and per second of the thread's CPU
 * time (steadier on a shared machine, where wall time includes waiting for a core). Each stage also prints a
 * SHA-256 digest of its outputs (texts, verdicts with reason and detail, shingles): two builds that print the
 * same digests produced the same results. Run through {@code scripts/bench/prepare-stages.sh}.
 *
 * <pre>
 * --input DIR        directory of input files, read recursively; names starting with "." or "_" are skipped
 * --format F         auto (by file name, as prepare), text, jsonl or html (default auto)
 * --text-split S     file, line or paragraph for TEXT files (default file, as reference.conf)
 * --max-mb N         read at most about N MB of files (default: all)
 * --repeats N        timed rounds (default 5)
 * --ngram N          shingle size (default 5)
 * </pre>
 */
public final class PrepareStagesBench {

  private PrepareStagesBench() {}

  public static void main(String[] args) throws IOException {
    try {
      run(args);
    } catch (IllegalArgumentException e) {
      System.err.println("prepare-stages bench: " + e.getMessage());
      System.exit(2);
    }
  }

  /** One input file: its bytes and the format prepare would read it as. */
  private record Input(Path path, byte[] bytes, InputFormat format) {}

  private interface Stage {
    /** Runs the stage once over all inputs, handing every output to {@code out}. */
    void run(Sink out);
  }

  private static void run(String[] args) throws IOException {
    Path input = null;
    String format = "auto";
    TextSplit split = TextSplit.FILE;
    double maxMb = Double.MAX_VALUE;
    int repeats = 5;
    int ngram = 5;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        System.out.println("usage: prepare-stages.sh --input DIR [--format auto|text|jsonl|html]"
            + " [--text-split file|line|paragraph] [--max-mb N] [--repeats 5] [--ngram 5]");
        return;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value for " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--input" -> input = Path.of(v);
        case "--format" -> format = v;
        case "--text-split" -> split = TextSplit.parse(v);
        case "--max-mb" -> maxMb = Double.parseDouble(v);
        case "--repeats" -> repeats = Integer.parseInt(v);
        case "--ngram" -> ngram = Integer.parseInt(v);
        default -> throw new IllegalArgumentException("unknown option " + a + " (see --help)");
      }
    }
    if (input == null || !Files.isDirectory(input)) {
      throw new IllegalArgumentException("--input must name a directory, got " + input);
    }
    if (repeats < 1 || ngram < 1) {
      throw new IllegalArgumentException("--repeats and --ngram must be >= 1");
    }
    InputFormat forced = format.equals("auto") ? null : InputFormat.parse(format);

    List<Input> inputs = load(input, forced, maxMb);
    long bytes = inputs.stream().mapToLong(f -> f.bytes().length).sum();
    ReaderOptions options = ReaderOptions.defaults().withTextSplit(split);
    QualityFilters filters = new QualityFilters(QualityConfig.defaults());
    System.out.printf("input: %s, %d files, %.2f MB, text_split=%s; CPU: %s, %d cores; java %s%n", input,
        inputs.size(), bytes / 1e6, split.name().toLowerCase(), cpuModel(),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));

    // The inputs of each stage, prepared once (untimed) so that each stage is timed alone.
    List<byte[]> docBytes = documentBytes(inputs, split);
    List<String> decodedHtml = new ArrayList<>();
    for (Input f : inputs) {
      if (f.format() == InputFormat.HTML) {
        TextDecoder.Decoded d = TextDecoder.decode(f.bytes(), 0, f.bytes().length, options.fallbackCharset());
        if (d.ok()) {
          decodedHtml.add(d.text());
        }
      }
    }
    List<String> toNormalise = toNormalise(inputs, docBytes, decodedHtml, options);
    List<String> normalised = new ArrayList<>();
    for (RawDocument r : readAll(inputs, options)) {
      if (r.isOk()) {
        normalised.add(r.text());
      }
    }
    List<String> kept = new ArrayList<>();
    for (String t : normalised) {
      Verdict v = filters.apply(t);
      if (v.kept()) {
        kept.add(v.text());
      }
    }
    System.out.printf("documents: %d decoded units, %d to normalise, %d read, %d kept%n", docBytes.size(),
        toNormalise.size(), normalised.size(), kept.size());

    final int n = ngram;
    Map<String, Stage> stages = new LinkedHashMap<>();
    stages.put("decode", d -> {
      TextDecoder decoder = new TextDecoder(options.fallbackCharset());
      for (byte[] b : docBytes) {
        TextDecoder.Decoded x = decoder.decode(b, 0, b.length);
        d.add(x.ok() ? x.text() : x.error());
      }
    });
    if (!decodedHtml.isEmpty()) {
      stages.put("html extract", d -> {
        for (String html : decodedHtml) {
          HtmlTextExtractor.Extracted x = HtmlTextExtractor.extract(html);
          d.add(x.title());
          d.add(x.text());
        }
      });
    }
    stages.put("normalise", d -> {
      for (String t : toNormalise) {
        d.add(TextNormalizer.normalize(t));
      }
    });
    stages.put("quality", d -> {
      for (String t : normalised) {
        add(d, filters.apply(t, true)); // the reader hands out normalised text, as in prepare
      }
    });
    stages.put("shingle (n=" + n + ")", d -> {
      for (String t : kept) {
        d.add(Shingler.shingles(t, n));
      }
    });
    // What the dedup job's signature stage does per document: every n-gram's hash, then MinHash in batches as
    // NearDuplicates sends them (on this thread with the Vector API where Aparapi finds no OpenCL device).
    MinHashConfig defaults = MinHashConfig.defaults();
    MinHashConfig minHash = new MinHashConfig(n, defaults.bands(), defaults.rows(), defaults.threshold(), defaults.seed());
    stages.put("signatures (n=" + n + ", " + minHash.numPermutations() + " perms)", d -> {
      try (MinHasher hasher = new MinHasher(minHash)) {
        List<int[]> batch = new ArrayList<>();
        for (int i = 0; i < kept.size(); i++) {
          int[] h = Shingler.ngramHashes(kept.get(i), n);
          if (h.length > 0) {
            batch.add(h);
          }
          if (batch.size() == 1000 || (i == kept.size() - 1 && !batch.isEmpty())) {
            for (int[] sig : hasher.signatures(batch)) {
              d.add(sig);
            }
            batch.clear();
          }
        }
      }
    });
    stages.put("read + normalise + quality", d -> {
      for (RawDocument r : readAll(inputs, options)) {
        if (!r.isOk()) {
          d.add(r.rejectReason());
          d.add(r.rejectDetail());
          continue;
        }
        String text = TextNormalizer.normalize(r.text());
        if (text.isEmpty()) {
          d.add("empty");
          continue;
        }
        add(d, filters.apply(text, true));
      }
    });

    List<String> names = new ArrayList<>(stages.keySet());
    List<Stage> passes = new ArrayList<>(stages.values());
    double[] best = new double[passes.size()];
    double[] bestCpu = new double[passes.size()];
    Arrays.fill(best, Double.MAX_VALUE);
    Arrays.fill(bestCpu, Double.MAX_VALUE);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    byte[][] digests = new byte[passes.size()][];
    // Warm-up pass, digesting the outputs; the timed passes only count them, so hashing is not timed.
    long[] counts = new long[passes.size()];
    for (int i = 0; i < passes.size(); i++) {
      Digest d = new Digest();
      passes.get(i).run(d);
      digests[i] = d.done();
      counts[i] = d.count;
    }
    for (int r = 0; r < repeats; r++) {
      for (int i = 0; i < passes.size(); i++) {
        Sink c = new Sink();
        long t0 = System.nanoTime();
        long c0 = threads.getCurrentThreadCpuTime();
        passes.get(i).run(c);
        double cpu = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
        double s = (System.nanoTime() - t0) / 1e9;
        bestCpu[i] = Math.min(bestCpu[i], cpu);
        if (c.count != counts[i]) {
          throw new IllegalStateException(names.get(i) + ": " + c.count + " outputs, expected " + counts[i]);
        }
        best[i] = Math.min(best[i], s);
      }
    }
    System.out.println();
    System.out.printf("%-28s %9s %9s %12s  %s%n", "stage (1 thread, best of " + repeats + ")", "seconds", "MB/s",
        "MB/cpu-s", "outputs (sha-256, first 16 hex)");
    for (int i = 0; i < names.size(); i++) {
      System.out.printf("%-28s %9.3f %9.2f %12.2f  %s%n", names.get(i), best[i], bytes / 1e6 / best[i],
          bytes / 1e6 / bestCpu[i], HexFormat.of().formatHex(digests[i], 0, 8));
    }
  }

  private static List<Input> load(Path dir, InputFormat forced, double maxMb) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile)
          .filter(p -> !hidden(dir, p))
          .sorted()
          .toList();
    }
    List<Input> out = new ArrayList<>();
    long total = 0;
    for (Path p : files) {
      InputFormat f = forced != null ? forced : InputFormat.fromFileName(p.toString());
      if (f == InputFormat.PARQUET) {
        continue;
      }
      byte[] b = Files.readAllBytes(p);
      out.add(new Input(p, b, f));
      total += b.length;
      if (total >= maxMb * 1e6) {
        break;
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no input files under " + dir);
    }
    return out;
  }

  /** Hidden as prepare lists inputs: any path part starting with "." or "_". */
  private static boolean hidden(Path dir, Path p) {
    for (Path part : dir.relativize(p)) {
      String s = part.toString();
      if (s.startsWith(".") || s.startsWith("_")) {
        return true;
      }
    }
    return false;
  }

  /** The byte ranges DocumentReader decodes one at a time: whole files, or lines (JSONL, LINE split). */
  private static List<byte[]> documentBytes(List<Input> inputs, TextSplit split) {
    List<byte[]> out = new ArrayList<>();
    for (Input f : inputs) {
      boolean perLine = f.format() == InputFormat.JSONL
          || (f.format() == InputFormat.TEXT && split != TextSplit.FILE);
      if (!perLine) {
        out.add(f.bytes());
        continue;
      }
      byte[] b = f.bytes();
      int start = 0;
      for (int i = 0; i <= b.length; i++) {
        if (i == b.length || b[i] == '\n') {
          int end = i > start && b[i - 1] == '\r' ? i - 1 : i;
          if (end > start) {
            out.add(Arrays.copyOfRange(b, start, end));
          }
          start = i + 1;
        }
      }
    }
    return out;
  }

  /** What prepare hands to TextNormalizer.normalize for the first time, per document. */
  private static List<String> toNormalise(List<Input> inputs, List<byte[]> docBytes, List<String> decodedHtml,
      ReaderOptions options) {
    List<String> out = new ArrayList<>();
    boolean anyJsonl = inputs.stream().anyMatch(f -> f.format() == InputFormat.JSONL);
    TextDecoder decoder = new TextDecoder(options.fallbackCharset());
    ObjectMapper json = new ObjectMapper();
    boolean onlyHtml = inputs.stream().allMatch(f -> f.format() == InputFormat.HTML);
    if (onlyHtml) {
      for (String html : decodedHtml) {
        out.add(HtmlTextExtractor.extract(html).text());
      }
      return out;
    }
    for (byte[] b : docBytes) {
      TextDecoder.Decoded d = decoder.decode(b, 0, b.length);
      if (!d.ok()) {
        continue;
      }
      if (anyJsonl) {
        try {
          JsonNode node = json.readTree(d.text());
          JsonNode v = node == null ? null : node.get(options.jsonTextField());
          if (v != null && v.isTextual()) {
            out.add(v.textValue());
          }
        } catch (IOException e) {
          // a malformed line: prepare rejects it before normalising
        }
      } else {
        out.add(d.text());
      }
    }
    return out;
  }

  private static List<RawDocument> readAll(List<Input> inputs, ReaderOptions options) {
    List<RawDocument> out = new ArrayList<>();
    for (Input f : inputs) {
      Iterator<RawDocument> it = DocumentReader.read(new ByteArrayInputStream(f.bytes()), f.format(), options);
      while (it.hasNext()) {
        out.add(it.next());
      }
    }
    return out;
  }

  private static void add(Sink d, Verdict v) {
    d.add(v.text());
    d.add(v.kept() ? "kept" : v.rejectReason());
    d.add(v.kept() ? "" : v.detail());
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | UncheckedIOException e) {
      // not Linux: the model stays unknown
    }
    return System.getProperty("os.arch");
  }

  /** Counts a stage's outputs (the timed passes). */
  private static class Sink {
    long count;

    void add(String s) {
      count++;
    }

    void add(int[] a) {
      count++;
    }
  }

  /** SHA-256 of a sequence of strings and int arrays, each length-prefixed so boundaries count. */
  private static final class Digest extends Sink {
    private final MessageDigest md;

    Digest() {
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    void add(String s) {
      count++;
      byte[] b = (s == null ? "\u0000null" : s).getBytes(StandardCharsets.UTF_8);
      md.update(intBytes(b.length));
      md.update(b);
    }

    @Override
    void add(int[] a) {
      count++;
      md.update(intBytes(a.length));
      for (int x : a) {
        md.update(intBytes(x));
      }
    }

    byte[] done() {
      return md.digest();
    }

    private static byte[] intBytes(int x) {
      return new byte[] {(byte) (x >>> 24), (byte) (x >>> 16), (byte) (x >>> 8), (byte) x};
    }
  }
}
