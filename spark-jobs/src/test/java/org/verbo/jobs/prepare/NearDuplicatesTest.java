package org.verbo.jobs.prepare;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.verbo.jobs.TestSpark;
import org.verbo.prep.dedup.PlantedDuplicates;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end near-duplicate detection through {@code prepare} (real Spark, real Parquet) on a generated
 * corpus with planted duplicates at several edit rates. The planted pairs' exact Jaccard similarities come
 * from the generator (computed on the shingle sets, not from MinHash).
 */
class NearDuplicatesTest {

    @TempDir
    Path tmp;

    @Test
    void plantedDuplicatesAreFoundAndDissimilarPairsNeverMerged() throws IOException {
        PlantedDuplicates.Corpus corpus = PlantedDuplicates.generate(120, 300,
                new double[] {0.0, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3}, 20261126L);
        Path in = Files.createDirectories(tmp.resolve("in"));
        ObjectMapper om = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(in.resolve("planted.jsonl"))) {
            for (PlantedDuplicates.Doc d : corpus.docs()) {
                w.write(om.writeValueAsString(Map.of("id", d.id(), "text", d.text())));
                w.newLine();
            }
        }
        // Connected components on the driver (the default for a graph this small) and in Spark rounds must agree.
        Map<String, String> nearDupOf = nearDuplicates(in, tmp.resolve("out"), corpus.docs().size());
        assertEquals(nearDupOf, nearDuplicates(in, tmp.resolve("out-spark-cc"), corpus.docs().size(),
                "prepare.dedup.cc_local_edges", "0"));

        int high = 0;
        int found = 0;
        int low = 0;
        for (PlantedDuplicates.Pair p : corpus.planted()) {
            // Same cluster ⇔ same kept representative (a kept document represents itself).
            boolean merged = nearDupOf.getOrDefault(p.a(), p.a()).equals(nearDupOf.getOrDefault(p.b(), p.b()));
            if (p.jaccard() >= 0.85) {
                high++;
                found += merged ? 1 : 0;
            } else if (p.jaccard() < 0.5) {
                low++;
                assertTrue(!merged, "pair below 0.5 merged: " + p);
            }
        }
        assertTrue(high >= 200 && low >= 50, "the generator must plant both kinds: high=" + high + " low=" + low);
        double recall = (double) found / high;
        System.out.printf("near-dup: %d pairs with J >= 0.85, recall %.3f; %d pairs with J < 0.5, none merged%n", high, recall, low);
        assertTrue(recall >= 0.9, "recall " + recall + " for pairs with Jaccard >= 0.85");
        // Distinct base documents share no 5-gram: a dropped document's representative is always of its own
        // family (its base or another variant of that base).
        Map<String, String> family = new HashMap<>();
        for (PlantedDuplicates.Doc d : corpus.docs()) {
            family.put(d.id(), d.id().substring(0, d.id().indexOf('-'))); // f000042-base, f000042-v3 → f000042
        }
        for (Map.Entry<String, String> e : nearDupOf.entrySet()) {
            assertEquals(family.get(e.getKey()), family.get(e.getValue()), "merged across families: " + e);
        }
    }

    /** Runs prepare on {@code in} (quality filters and exact dedup off): each near_dup id → its representative's id. */
    private static Map<String, String> nearDuplicates(Path in, Path out, int docs, String... overrides) {
        PrepareReport report = PrepareJob.run(TestSpark.session(), PrepareSettings.from(
                TestSpark.config(TestSpark.concat(TestSpark.qualityOff(), TestSpark.concat(new String[] {"prepare.id_col", "id",
                        "prepare.dedup.exact", "false"}, overrides))),
                List.of(in.toString()), out.toString()), System.out::println);
        Map<String, String> nearDupOf = new HashMap<>();
        for (Row r : TestSpark.session().read().parquet(out.resolve("rejected").toString()).collectAsList()) {
            assertEquals("near_dup", r.getString(r.fieldIndex("reason")));
            nearDupOf.put(r.getString(r.fieldIndex("id")),
                    r.getString(r.fieldIndex("detail")).replace("near duplicate of ", ""));
        }
        assertEquals(docs, report.kept() + report.rejectedTotal());
        return nearDupOf;
    }
}
