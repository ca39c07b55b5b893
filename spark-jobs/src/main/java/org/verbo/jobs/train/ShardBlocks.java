package org.verbo.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.verbo.jobs.io.HadoopFiles;
import org.verbo.prep.pack.ShardReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/**
 * The blocks of one split of a {@code tokenize} output, streamed shard after shard in manifest order through
 * Hadoop's FileSystem (never a whole shard in memory): the {@code Iterator<int[]>} the models trainer takes.
 */
public final class ShardBlocks implements Supplier<Iterator<int[]>> {

    private final String shardsDir;
    private final List<String> files;
    private final long blocks;
    private final int blockLength;
    private final int vocabSize;
    private final String tokenizer;
    private final Configuration conf;

    private ShardBlocks(String shardsDir, List<String> files, long blocks, int blockLength, int vocabSize, String tokenizer,
                        Configuration conf) {
        this.shardsDir = shardsDir;
        this.files = files;
        this.blocks = blocks;
        this.blockLength = blockLength;
        this.vocabSize = vocabSize;
        this.tokenizer = tokenizer;
        this.conf = conf;
    }

    /** Reads {@code <shardsDir>/manifest.json}; fails with one line when it or the split is missing. */
    public static ShardBlocks open(String shardsDir, String split, Configuration conf) {
        String manifestPath = HadoopFiles.child(shardsDir, "manifest.json");
        HadoopFiles.requireExists("shards manifest", manifestPath, conf);
        try {
            JsonNode m = new ObjectMapper().readTree(HadoopFiles.readString(manifestPath, conf));
            if (!"verbo-shards".equals(m.path("format").asText())) {
                throw new IllegalArgumentException(manifestPath + " is not a verbo shards manifest");
            }
            JsonNode sp = m.path("splits").path(split);
            if (sp.isMissingNode()) {
                throw new IllegalArgumentException(manifestPath + " has no split '" + split + "'");
            }
            List<String> files = new ArrayList<>();
            for (JsonNode f : sp.path("shards")) {
                files.add(HadoopFiles.child(shardsDir, f.get("file").asText()));
            }
            return new ShardBlocks(shardsDir, files, sp.path("blocks").asLong(), m.get("block_length").asInt(),
                    m.get("vocab_size").asInt(), m.path("tokenizer").asText(null), conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + manifestPath + ": " + e.getMessage(), e);
        }
    }

    public long blocks() {
        return blocks;
    }

    public int blockLength() {
        return blockLength;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The tokenizer.json the shards were made with, as recorded in the manifest (may be null). */
    public String tokenizer() {
        return tokenizer;
    }

    public String dir() {
        return shardsDir;
    }

    /** A fresh pass over every block, in manifest order. */
    @Override
    public Iterator<int[]> get() {
        return new Iterator<>() {
            private int next;
            private ShardReader reader;

            @Override
            public boolean hasNext() {
                while (reader == null || !reader.hasNext()) {
                    closeReader();
                    if (next >= files.size()) {
                        return false;
                    }
                    try {
                        InputStream in = new Path(files.get(next)).getFileSystem(conf).open(new Path(files.get(next)));
                        reader = new ShardReader(in);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot open shard " + files.get(next) + ": " + e.getMessage(), e);
                    }
                    next++;
                }
                return true;
            }

            @Override
            public int[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return reader.next();
            }

            private void closeReader() {
                if (reader != null) {
                    try {
                        reader.close();
                    } catch (IOException ignored) {
                        // reading is done; nothing to report
                    }
                    reader = null;
                }
            }
        };
    }
}
