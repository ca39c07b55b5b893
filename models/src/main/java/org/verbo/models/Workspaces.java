package org.verbo.models;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
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
    private static final WorkspaceConfiguration STEP = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.STRICT)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private Workspaces() {
    }

    /** Opens (or re-enters) the named per-iteration workspace; close it at the end of the iteration. */
    public static MemoryWorkspace step(String id) {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP, id);
    }

    /** Scope for long-lived arrays created while a workspace may be active. */
    public static MemoryWorkspace outside() {
        return Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
    }
}
