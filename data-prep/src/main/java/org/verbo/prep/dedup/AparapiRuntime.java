package org.verbo.prep.dedup;

import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.kernel.KernelManager;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One-time, side-effect-contained start of Aparapi in this JVM.
 *
 * <p>Aparapi 3.0.0's {@code com.aparapi.Config} static initialiser sets the level of <i>every</i>
 * handler of the JUL root logger to its own level (WARNING by default), which silences INFO logs of
 * the whole JVM, and {@code OpenCLLoader} logs a SEVERE "Check your environment" line on every
 * machine without OpenCL, where running on the Java thread pool is the intended behaviour. Here the
 * root handlers' levels are put back, the OpenCL probe runs with Aparapi's logger off, and
 * Aparapi's logger is then left at SEVERE (unless the user set {@code -Dcom.aparapi.logLevel}); the
 * dedup code reports the device it used itself ({@link MinHasher#executionMode()}).
 *
 * <p>Must be initialised before any {@code com.aparapi.Kernel} subclass, because initialising a
 * kernel class initialises {@code Config} first; {@link MinHasher} calls {@link #ensureStarted()}
 * before it touches {@link MinHashKernel}.
 */
final class AparapiRuntime {

  private AparapiRuntime() {}

  /** Strong reference: JUL forgets the level of a logger nobody references. */
  private static final Logger APARAPI_LOG;

  /** Whether Aparapi could load its native library and an OpenCL runtime. */
  static final boolean OPENCL_AVAILABLE;

  /** Number of OpenCL devices Aparapi would consider (0 without a runtime or platform). */
  static final int OPENCL_DEVICES;

  static {
    Logger root = Logger.getLogger("");
    Handler[] handlers = root.getHandlers();
    Level[] before = new Level[handlers.length];
    for (int i = 0; i < handlers.length; i++) {
      before[i] = handlers[i].getLevel();
    }
    String loggerName = com.aparapi.Config.getLoggerName(); // runs Config's static initialiser
    for (int i = 0; i < handlers.length; i++) {
      handlers[i].setLevel(before[i]);
    }
    APARAPI_LOG = Logger.getLogger(loggerName);
    boolean userLevel = System.getProperty(loggerName) != null;
    Level configured = APARAPI_LOG.getLevel();
    if (!userLevel) {
      APARAPI_LOG.setLevel(Level.OFF);
    }
    boolean available;
    try {
      available = com.aparapi.internal.opencl.OpenCLLoader.isOpenCLAvailable();
    } catch (LinkageError | RuntimeException e) {
      available = false;
    }
    OPENCL_AVAILABLE = available;
    int devices = 0;
    if (available) {
      try {
        for (Device d : KernelManager.instance().getDefaultPreferences().getPreferredDevices(null)) {
          devices += d instanceof OpenCLDevice ? 1 : 0;
        }
      } catch (LinkageError | RuntimeException e) {
        devices = 0;
      }
    }
    OPENCL_DEVICES = devices;
    APARAPI_LOG.setLevel(userLevel ? configured : Level.SEVERE);
  }

  /** Triggers the static initialiser above (idempotent, cheap after the first call). */
  static boolean ensureStarted() {
    return OPENCL_AVAILABLE;
  }
}
