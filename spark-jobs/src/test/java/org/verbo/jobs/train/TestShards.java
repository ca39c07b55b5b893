package org.verbo.jobs.train;

import org.verbo.prep.pack.ShardWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Writes a tokenize-style shards directory (manifest.json, train/ and val/ shards) from given blocks. */
final class TestShards {
    static final int VOCAB = 64;
    static final int BLOCK = 17;   // context 16

    private TestShards() {
    }

    static List<int[]> random(long seed, int n) {
        Random rng = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] b = new int[BLOCK];
            for (int j = 0; j < BLOCK; j++) {
                b[j] = rng.nextInt(VOCAB);
            }
            out.add(b);
        }
        return out;
    }

    /** {@code train} split over {@code shards} files (block i to shard i mod shards' contiguous ranges). */
    static Path write(Path dir, List<int[]> train, List<int[]> val, int shards) throws IOException {
        StringBuilder trainList = new StringBuilder();
        int per = (train.size() + shards - 1) / shards;
        for (int s = 0; s < shards; s++) {
            List<int[]> part = train.subList(Math.min(train.size(), s * per), Math.min(train.size(), (s + 1) * per));
            writeShard(dir.resolve("train").resolve(String.format("part-%05d.bin", s)), part);
            trainList.append(s == 0 ? "" : ", ").append(String.format("{\"file\": \"train/part-%05d.bin\", \"blocks\": %d}", s, part.size()));
        }
        writeShard(dir.resolve("val").resolve("part-00000.bin"), val);
        Files.writeString(dir.resolve("manifest.json"), String.format("""
                {"format": "verbo-shards", "version": 1, "block_length": %d, "vocab_size": %d,
                 "splits": {"train": {"blocks": %d, "shards": [%s]},
                            "val": {"blocks": %d, "shards": [{"file": "val/part-00000.bin", "blocks": %d}]}}}
                """, BLOCK, VOCAB, train.size(), trainList, val.size(), val.size()));
        return dir;
    }

    private static void writeShard(Path file, List<int[]> blocks) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream o = Files.newOutputStream(file); ShardWriter w = new ShardWriter(o, BLOCK, VOCAB)) {
            for (int[] b : blocks) {
                w.writeBlock(b);
            }
        }
    }
}
