package org.verbo.jobs.embed;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * One {@code verbo embed} run, from {@code verbo.embed} and the command line. Serializable: tasks receive it.
 *
 * @param input          Parquet (or JSONL) table, any Hadoop path or glob
 * @param format         parquet | json (JSON lines)
 * @param idCol          id column (cast to string)
 * @param textCol        text column (string)
 * @param passthrough    columns copied to vectors/ beside id and embedding
 * @param checkpoint     the embedder, checked at start
 * @param out            the store directory
 * @param maxLength      tokens per text (0: the embedder's max length); longer texts are cut and counted
 * @param chunk          embed overlapping windows of maxLength tokens instead of cutting (adds a chunk column)
 * @param chunkOverlap   tokens shared by consecutive windows
 * @param batchSize      texts per forward pass (rows are sorted by length within a partition first)
 * @param partitions     partitions the input is hashed into by id: the unit of work and of resumption
 * @param encoding       float32 | int8 (Lucene scalar quantization)
 * @param similarity     cosine | dot_product
 * @param maxConn        HNSW M
 * @param beamWidth      HNSW beam width
 * @param searchCandidates HNSW neighbours a search fetches before keeping the best k (Elasticsearch's num_candidates);
 *                       recorded in the manifest and used for its recall@10
 * @param storedTextChars characters of text stored in the index for snippets
 * @param recallSample   vectors sampled as queries for the manifest's recall@10
 * @param seed           recall sample seed
 * @param reportFile     name of the report under out
 * @param rejectedDir    name of the rejected rows directory under out
 * @param overwrite      replace an existing store at out
 * @param hadoop         Hadoop settings for the tasks
 * @param failPartition  test only: this partition fails after writing its vectors, before it is committed (-1: none)
 */
public record EmbedSettings(String input, String format, String idCol, String textCol, List<String> passthrough,
                            String checkpoint, String out, int maxLength, boolean chunk, int chunkOverlap, int batchSize,
                            int partitions, String encoding, String similarity, int maxConn, int beamWidth,
                            int searchCandidates, int storedTextChars, int recallSample, long seed, String reportFile, String rejectedDir,
                            boolean overwrite, Map<String, String> hadoop, int failPartition) implements Serializable {
    public EmbedSettings {
        if (maxLength < 0) throw new IllegalArgumentException("embed.max_length must be >= 0 (0: the embedder's), got " + maxLength);
        if (batchSize < 1) throw new IllegalArgumentException("embed.batch_size must be >= 1, got " + batchSize);
        if (partitions < 1) throw new IllegalArgumentException("embed.partitions must be >= 1, got " + partitions);
        if (!format.equals("parquet") && !format.equals("json")) {
            throw new IllegalArgumentException("embed.format must be parquet or json, got " + format);
        }
        if (recallSample < 1) throw new IllegalArgumentException("embed.recall_sample must be >= 1, got " + recallSample);
        if (searchCandidates < 10) throw new IllegalArgumentException("embed.hnsw.candidates must be >= 10, got " + searchCandidates);
        if (storedTextChars < 0) throw new IllegalArgumentException("embed.stored_text_chars must be >= 0");
        passthrough = List.copyOf(passthrough);
        hadoop = Map.copyOf(hadoop);
    }

    /** The settings a resumed run must share with the run it continues (everything that changes an output byte). */
    String fingerprint(EmbedderCheckpoint ckpt, int effectiveMaxLength) {
        return String.join("\u0001", input, format, idCol, textCol, String.join(",", passthrough), ckpt.modelHash(),
                String.valueOf(effectiveMaxLength), String.valueOf(chunk), String.valueOf(chunkOverlap),
                String.valueOf(batchSize), String.valueOf(partitions), encoding, similarity, String.valueOf(maxConn),
                String.valueOf(beamWidth), String.valueOf(storedTextChars));
    }
}
