package org.verbo.embeddings.train;

import java.util.List;

/**
 * One training row of {@code embed-train}: a query (instruction prefix included) with its positive document and
 * its hard negatives, all tokenised.
 *
 * @param query             query ids, the instruction first
 * @param instructionLength leading instruction tokens of the query
 * @param positive          the positive document's ids
 * @param negatives         hard negative documents' ids (may be empty)
 */
public record ContrastiveExample(int[] query, int instructionLength, int[] positive, List<int[]> negatives) {
    public ContrastiveExample {
        if (query == null || positive == null || negatives == null) {
            throw new IllegalArgumentException("query, positive and negatives are required");
        }
        if (instructionLength < 0 || instructionLength >= query.length) {
            throw new IllegalArgumentException("query of " + query.length + " tokens with an instruction of "
                    + instructionLength + " has no text token to pool");
        }
        if (positive.length == 0 || negatives.stream().anyMatch(n -> n == null || n.length == 0)) {
            throw new IllegalArgumentException("documents need at least one token");
        }
        negatives = List.copyOf(negatives);
    }
}
