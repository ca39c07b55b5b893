package org.verbo.jobs.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Leased temp directories on the real local file system: what a sweep deletes and what it keeps. */
class TempDirsTest {

    @TempDir
    java.nio.file.Path tmp;

    final Configuration conf = new Configuration();

    /** A process of this host that has exited: its pid is free. */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long pid = p.pid();
        for (int i = 0; i < 50 && ProcessHandle.of(pid).isPresent(); i++) {
            Thread.sleep(20);
        }
        return pid;
    }

    /** Plants {@code <parent>/<name>/} with a lease of {@code owner} written {@code ageMs} ago (null: no lease). */
    static Path plant(FileSystem fs, Path parent, String name, TempDirs.Owner owner, long ageMs) throws IOException {
        Path dir = new Path(parent, name);
        fs.mkdirs(new Path(dir, "train"));
        try (var o = fs.create(new Path(dir, "train/.part-00000.bin.0-0-1-dead"))) {
            o.write(new byte[] {1, 2, 3});   // a torn shard
        }
        long t = System.currentTimeMillis() - ageMs;
        if (owner != null) {
            TempDirs.writeLease(fs, dir, owner);
            fs.setTimes(new Path(dir, TempDirs.LEASE), t, -1);
        }
        fs.setTimes(dir, t, -1);
        return dir;
    }

    @Test
    void aSweepDeletesDeadRunsLeftoversAndKeepsLiveRunsDirectories() throws Exception {
        FileSystem fs = FileSystem.getLocal(conf);
        Path out = new Path(tmp.toUri());
        long hour = 3_600_000;
        TempDirs.Owner self = TempDirs.Owner.self();
        TempDirs.Owner gone = new TempDirs.Owner(deadPid(), TempDirs.hostName(), -1);
        TempDirs.Owner elsewhere = new TempDirs.Owner(1, "another-host.example", 0);
        Path staleLease = plant(fs, out, "_tmp_tokenize_stale001", elsewhere, hour);
        Path killedHere = plant(fs, out, "_tmp_prepare_killed01", gone, 0);
        Path oldNoLease = plant(fs, out, "_tmp_step-2_0ldn0lea", null, hour);
        Path liveElsewhere = plant(fs, out, "_tmp_tokenize_live0001", elsewhere, 5_000);
        Path liveHere = plant(fs, out, "_tmp_tokenize_live0002", self, 5_000);
        Path freshNoLease = plant(fs, out, "_tmp_step-4_fresh001", null, 0);
        Path notOurs = plant(fs, out, "corpus", null, hour);

        Path mine = HadoopFiles.tempDirBeside(out.toString(), "tokenize", conf);
        try {
            assertTrue(fs.exists(new Path(mine, TempDirs.LEASE)));
            assertEquals(self, TempDirs.readOwner(fs, new Path(mine, TempDirs.LEASE)));
            for (Path dead : List.of(staleLease, killedHere, oldNoLease)) {
                assertFalse(fs.exists(dead), dead + " is a dead run's");
            }
            for (Path live : List.of(liveElsewhere, liveHere, freshNoLease, notOurs)) {
                assertTrue(fs.exists(live), live + " is a live run's (or not a temp dir)");
            }
        } finally {
            HadoopFiles.deleteQuietly(mine, conf);
        }
        assertFalse(fs.exists(mine));
    }

    @Test
    void theOwnerRefreshesItsLeaseUntilReleasedAndThePublishedOutputHasNoLease() throws Exception {
        FileSystem fs = FileSystem.getLocal(conf);
        Path out = new Path(tmp.toUri());
        Path t = HadoopFiles.tempDirBeside(out.toString(), "tokenize", conf);
        Path lease = new Path(t, TempDirs.LEASE);
        long old = System.currentTimeMillis() - 3_600_000;
        fs.setTimes(lease, old, -1);
        TempDirs.refreshAll();
        long refreshed = fs.getFileStatus(lease).getModificationTime();
        assertTrue(refreshed > old + 3_000_000, "refreshed " + refreshed);

        // A second run's sweep keeps it: the lease is fresh and its owner (this process) is alive.
        Path other = TempDirs.create(out, "prepare", conf);
        assertTrue(fs.exists(t));
        TempDirs.delete(other, conf);

        try (var o = fs.create(new Path(t, "manifest.json"))) {
            o.write('{');
        }
        Path shards = new Path(out, "shards");
        HadoopFiles.publish(t, shards, false, conf);
        assertTrue(fs.exists(new Path(shards, "manifest.json")));
        assertFalse(fs.exists(new Path(shards, TempDirs.LEASE)), "the lease stays out of the output");
        TempDirs.refreshAll();   // released: never written again
        assertFalse(fs.exists(new Path(shards, TempDirs.LEASE)));
        assertFalse(fs.exists(t));
    }

    @Test
    void putDirLeavesOnlyItsTarget() throws IOException {
        java.nio.file.Path local = Files.createDirectories(tmp.resolve("local/step-3"));
        Files.writeString(local.resolve("model.safetensors"), "weights");
        Path ckpts = new Path(tmp.resolve("ckpts").toUri());
        HadoopFiles.putDir(local, new Path(ckpts, "step-3").toString(), conf);
        try (Stream<java.nio.file.Path> s = Files.walk(tmp.resolve("ckpts"))) {
            assertEquals(List.of("step-3/model.safetensors"), s.filter(Files::isRegularFile)
                    .map(p -> tmp.resolve("ckpts").relativize(p).toString()).filter(n -> !n.endsWith(".crc")).sorted().toList());
        }
        assertNotNull(TempDirs.Owner.self().host());
    }
}
