package org.verbo.models.nn;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For the kernel tests, which switch the process-wide {@link Kernels} state: each test requires the Vector API kernels
 * (a test JVM without the module fails here, it does not skip) and gets back {@link Kernels#enabled()} and
 * {@link Kernels#threads()} as they were before it, so no test leaks its setting into the next. A class's own extra
 * state (block sizes, forced paths) it saves and restores itself, in its {@code @BeforeEach}/{@code @AfterEach}, which
 * JUnit runs inside these callbacks.
 */
public final class KernelStateExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(KernelStateExtension.class);

    private record Saved(boolean enabled, int threads) {
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        assertTrue(Kernels.AVAILABLE, "tests run with --add-modules=jdk.incubator.vector (pom surefire argLine)");
        context.getStore(NS).put(Saved.class, new Saved(Kernels.enabled(), Kernels.threads()));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Saved saved = context.getStore(NS).remove(Saved.class, Saved.class);
        if (saved != null) {
            Kernels.setEnabled(saved.enabled());
            Kernels.setThreads(saved.threads());
        }
    }
}
