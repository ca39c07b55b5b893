package org.verbo.jobs.cli;

import com.typesafe.config.Config;
import org.apache.hadoop.conf.Configuration;
import org.verbo.embeddings.store.SearchHit;
import org.verbo.jobs.config.VerboConfig;
import org.verbo.jobs.embed.StoreSearch;
import org.verbo.jobs.io.HadoopFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Search a store written by embed: embeds the query with its instruction and prints one hit a line,",
                "rank<TAB>id<TAB>score<TAB>snippet (score: Lucene's (1 + cosine) / 2). --exact ranks every vector of",
                "<store>/vectors/ by brute force instead of the HNSW index (the ground truth its recall is measured on)."})
final class SearchCommand extends JobCommand {

    @Option(names = "--store", required = true, paramLabel = "DIR", description = "An embed output directory (holds manifest.json).")
    String store;

    @Option(names = "--query", required = true, paramLabel = "TEXT", description = "The query.")
    String query;

    @Option(names = "--k", paramLabel = "N", description = "Hits to print (default: 10).")
    Integer k;

    @Option(names = "--exact", description = "Brute force over the Parquet vectors instead of HNSW.")
    boolean exact;

    @Option(names = "--task", paramLabel = "TEXT", description = "The instruction's task (default: the embedder's training task).")
    String task;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Embedder to use (default: the one manifest.json names; its hash must match).")
    String checkpoint;

    @Override
    public Integer call() throws Exception {
        VerboConfig config = config(named("search.k", k, "search.task", task));
        for (String line : search(config, store, query, exact, checkpoint)) {
            say(line);
        }
        return 0;
    }

    /** The hits as TSV lines (the demo calls this too). */
    static List<String> search(VerboConfig config, String store, String query, boolean exact, String checkpoint)
            throws Exception {
        Config c = config.at("search");
        int k = c.getInt("k");
        if (k < 1) {
            throw new IllegalArgumentException("--k must be >= 1, got " + k);
        }
        int candidates = c.getInt("candidates");
        if (candidates < 0) {
            throw new IllegalArgumentException("search.candidates must be >= 0 (0: the store's), got " + candidates);
        }
        Configuration conf = HadoopFiles.preflightConf(config.sparkConf());
        try (StoreSearch s = StoreSearch.open(store, checkpoint, conf)) {
            String task = !c.getString("task").isEmpty() ? c.getString("task")
                    : !s.trainedTask().isEmpty() ? s.trainedTask() : config.root().getString("embed_train.task");
            float[] q = s.embedQuery(task, query);
            List<SearchHit> hits = exact ? s.exact(q, k) : s.search(q, k, candidates);
            return hits.stream().map(SearchHit::toTsv).toList();
        }
    }
}
