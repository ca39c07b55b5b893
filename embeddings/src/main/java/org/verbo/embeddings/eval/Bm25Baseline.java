package org.verbo.embeddings.eval;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.pt.PortugueseAnalyzer;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.index.Term;

/**
 * The lexical baseline the embeddings are compared with: Lucene BM25 (Robertson and Zaragoza 2009; Lucene's
 * BM25Similarity with k1 = 1.2, b = 0.75) over the same documents and queries, in memory.
 *
 * <p>Analyzer: StandardTokenizer (Unicode word breaks), lower case, the Portuguese and the English stop word lists of
 * Lucene (PortugueseAnalyzer and EnglishAnalyzer defaults) removed, then ASCII folding so "informação" and
 * "informacao" match. No stemming: one stemmer would be wrong for the other language of a mixed pt/en corpus. A query
 * is the OR of its analyzed terms (no query syntax, so user text cannot break it).
 */
public final class Bm25Baseline implements Closeable {

    private static final String ID = "id";
    private static final String TEXT = "text";

    private final Directory directory = new ByteBuffersDirectory();
    private final Analyzer analyzer = analyzer();
    private final IndexWriter writer;
    private DirectoryReader reader;

    public Bm25Baseline() throws IOException {
        writer = new IndexWriter(directory, new IndexWriterConfig(analyzer).setSimilarity(new BM25Similarity()));
    }

    /** The analyzer described in the class comment. */
    static Analyzer analyzer() {
        CharArraySet stop = new CharArraySet(PortugueseAnalyzer.getDefaultStopSet(), true);
        stop.addAll(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET);
        CharArraySet stopWords = CharArraySet.unmodifiableSet(stop);
        return new Analyzer() {
            @Override
            protected TokenStreamComponents createComponents(String field) {
                StandardTokenizer source = new StandardTokenizer();
                TokenStream s = new LowerCaseFilter(source);
                // Stop words before folding: the Portuguese list is accented ("não", "está").
                s = new StopFilter(s, stopWords);
                s = new ASCIIFoldingFilter(s);
                return new TokenStreamComponents(source, s);
            }

            @Override
            protected TokenStream normalize(String field, TokenStream in) {
                return new ASCIIFoldingFilter(new LowerCaseFilter(in));
            }
        };
    }

    public void add(String id, String text) throws IOException {
        if (reader != null) throw new IllegalStateException("documents must all be added before the first search");
        if (id == null || text == null) throw new IllegalArgumentException("id and text must not be null");
        Document d = new Document();
        d.add(new StringField(ID, id, Field.Store.YES));
        d.add(new TextField(TEXT, text, Field.Store.NO));
        writer.addDocument(d);
    }

    /** The ids of the k best documents for a query text, best first; empty when no query term survives analysis. */
    public List<String> search(String query, int k) throws IOException {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        if (reader == null) {
            writer.commit();
            reader = DirectoryReader.open(writer);
        }
        BooleanQuery.Builder q = new BooleanQuery.Builder();
        int terms = 0;
        try (TokenStream ts = analyzer.tokenStream(TEXT, query)) {
            var term = ts.addAttribute(org.apache.lucene.analysis.tokenattributes.CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                q.add(new TermQuery(new Term(TEXT, term.toString())), BooleanClause.Occur.SHOULD);
                terms++;
            }
            ts.end();
        }
        List<String> ids = new ArrayList<>();
        if (terms == 0) return ids;
        IndexSearcher searcher = new IndexSearcher(reader);
        searcher.setSimilarity(new BM25Similarity());
        var stored = searcher.storedFields();
        for (ScoreDoc sd : searcher.search(q.build(), k).scoreDocs) ids.add(stored.document(sd.doc).get(ID));
        return ids;
    }

    @Override
    public void close() throws IOException {
        try (directory; writer) {
            if (reader != null) reader.close();
        }
    }
}
