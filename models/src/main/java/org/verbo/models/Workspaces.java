package org.verbo.models;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J memory workspaces for the per-step temporaries (activations, caches, gradients of activations). Without them
 * every temporary is a separate off-heap allocation freed only when the small Java heap happens to be collected, and
 * the process grows to many GB; inside a workspace the first iteration learns the size and later ones reuse one
 * buffer. Anything that must outlive a step (parameters, gradients, optimizer state, masks, KV caches) is allocated
 * under {@link #outside()}.
 */
public final class Workspaces {
    private static final WorkspaceConfiguration STEP = config(0, LearningPolicy.FIRST_LOOP, SpillPolicy.REALLOCATE);

    /** A step workspace's policies: strict allocation, reset when the cycle ends (BLOCK_LEFT). */
    private static WorkspaceConfiguration config(long initialSize, LearningPolicy learning, SpillPolicy spill) {
        return WorkspaceConfiguration.builder()
                .initialSize(initialSize)
                .policyAllocation(AllocationPolicy.STRICT)
                .policyLearning(learning)
                .policyReset(ResetPolicy.BLOCK_LEFT)
                .policySpill(spill)
                .build();
    }

    /**
     * Creates this thread's workspace {@code id} with {@code config}, destroying one that exists. Through the manager:
     * the workspace's own destroyWorkspace() frees its memory but leaves it registered, and the manager then hands
     * back that same object, with its old configuration, instead of creating the new one.
     */
    private static void replace(String id, WorkspaceConfiguration config) {
        var mgr = Nd4j.getWorkspaceManager();
        if (mgr.checkIfWorkspaceExists(id)) {
            mgr.destroyWorkspace(mgr.getWorkspaceForCurrentThread(id));
        }
        mgr.getWorkspaceForCurrentThread(config, id);
    }

    private Workspaces() {
    }

    /** Opens (or re-enters) the named per-iteration workspace; close it at the end of the iteration. */
    public static MemoryWorkspace step(String id) {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP, id);
    }

    /**
     * Creates this thread's workspace {@code id} at {@code bytes} up front (same policies as {@link #step}; it still
     * grows if a cycle ever needs more), so its first cycle runs inside it instead of learning its size: a learning
     * cycle places every array in a separate allocation and then allocates and zeroes the workspace, touching about
     * three times the step's memory (1 GiB at bench-7m, most of the first step's 2.3 s; docs/PERFORMANCE.md).
     * Replaces an existing workspace of that id.
     */
    public static void presize(String id, long bytes) {
        replace(id, config(bytes, LearningPolicy.FIRST_LOOP, SpillPolicy.REALLOCATE));
    }

    /**
     * Makes this thread's workspace {@code id} a fixed block of at least {@code bytes} that never learns or
     * reallocates (what a cycle needs beyond it is allocated outside, as without a workspace): created when absent or
     * smaller, kept otherwise. For inference over batches of varying size, where a learning workspace would
     * reallocate and zero itself whenever a batch is larger than the ones before (sorted batches: almost every time).
     */
    public static void ensureFixed(String id, long bytes) {
        var mgr = Nd4j.getWorkspaceManager();
        if (mgr.checkIfWorkspaceExists(id)) {
            MemoryWorkspace ws = mgr.getWorkspaceForCurrentThread(id);
            if (ws.getWorkspaceConfiguration().getPolicyLearning() == LearningPolicy.NONE
                    && ws.getWorkspaceConfiguration().getPolicySpill() == SpillPolicy.EXTERNAL
                    && ws.getCurrentSize() >= bytes) {
                return;
            }
        }
        replace(id, config(bytes, LearningPolicy.NONE, SpillPolicy.EXTERNAL));
    }

    /**
     * Creates this thread's workspaces {@code ids} in measuring mode: every array goes to its own allocation, freed
     * when the cycle ends, and nothing is learned or zeroed; {@link #measured()} then reports the largest cycle of each.
     */
    public static void measure(String... ids) {
        WorkspaceConfiguration measuring = config(0, LearningPolicy.NONE, SpillPolicy.EXTERNAL);
        for (String id : ids) {
            replace(id, measuring);
        }
    }

    /** The largest cycle's bytes of each of this thread's workspaces, by id (see {@link #measure}). */
    public static java.util.Map<String, Long> measured() {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        for (MemoryWorkspace ws : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
            if (ws instanceof org.nd4j.linalg.api.memory.abstracts.Nd4jWorkspace n) {
                out.put(ws.getId(), n.getMaxCycleAllocations());
            }
        }
        return out;
    }

    /**
     * Runs {@code pass} inside this thread's workspace {@code id} nested in {@code parent} and copies its result out
     * to {@code parent}: the pass's temporaries are reused by the next pass in {@code id} (one block of a model at a
     * time). With no parent (no workspace open) the pass runs as it is.
     */
    @SuppressWarnings("try")   // the nested scope is opened for its side effect
    public static INDArray nested(MemoryWorkspace parent, String id, java.util.function.Supplier<INDArray> pass) {
        if (parent == null) {
            return pass.get();
        }
        try (MemoryWorkspace ws = step(id)) {
            return pass.get().leverageTo(parent.getId());
        }
    }

    /** Scope for long-lived arrays created while a workspace may be active. */
    public static MemoryWorkspace outside() {
        return Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
    }
}
