// In-JVM A/B of prepare's quality filters between two builds of data-prep: each build's classes in a class loader of
// its own, the same normalised documents, passes alternating A-B / B-A on one thread, CPU time per pass. On a VM whose
// speed drifts by tens of percent between minutes, only passes this close together compare two builds. Prints each
// build's best and median MB per CPU second, the per-pass CPU ratio A/B, and whether both gave the same verdicts.
// Run through scripts/bench/quality-ab.sh; by hand:
//   java -cp <deps> scripts/bench/QualityAB.java CLASSES_A CLASSES_B DEPS_CLASSPATH INPUT_DIR MB PASSES
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

public class QualityAB {
  public static void main(String[] a) throws Exception {
    if (a.length != 6) {
      System.err.println("usage: QualityAB CLASSES_A CLASSES_B DEPS_CLASSPATH INPUT_DIR MB PASSES");
      System.exit(2);
    }
    long max = (long) (Double.parseDouble(a[4]) * 1e6);
    int passes = Integer.parseInt(a[5]);
    // Documents: the non-blank lines of the input's files in name order (prepare's text_split=line), up to MB.
    List<Path> files = new ArrayList<>();
    try (var s = Files.walk(Path.of(a[3]))) {
      s.filter(Files::isRegularFile).sorted().forEach(files::add);
    }
    List<String> texts = new ArrayList<>();
    long bytes = 0;
    for (Path f : files) {
      for (String line : Files.readAllLines(f)) {
        if (bytes >= max) {
          break;
        }
        if (!line.isBlank()) {
          texts.add(line);
          bytes += line.getBytes(StandardCharsets.UTF_8).length;
        }
      }
    }
    Object[] filters = new Object[2];
    Method[] apply = new Method[2];
    Method[][] verdict = new Method[2][];
    List<String> normalised = null;
    for (int k = 0; k < 2; k++) {
      List<URL> urls = new ArrayList<>();
      urls.add(Path.of(a[k]).toUri().toURL());
      for (String d : a[2].split(":")) {
        if (!d.isEmpty()) {
          urls.add(Path.of(d).toUri().toURL());
        }
      }
      ClassLoader cl = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
      Class<?> qc = cl.loadClass("org.verbo.prep.quality.QualityConfig");
      Class<?> qf = cl.loadClass("org.verbo.prep.quality.QualityFilters");
      Class<?> v = cl.loadClass("org.verbo.prep.quality.Verdict");
      filters[k] = qf.getConstructor(qc).newInstance(qc.getMethod("defaults").invoke(null));
      apply[k] = qf.getMethod("apply", String.class, boolean.class);
      verdict[k] = new Method[] {v.getMethod("kept"), v.getMethod("rejectReason"), v.getMethod("text"), v.getMethod("detail")};
      if (normalised == null) { // as prepare hands them over: normalised by the reader (build A's normaliser)
        Method norm = cl.loadClass("org.verbo.prep.text.TextNormalizer").getMethod("normalize", String.class);
        normalised = new ArrayList<>();
        for (String t : texts) {
          normalised.add((String) norm.invoke(null, t));
        }
      }
    }
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double[][] cpu = new double[2][passes];
    String[] digest = new String[2];
    for (int p = -3; p < passes; p++) { // three warm-up rounds for the JIT
      for (int kk = 0; kk < 2; kk++) {
        int k = (p & 1) == 0 ? kk : 1 - kk; // A-B, then B-A: neither build always runs second
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        long c0 = mx.getCurrentThreadCpuTime();
        for (String t : normalised) {
          Object out = apply[k].invoke(filters[k], t, true);
          if (p == -3) { // the verdicts, once: reason or kept text
            boolean kept = (Boolean) verdict[k][0].invoke(out);
            md.update((kept ? "kept:" + verdict[k][2].invoke(out)
                : "rejected:" + verdict[k][1].invoke(out) + ":" + verdict[k][3].invoke(out)).getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
          }
        }
        long c1 = mx.getCurrentThreadCpuTime();
        if (p == -3) {
          digest[k] = HexFormat.of().formatHex(md.digest()).substring(0, 16);
        }
        if (p >= 0) {
          cpu[k][p] = (c1 - c0) / 1e9;
        }
      }
    }
    System.out.printf("%.1f MB, %d documents, %d passes per build after 3 warm-up rounds; CPU: %s, %d cores%n",
        bytes / 1e6, normalised.size(), passes, cpuModel(), Runtime.getRuntime().availableProcessors());
    for (int k = 0; k < 2; k++) {
      double[] s = cpu[k].clone();
      Arrays.sort(s);
      System.out.printf("%s: best %.3f s (%.1f MB/cpu-s), median %.3f s (%.1f MB/cpu-s), verdicts %s%n", k == 0 ? "A" : "B",
          s[0], bytes / 1e6 / s[0], s[passes / 2], bytes / 1e6 / s[passes / 2], digest[k]);
    }
    double[] ratio = new double[passes];
    for (int p = 0; p < passes; p++) {
      ratio[p] = cpu[0][p] / cpu[1][p];
    }
    Arrays.sort(ratio);
    System.out.printf("CPU A / B per pass: median %.3f (min %.3f, max %.3f); verdicts %s%n", ratio[passes / 2], ratio[0],
        ratio[passes - 1], digest[0].equals(digest[1]) ? "IDENTICAL" : "DIFFERENT");
  }

  private static String cpuModel() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return "unknown";
  }
}
