package org.verbo.embeddings.store;

/**
 * One search result, the same for HNSW and exact search so the two compare line by line.
 *
 * @param rank       1-based
 * @param id         the stored id
 * @param score      Lucene's score, (1 + similarity) / 2, in [0, 1]; higher is closer
 * @param similarity the raw similarity, cos(q, v) or q · v, in [-1, 1]
 * @param snippet    the start of the stored text on one line, "" when no text is stored
 */
public record SearchHit(int rank, String id, float score, float similarity, String snippet) {

    /** Characters of text a snippet keeps. */
    public static final int SNIPPET_CHARS = 80;

    public SearchHit {
        if (rank < 1) throw new IllegalArgumentException("rank must be >= 1, got " + rank);
        if (id == null) throw new IllegalArgumentException("id must not be null");
        if (snippet == null) throw new IllegalArgumentException("snippet must not be null (use \"\")");
    }

    /** The line `verbo search` prints: rank, id, score, snippet separated by tabs (DESIGN.md, Command line). */
    public String toTsv() {
        return rank + "\t" + id + "\t" + String.format(java.util.Locale.ROOT, "%.6f", score) + "\t" + snippet;
    }

    /** The first {@link #SNIPPET_CHARS} characters of text with tabs and line breaks folded to spaces, so a hit stays one TSV line. */
    public static String snippetOf(String text) {
        if (text == null) return "";
        String oneLine = text.replaceAll("\\s+", " ").strip();
        if (oneLine.length() <= SNIPPET_CHARS) return oneLine;
        int end = SNIPPET_CHARS;
        // Do not cut a surrogate pair in half.
        if (Character.isHighSurrogate(oneLine.charAt(end - 1))) end--;
        return oneLine.substring(0, end) + "…";
    }
}
