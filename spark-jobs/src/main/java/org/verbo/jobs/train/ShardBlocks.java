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
    private final long[] shardBlocks;
    private final long blocks;
    private final int blockLength;
    private final int vocabSize;
    private final String tokenizer;
    private final Configuration conf;

    private ShardBlocks(String shardsDir, List<String> files, long[] shardBlocks, long blocks, int blockLength, int vocabSize,
                        String tokenizer, Configuration conf) {
        this.shardsDir = shardsDir;
        this.files = files;
        this.shardBlocks = shardBlocks;
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
            List<Long> counts = new ArrayList<>();
            for (JsonNode f : sp.path("shards")) {
                files.add(HadoopFiles.child(shardsDir, f.get("file").asText()));
                counts.add(f.path("blocks").asLong());
            }
            long total = sp.path("blocks").asLong();
            if (counts.stream().mapToLong(Long::longValue).sum() != total) {
                throw new IllegalArgumentException(manifestPath + ": the '" + split + "' shards list "
                        + counts.stream().mapToLong(Long::longValue).sum() + " blocks, the split says " + total);
            }
            return new ShardBlocks(shardsDir, files, counts.stream().mapToLong(Long::longValue).toArray(), total,
                    m.get("block_length").asInt(),
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

    /** What a Spark task needs to read any block of this split (no Hadoop configuration in it). */
    public Layout layout() {
        return new Layout(List.copyOf(files), shardBlocks.clone(), blockLength, vocabSize);
    }

    /**
     * The split's shard files and their block counts, in manifest order: block g of the split is block
     * g - (blocks of the shards before it) of its shard. Serializable, so a task can carry it.
     */
    public record Layout(List<String> files, long[] shardBlocks, int blockLength, int vocabSize)
            implements java.io.Serializable {
        public long blocks() {
            long n = 0;
            for (long c : shardBlocks) {
                n += c;
            }
            return n;
        }

        /** Random access to the split's blocks; opens each shard at its first use and closes them all on close. */
        public Reader open(Configuration conf) {
            return new Reader(this, conf);
        }
    }

    /** Reads single blocks by their index in the split with positioned reads (ShardBlockReader). */
    public static final class Reader implements java.io.Closeable {
        private final Layout layout;
        private final Configuration conf;
        private final long[] firstBlock;
        private final org.verbo.prep.pack.ShardBlockReader[] open;

        private Reader(Layout layout, Configuration conf) {
            this.layout = layout;
            this.conf = conf;
            this.firstBlock = new long[layout.shardBlocks().length + 1];
            for (int i = 0; i < layout.shardBlocks().length; i++) {
                firstBlock[i + 1] = firstBlock[i] + layout.shardBlocks()[i];
            }
            this.open = new org.verbo.prep.pack.ShardBlockReader[layout.files().size()];
        }

        /** Block {@code index} of the split (0-based, manifest order). */
        public int[] block(long index) {
            if (index < 0 || index >= firstBlock[firstBlock.length - 1]) {
                throw new IndexOutOfBoundsException("block " + index + " of a split with " + firstBlock[firstBlock.length - 1]);
            }
            int shard = java.util.Arrays.binarySearch(firstBlock, index);
            shard = shard >= 0 ? shard : -shard - 2;
            while (layout.shardBlocks()[shard] == 0) {   // empty shards share their first index with the next one
                shard++;
            }
            String file = layout.files().get(shard);
            try {
                if (open[shard] == null) {
                    Path p = new Path(file);
                    org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(conf);
                    long length = fs.getFileStatus(p).getLen();
                    org.apache.hadoop.fs.FSDataInputStream in = fs.open(p);
                    open[shard] = new org.verbo.prep.pack.ShardBlockReader(new org.verbo.prep.pack.ShardBlockReader.Source() {
                        @Override
                        public void readFully(long position, byte[] buf) throws IOException {
                            in.readFully(position, buf);
                        }

                        @Override
                        public long length() {
                            return length;
                        }

                        @Override
                        public void close() throws IOException {
                            in.close();
                        }
                    });
                    if (open[shard].blocks() != layout.shardBlocks()[shard]
                            || open[shard].header().blockLength() != layout.blockLength()) {
                        throw new IOException("shard " + file + " has " + open[shard].blocks() + " blocks of "
                                + open[shard].header().blockLength() + " tokens, the manifest says "
                                + layout.shardBlocks()[shard] + " of " + layout.blockLength());
                    }
                }
                return open[shard].block(index - firstBlock[shard]);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read block " + (index - firstBlock[shard]) + " of shard " + file
                        + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            for (int i = 0; i < open.length; i++) {
                if (open[i] != null) {
                    try {
                        open[i].close();
                    } catch (IOException ignored) {
                        // reading is done; nothing to report
                    }
                    open[i] = null;
                }
            }
        }
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
