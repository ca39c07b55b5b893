package org.verbo.embeddings.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Bm25BaselineTest {

    /**
     * Terms after analysis (stop words o, no, um, e, da, the, on removed; accents folded):
     * d1 gato dorme sofa (3), d2 cao corre parque (3), d3 cat sleeps sofa (3),
     * d4 gato cao brincam parque cidade grande (6); avgdl = 15 / 4 = 3.75.
     */
    private static Bm25Baseline corpus() throws IOException {
        Bm25Baseline bm25 = new Bm25Baseline();
        // d4 first: on a score tie Lucene ranks the earlier document first, so d2 can only beat it by length.
        bm25.add("d4", "Um gato e um cão brincam no parque da cidade grande.");
        bm25.add("d1", "O gato dorme no sofá.");
        bm25.add("d2", "O cão corre no parque.");
        bm25.add("d3", "The cat sleeps on the sofa.");
        return bm25;
    }

    @Test
    void twoMatchingTermsBeatOneDespiteALongerDocument() throws IOException {
        // "gato" and "parque" each occur in 2 of 4 docs: idf = ln(1 + 2.5/2.5) = ln 2 for both.
        // d4 (dl 6): 2 * ln2 * 1/(1 + 1.2*(0.25 + 0.75*6/3.75)) = 2 * 0.693 * 0.365 = 0.506
        // d1, d2 (dl 3): ln2 * 1/(1 + 1.2*(0.25 + 0.75*3/3.75)) = 0.693 * 0.495 = 0.343 each
        try (Bm25Baseline bm25 = corpus()) {
            List<String> hits = bm25.search("gato no parque", 10);
            assertEquals(3, hits.size());
            assertEquals("d4", hits.get(0));
            assertEquals(Set.of("d1", "d2"), Set.copyOf(hits.subList(1, 3)));
        }
    }

    @Test
    void theShorterDocumentWinsOnOneTermAndAccentsFold() throws IOException {
        // "cão" -> cao in d2 (dl 3) and d4 (dl 6), same tf and idf: b = 0.75 length normalization puts d2 first.
        try (Bm25Baseline bm25 = corpus()) {
            assertEquals(List.of("d2", "d4"), bm25.search("cão", 10));
            assertEquals(Set.of("d1", "d3"), Set.copyOf(bm25.search("sofa", 10)));
            assertEquals(List.of("d2"), bm25.search("CAO", 1));
        }
    }

    @Test
    void aQueryOfStopWordsFindsNothing() throws IOException {
        try (Bm25Baseline bm25 = corpus()) {
            assertEquals(List.of(), bm25.search("o the no on", 10));
        }
    }
}
