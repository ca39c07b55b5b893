package org.verbo.jobs.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The {@code _tmp_<name>_<token>/} directories a job writes beside its outputs before renaming them into place, and
 * the clean-up of those a dead run left behind.
 *
 * <p>Each temp directory holds a lease, {@code _lease}: a small JSON file naming its owner (process id, host and the
 * process's start time) that the owner rewrites every {@value #REFRESH_MS} ms while the directory is in use. Before a
 * job makes a temp directory it sweeps the other {@code _tmp_*} entries of the same parent and deletes those of a dead
 * run: an entry is dead when
 * <ul>
 *   <li>its lease was last written more than {@value #EXPIRY_MS} ms before the sweeper's own lease (both times come
 *       from the file system's clock, so hosts' clocks need not agree), or</li>
 *   <li>its owner ran on this host and that process is gone (so a killed local run's leftovers go at the next run), or</li>
 *   <li>it has no lease (a run of an older verbo, or a payload between release and rename) and was last modified more
 *       than {@value #EXPIRY_MS} ms ago.</li>
 * </ul>
 * A live run's lease is at most {@value #REFRESH_MS} ms old, so a sweep never deletes it.
 */
public final class TempDirs {

    public static final String PREFIX = "_tmp_";
    public static final String LEASE = "_lease";
    static final long REFRESH_MS = 30_000;
    static final long EXPIRY_MS = 10 * 60_000;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Path, Configuration> LIVE = new ConcurrentHashMap<>();
    /** Held while a lease is rewritten or released: a released lease is never written again. */
    private static final Object LOCK = new Object();
    private static ScheduledExecutorService refresher;

    private TempDirs() {
    }

    /** Who runs in this JVM: process id, host, and the process's start time (pids are reused). */
    record Owner(long pid, String host, long startedMs) {
        static Owner self() {
            ProcessHandle me = ProcessHandle.current();
            return new Owner(me.pid(), hostName(), me.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L));
        }

        /** False only when the owner ran on this host and no process with its id and start time runs now. */
        boolean mayBeAlive() {
            if (!host.equals(hostName())) {
                return true;
            }
            Optional<ProcessHandle> p = ProcessHandle.of(pid);
            return p.isPresent() && (startedMs < 0 || p.get().info().startInstant()
                    .map(i -> i.toEpochMilli() == startedMs).orElse(true));
        }
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * Makes {@code <parent>/_tmp_<name>_<token>/} with this process's lease and keeps the lease fresh until
     * {@link #release} or {@link #delete}; first deletes what dead runs left in {@code parent}.
     */
    public static Path create(Path parent, String name, Configuration conf) {
        Path tmp = new Path(parent, PREFIX + name + "_" + UUID.randomUUID().toString().substring(0, 8));
        try {
            FileSystem fs = tmp.getFileSystem(conf);
            fs.mkdirs(tmp);
            writeLease(fs, tmp, Owner.self());
            long now = fs.getFileStatus(new Path(tmp, LEASE)).getModificationTime();
            LIVE.put(tmp, conf);
            startRefresher();
            sweep(fs, parent, now, tmp);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the temp directory " + tmp + ": " + e.getMessage(), e);
        }
    }

    /** Stops refreshing the lease and deletes it, so the directory can be renamed to an output. */
    public static void release(Path tmp, Configuration conf) {
        synchronized (LOCK) {
            if (LIVE.remove(tmp) != null) {
                try {
                    tmp.getFileSystem(conf).delete(new Path(tmp, LEASE), false);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot release the lease of " + tmp + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /** Stops refreshing the lease (if any) and deletes the directory, best effort. */
    public static void delete(Path tmp, Configuration conf) {
        synchronized (LOCK) {
            LIVE.remove(tmp);
        }
        try {
            tmp.getFileSystem(conf).delete(tmp, true);
        } catch (IOException ignored) {
            // a later run's sweep deletes it
        }
    }

    /** Deletes the dead runs' {@code _tmp_*} entries of {@code parent} (see the class comment); returns them. */
    static List<Path> sweep(FileSystem fs, Path parent, long now, Path self) throws IOException {
        List<Path> deleted = new ArrayList<>();
        FileStatus[] entries;
        try {
            entries = fs.listStatus(parent, p -> p.getName().startsWith(PREFIX));
        } catch (FileNotFoundException e) {
            return deleted;
        }
        for (FileStatus e : entries) {
            if (e.getPath().getName().equals(self.getName()) || !isDead(fs, e, now)) {
                continue;
            }
            try {
                if (fs.delete(e.getPath(), true)) {
                    deleted.add(e.getPath());
                }
            } catch (FileNotFoundException gone) {
                // another sweeper was first
            }
        }
        return deleted;
    }

    static boolean isDead(FileSystem fs, FileStatus entry, long now) throws IOException {
        if (entry.isDirectory()) {
            Path lease = new Path(entry.getPath(), LEASE);
            FileStatus st;
            try {
                st = fs.getFileStatus(lease);
            } catch (FileNotFoundException e) {
                st = null;
            }
            if (st != null) {
                if (now - st.getModificationTime() > EXPIRY_MS) {
                    return true;
                }
                Owner owner = readOwner(fs, lease);
                return owner != null && !owner.mayBeAlive();
            }
        }
        return now - entry.getModificationTime() > EXPIRY_MS;
    }

    static void writeLease(FileSystem fs, Path tmp, Owner owner) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("pid", owner.pid());
        o.put("host", owner.host());
        o.put("process_started_ms", owner.startedMs());
        o.put("refresh_ms", REFRESH_MS);
        o.put("expiry_ms", EXPIRY_MS);
        try (FSDataOutputStream out = fs.create(new Path(tmp, LEASE), true)) {
            out.write(JSON.writeValueAsBytes(o));
        }
    }

    /** The lease's owner, or null when it cannot be read (being rewritten, or not verbo's). */
    static Owner readOwner(FileSystem fs, Path lease) {
        try (InputStream in = fs.open(lease)) {
            JsonNode n = JSON.readTree(in);
            if (n == null || !n.has("pid") || !n.has("host")) {
                return null;
            }
            return new Owner(n.get("pid").asLong(), n.get("host").asText(), n.path("process_started_ms").asLong(-1));
        } catch (IOException e) {
            return null;
        }
    }

    private static synchronized void startRefresher() {
        if (refresher != null) {
            return;
        }
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "verbo-temp-lease");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(TempDirs::refreshAll, REFRESH_MS, REFRESH_MS, TimeUnit.MILLISECONDS);
    }

    static void refreshAll() {
        Owner self = Owner.self();
        synchronized (LOCK) {
            LIVE.forEach((tmp, conf) -> {
                try {
                    FileSystem fs = tmp.getFileSystem(conf);
                    if (fs.exists(tmp)) {
                        writeLease(fs, tmp, self);
                    }
                } catch (IOException | RuntimeException ignored) {
                    // next time; a lease expires only after EXPIRY_MS
                }
            });
        }
    }
}
