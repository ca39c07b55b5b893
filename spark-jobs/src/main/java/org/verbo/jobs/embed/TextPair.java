package org.verbo.jobs.embed;

import java.io.Serializable;
import java.util.List;

/**
 * A training pair as text: a query, its positive passage and hard negatives.
 *
 * @param source where it came from: the table row, or the corpus document and paragraph it was mined from
 */
public record TextPair(String query, String positive, List<String> negatives, String source) implements Serializable {
    public TextPair {
        negatives = List.copyOf(negatives);
    }

    public TextPair withNegatives(List<String> n) {
        return new TextPair(query, positive, n, source);
    }
}
