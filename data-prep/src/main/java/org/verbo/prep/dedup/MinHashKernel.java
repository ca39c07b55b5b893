package org.verbo.prep.dedup;

import com.aparapi.Kernel;
import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.JavaDevice;
import com.aparapi.internal.kernel.KernelManager;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Aparapi kernel computing MinHash signatures of a batch of documents; one work-item per
 * (document, permutation). {@link MinHasher#signature(int[])} is its plain-Java reference twin and
 * must produce bit-identical values (see {@code MinHashKernelParityTest}).
 *
 * <p>Work-item {@code gid} in {@code [0, numDocs * numPerms)} computes
 *
 * <pre>
 *   doc  = gid / numPerms,  perm = gid - doc * numPerms
 *   sig[gid] = min over k in [docStart[doc], docStart[doc+1]) of
 *              (int) ((permA[perm] * (shingleHashes[k] &amp; 0xFFFFFFFFL) + permB[perm]) &gt;&gt; 32)
 * </pre>
 *
 * <p>Only operations whose Java and OpenCL C meanings coincide are used: 64-bit wrapping {@code *}
 * and {@code +} on {@code long}, a signed {@code >> 32} whose result always fits an {@code int} (so
 * the narrowing cast is exact and no {@code >>>}, unsigned compare or {@code %} is needed), and a
 * signed {@code int} compare for the minimum. Neighbouring work-items share a document, so on a GPU
 * they read the same shingles (broadcast) and write consecutive outputs (coalesced).
 *
 * <p>Buffers ({@code [totalShingles]}, {@code [numDocs+1]}, {@code [numPerms]} x2, {@code
 * [numDocs*numPerms]}) are owned by the kernel and only grow, so Aparapi keeps the same device
 * buffers across launches; the kernel runs in explicit mode, so each launch copies exactly the
 * host-written inputs in and the signatures out. Kernels are pooled ({@link #acquire()} / {@link
 * #release}) because every Aparapi kernel owns a Java thread pool and, on OpenCL, a device context:
 * a Spark task that opens a {@link MinHasher} per partition reuses an idle kernel instead of making
 * new ones.
 *
 * <p>Not thread-safe: one {@link MinHasher} at a time holds a kernel. Start Aparapi through
 * {@link AparapiRuntime} before this class is first used (as {@link MinHasher} does), so Aparapi's
 * logging set-up does not leak into the rest of the JVM.
 */
public final class MinHashKernel extends Kernel {

  /** Work-group size: a multiple of 32 (NVIDIA warp) and 64 (AMD wavefront); JTP runs this many tasks. */
  static final int LOCAL_SIZE = 64;

  // Inputs: doc d owns shingleHashes[docStart[d] .. docStart[d+1]).
  private int[] shingleHashes = new int[1]; // [capacity >= totalShingles]
  private int[] docStart = new int[2]; // [capacity >= numDocs + 1]
  private long[] permA = new long[1]; // [numPerms] multipliers of h_i
  private long[] permB = new long[1]; // [numPerms] offsets of h_i
  // Output, doc-major: signatures[doc * numPerms + perm].
  private int[] signatures = new int[1]; // [capacity >= numDocs * numPerms]
  private int numPerms = 1;
  private int workItems;

  // Host-side state (never read by run()).
  private boolean paramsOnDevice;
  private static volatile boolean jtpOnly;

  private static final ConcurrentLinkedQueue<MinHashKernel> IDLE = new ConcurrentLinkedQueue<>();
  private static final AtomicInteger IDLE_COUNT = new AtomicInteger();
  private static final int MAX_IDLE = Math.max(2, Runtime.getRuntime().availableProcessors());

  /** Buffer size (in ints) above which a kernel going idle drops its buffers (16 MiB). */
  static final int IDLE_BUFFER_INTS = 1 << 22;

  MinHashKernel() {
    setExplicit(true);
  }

  /** An idle pooled kernel, or a new one. Give it back with {@link #release}. */
  static MinHashKernel acquire() {
    MinHashKernel k = IDLE.poll();
    if (k != null) {
      IDLE_COUNT.decrementAndGet();
      return k;
    }
    return new MinHashKernel();
  }

  /**
   * Returns {@code k} to the pool, or disposes it when the pool already holds enough idle kernels.
   * An idle kernel keeps at most {@link #IDLE_BUFFER_INTS} ints of buffers.
   */
  static void release(MinHashKernel k) {
    if (IDLE_COUNT.incrementAndGet() <= MAX_IDLE) {
      k.trimBuffers();
      IDLE.add(k);
    } else {
      IDLE_COUNT.decrementAndGet();
      k.dispose();
    }
  }

  @Override
  public void run() {
    int gid = getGlobalId();
    if (gid < workItems) {
      int doc = gid / numPerms; // both operands >= 0: no sign issue in C
      int perm = gid - doc * numPerms;
      long a = permA[perm];
      long b = permB[perm];
      int min = 2147483647; // Integer.MAX_VALUE: the value of an empty document
      int end = docStart[doc + 1];
      for (int k = docStart[doc]; k < end; k++) {
        long u = shingleHashes[k] & 0xFFFFFFFFL; // the 32-bit shingle as an unsigned key
        int h = (int) ((a * u + b) >> 32); // high word of a 64-bit multiply-add
        if (h < min) {
          min = h;
        }
      }
      signatures[gid] = min;
    }
  }

  // ---- host side -----------------------------------------------------------------------------

  /** Sets the hash-function parameters (copied only when they differ from the loaded ones). */
  void setPermutations(long[] a, long[] b) {
    if (permA.length == a.length && Arrays.equals(permA, a) && Arrays.equals(permB, b)) {
      return;
    }
    permA = a.clone();
    permB = b.clone();
    numPerms = a.length;
    paramsOnDevice = false;
  }

  /** The shingle buffer, grown to at least {@code n} ints; the caller fills {@code [0, n)}. */
  int[] shingleBuffer(int n) {
    if (shingleHashes.length < n) {
      shingleHashes = new int[grow(shingleHashes.length, n)];
    }
    return shingleHashes;
  }

  /** The offsets buffer, grown to at least {@code numDocs + 1} ints; the caller fills it. */
  int[] docStartBuffer(int numDocs) {
    if (docStart.length < numDocs + 1) {
      docStart = new int[grow(docStart.length, numDocs + 1)];
    }
    return docStart;
  }

  /** The output buffer after {@link #launch}: {@code [numDocs * numPerms]} doc-major. */
  int[] output() {
    return signatures;
  }

  /**
   * Runs the kernel over {@code numDocs} documents whose inputs were written into the buffers, on
   * the device Aparapi prefers for this kernel class (see {@link #useJavaThreadPoolOnly}). Aparapi
   * itself moves on to the next preferred device (ending with its Java thread pool) when a device
   * fails to build or run the kernel.
   *
   * @return the device that ran the kernel: Aparapi marks a failed device before retrying, so the
   *     class's first remaining preferred device afterwards is the one that succeeded
   */
  Device launch(int numDocs) {
    long items = (long) numDocs * numPerms;
    if (items > Integer.MAX_VALUE - LOCAL_SIZE) {
      throw new IllegalArgumentException("too many work items in one launch: " + items);
    }
    workItems = (int) items;
    if (signatures.length < workItems) {
      signatures = new int[grow(signatures.length, workItems)];
    }
    // Padded to whole work-groups; run() ignores gid >= workItems. (A Range made for a JavaDevice
    // would not pin the kernel to it: Aparapi 3.0.0's Range keeps only OpenCL devices.)
    int global = ((workItems + LOCAL_SIZE - 1) / LOCAL_SIZE) * LOCAL_SIZE;
    Range range = Range.create(global, LOCAL_SIZE);
    put(shingleHashes);
    put(docStart);
    if (!paramsOnDevice) {
      put(permA);
      put(permB);
      paramsOnDevice = true;
    }
    execute(range);
    get(signatures);
    return getTargetDevice();
  }

  /**
   * From now on every {@code MinHashKernel} in this JVM runs on Aparapi's Java thread pool (the
   * device preference is per kernel class in Aparapi).
   */
  static void useJavaThreadPoolOnly(MinHashKernel any) {
    if (!jtpOnly) {
      synchronized (MinHashKernel.class) {
        KernelManager.instance()
            .setPreferredDevices(any, new LinkedHashSet<>(List.of(JavaDevice.THREAD_POOL)));
        jtpOnly = true;
      }
    }
  }

  /** Undoes {@link #useJavaThreadPoolOnly}: Aparapi's default device order again (tests). */
  static void useDefaultDevices(MinHashKernel any) {
    synchronized (MinHashKernel.class) {
      List<Device> defaults = KernelManager.instance().getDefaultPreferences().getPreferredDevices(null);
      KernelManager.instance().setPreferredDevices(any, new LinkedHashSet<>(defaults));
      jtpOnly = false;
    }
  }

  /** Forces the parameters to be copied again on the next launch (e.g. after a device change). */
  void invalidateDeviceCopies() {
    paramsOnDevice = false;
  }

  /** Short name of a device: GPU, CPU or ACC for OpenCL devices, JTP, SEQ or ALT for Java ones. */
  static String modeOf(Device d) {
    if (d == null || d == JavaDevice.THREAD_POOL) {
      // Aparapi runs on its thread pool when its preference list is exhausted (null).
      return "JTP";
    }
    if (d == JavaDevice.SEQUENTIAL) {
      return "SEQ";
    }
    if (d == JavaDevice.ALTERNATIVE_ALGORITHM) {
      return "ALT";
    }
    // OpenCL devices: GPU, CPU or ACC.
    return String.valueOf(d.getType());
  }

  /** Human-readable device description for logs. */
  static String describe(Device d) {
    Device shown = d == null ? JavaDevice.THREAD_POOL : d;
    return modeOf(shown) + " (" + shown.getShortDescription() + ")";
  }

  private void trimBuffers() {
    if ((long) shingleHashes.length + docStart.length + signatures.length > IDLE_BUFFER_INTS) {
      shingleHashes = new int[1];
      docStart = new int[2];
      signatures = new int[1];
    }
  }

  private static int grow(int current, int needed) {
    long n = Math.max((long) needed, (long) current + (current >> 1));
    return (int) Math.min(n, Integer.MAX_VALUE - 8);
  }
}
