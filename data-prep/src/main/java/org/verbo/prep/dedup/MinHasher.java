package org.verbo.prep.dedup;

import com.aparapi.device.Device;
import com.aparapi.device.JavaDevice;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MinHash signatures (Broder, "On the resemblance and containment of documents", 1997): value
 * {@code i} of a document's signature is {@code min_x h_i(x)} over its shingle hashes {@code x}, so
 * two documents agree at position {@code i} with probability ≈ their Jaccard similarity.
 *
 * <h2>Hash family</h2>
 *
 * <pre>
 *   h_i(x) = (int) ((a_i * (x &amp; 0xFFFFFFFFL) + b_i) &gt;&gt; 32)      a_i, b_i: 64-bit, from seed
 * </pre>
 *
 * the multiply-add-shift scheme of Dietzfelbinger ("Universal hashing and k-wise independent
 * random variables via integer arithmetic without primes", STACS 1996): for 32-bit keys, 64-bit
 * {@code a, b} and the high 32 bits as output it is strongly universal (pairwise independent). The
 * keys are MurmurHash3 values of shingles, i.e. already well mixed, and for such keys pairwise
 * independence makes min-wise hashing behave as with truly random permutations (Mitzenmacher and
 * Vadhan, "Why simple hash functions work: exploiting the entropy in a data stream", SODA 2008);
 * {@code MinHashQualityTest} checks the estimate against exact Jaccard. It was chosen because it
 * is one 64-bit multiply and add per (shingle, permutation) and means the same in Java and in
 * Aparapi's OpenCL C: wrapping {@code long} arithmetic, an arithmetic {@code >> 32} whose result
 * always fits an {@code int} (so the cast is exact), no {@code >>>}, no unsigned compare, no
 * {@code %}. Minima use the signed {@code int} order in both twins. The parameters come from
 * {@code new SplittableRandom(config.seed())}: {@code a_0, b_0, a_1, b_1, ...}.
 *
 * <h2>Twins and where they run</h2>
 *
 * {@link #signature(int[])} is the plain-Java reference. {@link #signatures(List)} computes a whole
 * batch, by {@code -Dverbo.minhash.device}:
 *
 * <ul>
 *   <li>{@code auto} (the default): with Aparapi on an OpenCL device when Aparapi finds one, otherwise
 *       on the calling thread;
 *   <li>{@code thread}: on the calling thread, with the JDK Vector API ({@link MinHashVectors}, mode
 *       {@code "SIMD"}) when the JVM has the module {@code jdk.incubator.vector}, else with the
 *       reference loop (mode {@code "JAVA"});
 *   <li>{@code jtp}: {@link MinHashKernel} on Aparapi's Java thread pool (JTP).
 * </ul>
 *
 * Why the calling thread and not JTP on a machine without OpenCL: a Spark executor already runs one
 * task per core, and JTP's pool then cost about 1.5x the CPU of the plain loop on one thread, while
 * the Vector API loop does 8 permutations per multiply (docs/BENCHMARKS.md). On Aparapi, if the
 * preferred device throws, or returns a signature that disagrees with the reference on the
 * spot-checked documents of a launch, the batch is recomputed on JTP and every later launch in this
 * JVM uses JTP. {@link #executionMode()} says what ran.
 *
 * <h2>Empty documents</h2>
 *
 * A document without shingles gets {@link Integer#MAX_VALUE} at every position. Such signatures
 * would all collide in every band, so callers must skip documents whose shingle array is empty
 * (the Spark dedup job does) rather than band them.
 *
 * <h2>Life cycle</h2>
 *
 * Cheap to construct (two arrays of {@code numPermutations} longs); the kernel is taken from a
 * small JVM-wide pool on the first {@link #signatures} call and returned by {@link #close()}. Use
 * one instance per thread (e.g. per Spark partition, in try-with-resources); not thread-safe.
 */
public final class MinHasher implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(MinHasher.class.getName());

  /** Largest number of documents per kernel launch; longer batches are split. */
  static final int MAX_DOCS_PER_LAUNCH = 1 << 15;

  /** Largest number of shingles per kernel launch (64 MiB of ints); longer batches are split. */
  static final int MAX_SHINGLES_PER_LAUNCH = 1 << 24;

  /** {@code -Dverbo.minhash.device}: auto, thread or jtp (see the class comment). */
  private static final String DEVICE = deviceProperty();

  /** Once a preferred device failed or disagreed, all launches in this JVM use JTP. */
  private static volatile boolean forceJtp = "jtp".equals(DEVICE);

  /** Whether the Vector API twin can run: the module is in this JVM. */
  static final boolean SIMD = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  /** Modes and fallbacks already logged in this JVM: each is logged once, not per batch. */
  private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

  private final MinHashConfig config;
  private final long[] a; // [numPermutations] multipliers
  private final long[] b; // [numPermutations] offsets
  private MinHashKernel kernel;
  private String mode = "NONE";
  private String device = "none";
  private long launches; // kernel launches so far, also picks the spot-checked document
  private final int maxDocsPerLaunch;
  private final int maxShinglesPerLaunch;
  private final boolean onThread; // signatures on the calling thread, not with Aparapi

  // Test seams: make the next launch on the preferred device throw, or return one wrong value.
  boolean failNextPreferredLaunch;
  boolean corruptNextPreferredLaunch;

  /**
   * Derives the {@code config.numPermutations()} hash functions from {@code config.seed()}; {@link
   * #signatures} runs where {@code -Dverbo.minhash.device} says (the class comment).
   */
  public MinHasher(MinHashConfig config) {
    this(config, MAX_DOCS_PER_LAUNCH, MAX_SHINGLES_PER_LAUNCH, runsOnThread());
  }

  /** With Aparapi whatever the device setting, and smaller launch limits (tests of the kernel and batch splitting). */
  MinHasher(MinHashConfig config, int maxDocsPerLaunch, int maxShinglesPerLaunch) {
    this(config, maxDocsPerLaunch, maxShinglesPerLaunch, false);
  }

  /** With Aparapi whatever the device setting (tests of the kernel). */
  static MinHasher onAparapi(MinHashConfig config) {
    return new MinHasher(config, MAX_DOCS_PER_LAUNCH, MAX_SHINGLES_PER_LAUNCH, false);
  }

  /** On the calling thread whatever the device setting (tests of the thread twins). */
  static MinHasher onThread(MinHashConfig config) {
    return new MinHasher(config, MAX_DOCS_PER_LAUNCH, MAX_SHINGLES_PER_LAUNCH, true);
  }

  private MinHasher(MinHashConfig config, int maxDocsPerLaunch, int maxShinglesPerLaunch, boolean onThread) {
    if (maxDocsPerLaunch < 1 || maxShinglesPerLaunch < 1) {
      throw new IllegalArgumentException("launch limits must be >= 1");
    }
    this.onThread = onThread;
    this.maxDocsPerLaunch = maxDocsPerLaunch;
    this.maxShinglesPerLaunch = maxShinglesPerLaunch;
    this.config = config;
    int p = config.numPermutations();
    this.a = new long[p];
    this.b = new long[p];
    SplittableRandom rnd = new SplittableRandom(config.seed());
    for (int i = 0; i < p; i++) {
      a[i] = rnd.nextLong();
      b[i] = rnd.nextLong();
    }
  }

  public MinHashConfig config() {
    return config;
  }

  public int numPermutations() {
    return a.length;
  }

  /** The shingles of {@code text} under this config's n-gram size ({@link Shingler#shingles}). */
  public int[] shingles(String text) {
    return Shingler.shingles(text, config.ngram());
  }

  /**
   * Reference MinHash signature: for each permutation {@code i}, {@code min_x h_i(x)} over {@code
   * shingles} (any order, duplicates allowed); all {@link Integer#MAX_VALUE} when empty.
   */
  public int[] signature(int[] shingles) {
    int p = a.length;
    int[] sig = new int[p];
    Arrays.fill(sig, Integer.MAX_VALUE);
    for (int x : shingles) {
      for (int i = 0; i < p; i++) {
        int h = hash(a[i], b[i], x);
        if (h < sig[i]) {
          sig[i] = h;
        }
      }
    }
    return sig;
  }

  /**
   * {@code h(x) = (int) ((a * (x & 0xFFFFFFFFL) + b) >> 32)}: one function of the family (the class comment), the
   * scalar form both the reference and {@link MinHashVectors}' tail use.
   */
  static int hash(long a, long b, int shingle) {
    return (int) ((a * (shingle & 0xFFFFFFFFL) + b) >> 32);
  }

  /** Reference signature of a text: {@code signature(shingles(text))}. */
  public int[] signature(String text) {
    return signature(shingles(text));
  }

  /** The reference twin over a batch: {@link #signature(int[])} per document, on this thread. */
  public int[][] referenceSignatures(List<int[]> batch) {
    int[][] out = new int[batch.size()][];
    for (int d = 0; d < out.length; d++) {
      out[d] = signature(batch.get(d));
    }
    return out;
  }

  /**
   * Signatures of a batch of shingle arrays with the Aparapi kernel; {@code out[d]} equals {@link
   * #signature(int[]) signature(batch.get(d))} exactly. Batches are flattened into one shingle
   * buffer plus offsets and launched with one work-item per (document, permutation); very large
   * batches are split into several launches.
   */
  public int[][] signatures(List<int[]> batch) {
    int n = batch.size();
    int[][] out = new int[n][];
    if (onThread) {
      boolean simd = SIMD;
      for (int d = 0; d < n; d++) {
        if (simd) {
          out[d] = new int[a.length];
          MinHashVectors.signature(batch.get(d), a, b, out[d]);
        } else {
          out[d] = signature(batch.get(d));
        }
      }
      if (n > 0 && "NONE".equals(mode)) {
        mode = simd ? "SIMD" : "JAVA";
        device = simd
            ? "SIMD (Vector API, " + MinHashVectors.lanes() + " permutations a multiply, calling thread)"
            : "JAVA (reference loop, calling thread; add --add-modules=jdk.incubator.vector for SIMD)";
        logOnce(System.Logger.Level.INFO, "mode:" + mode, "MinHash signatures run as " + device);
      }
      return out;
    }
    int p = a.length;
    int maxDocs = Math.min(maxDocsPerLaunch, (Integer.MAX_VALUE - MinHashKernel.LOCAL_SIZE) / p);
    int from = 0;
    while (from < n) {
      int to = from;
      long shingles = 0;
      while (to < n && to - from < maxDocs) {
        int len = batch.get(to).length;
        if (to > from && shingles + len > maxShinglesPerLaunch) {
          break;
        }
        shingles += len;
        to++;
      }
      launch(batch, from, to, (int) shingles, out);
      from = to;
    }
    return out;
  }

  /**
   * What ran the last {@link #signatures} call: {@code "GPU"}, {@code "CPU"} or {@code "ACC"} (an
   * OpenCL device), {@code "JTP"} (Aparapi's Java thread pool), {@code "SEQ"}, {@code "SIMD"} or
   * {@code "JAVA"} (the calling thread, with the Vector API or the reference loop), or {@code "NONE"}
   * before the first call.
   */
  public String executionMode() {
    return mode;
  }

  /** The device of the last launch, described for logs (e.g. {@code "GPU (NVIDIA H100 ...)"}). */
  public String executionDevice() {
    return device;
  }

  /** Kernel launches made by this instance (a batch larger than the launch limits takes several). */
  long launches() {
    return launches;
  }

  /** Where signatures come from, for reports: config, hash family and shingle hash. */
  public String provenance() {
    return String.format(
        Locale.ROOT,
        "minhash{ngram=%d, bands=%d, rows=%d, threshold=%s, seed=%d, shingle=murmur3_x86_32(utf8, seed 0),"
            + " h_i=(a_i*x+b_i)>>32 from SplittableRandom(seed)}",
        config.ngram(),
        config.bands(),
        config.rows(),
        config.threshold(),
        config.seed());
  }

  /** Returns the kernel to the pool; the instance stays usable (a later batch takes a kernel again). */
  @Override
  public void close() {
    if (kernel != null) {
      MinHashKernel.release(kernel);
      kernel = null;
    }
  }

  // ---- kernel launch with explicit fallback --------------------------------------------------

  private void launch(List<int[]> batch, int from, int to, int totalShingles, int[][] out) {
    if (kernel == null) {
      AparapiRuntime.ensureStarted(); // before MinHashKernel (and so Aparapi's Config) initialises
      kernel = MinHashKernel.acquire();
    }
    MinHashKernel k = kernel;
    k.setPermutations(a, b);
    int docs = to - from;
    int[] flat = k.shingleBuffer(totalShingles); // [totalShingles]
    int[] start = k.docStartBuffer(docs); // [docs + 1]
    int pos = 0;
    for (int d = 0; d < docs; d++) {
      int[] s = batch.get(from + d);
      start[d] = pos;
      System.arraycopy(s, 0, flat, pos, s.length);
      pos += s.length;
    }
    start[docs] = pos;
    launches++;

    boolean jtp = forceJtp;
    Device ran = run(k, docs, jtp);
    copyOut(k, from, docs, out);
    if (!jtp && corruptNextPreferredLaunch) {
      corruptNextPreferredLaunch = false;
      out[to - 1][0] ^= 1;
    }
    if (!agreesWithReference(batch, from, docs, out)) {
      if (jtp || isJtp(ran)) {
        throw new IllegalStateException(
            "MinHash kernel on " + MinHashKernel.describe(ran) + " disagrees with the reference twin");
      }
      logOnce(
          System.Logger.Level.ERROR,
          "mismatch:" + MinHashKernel.modeOf(ran),
          "MinHash kernel on " + MinHashKernel.describe(ran)
              + " disagreed with the plain-Java reference; recomputing on JTP and using JTP from now on");
      forceJtp = true;
      k.invalidateDeviceCopies();
      ran = run(k, docs, true);
      copyOut(k, from, docs, out);
      if (!agreesWithReference(batch, from, docs, out)) {
        throw new IllegalStateException("MinHash kernel on JTP disagrees with the reference twin");
      }
    }
    mode = MinHashKernel.modeOf(ran);
    device = MinHashKernel.describe(ran);
    logOnce(
        System.Logger.Level.INFO,
        "mode:" + mode,
        "MinHash kernel runs on " + device
            + (AparapiRuntime.OPENCL_DEVICES == 0 ? " (Aparapi found no OpenCL device)" : ""));
  }

  /** One launch; if the preferred device throws, an explicit rerun on JTP. */
  private Device run(MinHashKernel k, int docs, boolean jtp) {
    if (jtp) {
      MinHashKernel.useJavaThreadPoolOnly(k);
      try {
        return k.launch(docs);
      } catch (RuntimeException e) {
        throw new IllegalStateException("MinHash kernel failed on JTP", e);
      }
    }
    try {
      if (failNextPreferredLaunch) {
        failNextPreferredLaunch = false;
        throw new IllegalStateException("injected failure of the preferred device");
      }
      return k.launch(docs);
    } catch (RuntimeException | LinkageError e) {
      logOnce(
          System.Logger.Level.WARNING,
          "failed:" + e.getClass().getName(),
          "MinHash kernel failed on the preferred Aparapi device (" + e
              + "); falling back to JTP for this JVM");
      forceJtp = true;
      k.invalidateDeviceCopies();
      return run(k, docs, true);
    }
  }

  private void copyOut(MinHashKernel k, int from, int docs, int[][] out) {
    int p = a.length;
    int[] res = k.output(); // [docs * p], doc-major
    for (int d = 0; d < docs; d++) {
      out[from + d] = Arrays.copyOfRange(res, d * p, (d + 1) * p);
    }
  }

  /**
   * Spot check against the reference twin: the last document of the launch (catches offset and
   * padding errors) and one rotating document. Costs two reference signatures per launch.
   */
  private boolean agreesWithReference(List<int[]> batch, int from, int docs, int[][] out) {
    int last = docs - 1;
    int rotating = (int) Math.floorMod(launches * 0x9E3779B97F4A7C15L, (long) docs);
    return Arrays.equals(out[from + last], signature(batch.get(from + last)))
        && (rotating == last
            || Arrays.equals(out[from + rotating], signature(batch.get(from + rotating))));
  }

  private static String deviceProperty() {
    return System.getProperty("verbo.minhash.device", "auto").trim().toLowerCase(Locale.ROOT);
  }

  /**
   * Checks {@code -Dverbo.minhash.device} (jobs call this at start, so a typo fails there with one line).
   *
   * @throws IllegalArgumentException when it is not auto, thread or jtp
   */
  public static void requireValidDeviceSetting() {
    if (!DEVICE.equals("auto") && !DEVICE.equals("thread") && !DEVICE.equals("jtp")) {
      throw new IllegalArgumentException(
          "-Dverbo.minhash.device must be auto, thread or jtp, got \"" + DEVICE + "\"");
    }
  }

  /** Where {@code -Dverbo.minhash.device} puts {@link #signatures}: true for the calling thread. */
  private static boolean runsOnThread() {
    requireValidDeviceSetting();
    return switch (DEVICE) {
      case "thread" -> true;
      case "jtp" -> false;
      default -> !AparapiRuntime.ensureStarted() || AparapiRuntime.OPENCL_DEVICES == 0;
    };
  }

  /** Forgets an earlier switch to JTP (tests only; the system property still applies). */
  static void resetDeviceChoice() {
    forceJtp = "jtp".equals(DEVICE);
    if (!forceJtp) {
      AparapiRuntime.ensureStarted();
      MinHashKernel k = MinHashKernel.acquire();
      MinHashKernel.useDefaultDevices(k);
      MinHashKernel.release(k);
    }
  }

  private static boolean isJtp(Device d) {
    return d == null || d == JavaDevice.THREAD_POOL;
  }

  private static void logOnce(System.Logger.Level level, String key, String message) {
    if (LOGGED.add(key)) {
      LOG.log(level, message);
    }
  }
}
