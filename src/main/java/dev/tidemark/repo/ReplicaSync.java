package dev.tidemark.repo;

import dev.tidemark.TidemarkException;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Makes a replica the same as the primary, object for object: the same names and the same bytes (an encrypted
 * repository's ciphertext as it is, so a replica needs no key to be kept, and opens with the primary's passwords).
 *
 * <p>The order keeps a replica restorable at every moment, as the primary's commit order keeps the primary:
 * <ol>
 *   <li>the primary's points are listed first, then everything else, so every pack, manifest and dump a listed point
 *       names is in the second listing (the point was committed after them; and the caller holds a reader's lease
 *       on the primary, so a prune running meanwhile leaves what was listed in place);</li>
 *   <li>a new replica gets its keys and config first and its version last: until then it is not a repository;</li>
 *   <li>everything but points is copied (a few objects at once), then the points, each only if the primary still
 *       has it;</li>
 *   <li>then what the primary no longer has is deleted from the replica, points first.</li>
 * </ol>
 * Locks and leases are the primary's own and are never copied.
 */
public final class ReplicaSync {
    /** Locks and leases are the primary's own; probe objects are a server probe's, in flight or left by a crash. */
    private static final Set<String> SKIPPED = Set.of(WriterLock.PREFIX, DeferredDeletes.LEASES,
            dev.tidemark.repo.store.S3Probe.PREFIX);
    /** Objects that the repository replaces in place; copied whenever their bytes differ. */
    private static final Set<String> MUTABLE = Set.of(Repository.VERSION_KEY, "journal-horizon");

    /** A host's horizon (format 5), replaced whole by its prune like the one before format 5. */
    private static boolean mutableOfHost(String k) {
        return k.startsWith(HostSpace.PREFIX) && k.endsWith("/journal-horizon");
    }
    private static final String POINTS = "points/";
    private static final int THREADS = 4;

    /** What a sync did. */
    public record Result(int copied, long bytesCopied, int deleted, int points) {
    }

    private ReplicaSync() {
    }

    private static boolean skipped(String key) {
        return SKIPPED.stream().anyMatch(key::startsWith);
    }

    /**
     * Brings {@code replica} to what {@code primary} holds now. Both are the stores underneath (ciphertext for an
     * encrypted repository).
     */
    public static Result sync(Store primary, Store replica) throws IOException {
        List<String> points = primary.list(POINTS);
        List<String> all = primary.list("");
        boolean fresh = replica.size(Repository.VERSION_KEY).isEmpty();
        if (!fresh) {
            byte[] mine = primary.get(Repository.CONFIG_KEY);
            byte[] theirs;
            try {
                theirs = replica.get(Repository.CONFIG_KEY);
            } catch (ObjectNotFoundException e) {
                theirs = null;
            }
            if (!Arrays.equals(mine, theirs)) {
                throw TidemarkException.usage("replica " + replica.location() + " holds another repository: "
                        + "give a new, empty location for the replica");
            }
        }
        Set<String> there = new HashSet<>(replica.list(""));
        Set<String> here = new HashSet<>(all);
        List<String> copy = new ArrayList<>();
        List<String> lateCopies = new ArrayList<>();
        for (String k : all) {
            if (skipped(k) || k.startsWith(POINTS) || k.equals(Repository.VERSION_KEY)) {
                continue;
            }
            if (!there.contains(k) || MUTABLE.contains(k) || mutableOfHost(k)) {
                copy.add(k);
            }
        }
        // keys and config before anything else, so a half-made replica is recognisable; the version last of all
        copy.sort((a, b) -> Integer.compare(rank(a), rank(b)));
        long[] bytes = {0};
        int copied = 0;
        int firstOthers = 0;
        while (firstOthers < copy.size() && rank(copy.get(firstOthers)) == 0) {
            long b = copyObject(primary, replica, copy.get(firstOthers));
            if (b >= 0) {
                bytes[0] += b;
                copied++;
            }
            firstOthers++;
        }
        copied += copyAll(primary, replica, copy.subList(firstOthers, copy.size()), bytes);
        for (String p : points) {
            if (!there.contains(p)) {
                lateCopies.add(p);
            }
        }
        int pointsCopied = copyAll(primary, replica, lateCopies, bytes);
        copied += pointsCopied;
        if (fresh || !Arrays.equals(primary.get(Repository.VERSION_KEY), replica.get(Repository.VERSION_KEY))) {
            bytes[0] += copyObject(primary, replica, Repository.VERSION_KEY);
            copied++;
        }
        List<String> gone = new ArrayList<>();
        for (String k : there) {
            if (!here.contains(k) && !skipped(k)) {
                gone.add(k);
            }
        }
        gone.sort((a, b) -> Boolean.compare(!a.startsWith(POINTS), !b.startsWith(POINTS)));
        List<String> gonePoints = gone.stream().filter(k -> k.startsWith(POINTS)).toList();
        replica.delete(gonePoints);
        replica.delete(gone.subList(gonePoints.size(), gone.size()));
        return new Result(copied, bytes[0], gone.size(), pointsCopied);
    }

    private static int rank(String key) {
        return key.startsWith("keys/") || key.equals(Repository.CONFIG_KEY) ? 0 : 1;
    }

    private static int copyAll(Store from, Store to, List<String> keys, long[] bytes)
            throws IOException {
        if (keys.isEmpty()) {
            return 0;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(THREADS, keys.size()), r -> {
            Thread t = new Thread(r, "tidemark-replica-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Long>> done = new ArrayList<>();
            for (String k : keys) {
                done.add(pool.submit(() -> copyObject(from, to, k)));
            }
            int n = 0;
            for (Future<Long> f : done) {
                long b;
                try {
                    b = f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    throw c instanceof IOException io ? io : new IOException(c);
                }
                if (b >= 0) {
                    synchronized (bytes) {
                        bytes[0] += b;
                    }
                    n++;
                }
            }
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("copy to the replica interrupted");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Copies one object; -1 if the primary no longer has it (deleted since it was listed). */
    private static long copyObject(Store from, Store to, String key) throws IOException {
        long n = 0;
        try (InputStream in = from.open(key); Store.Upload up = to.upload()) {
            OutputStream out = up.stream();
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) {
                out.write(buf, 0, r);
                n += r;
            }
            up.commit(key);
        } catch (ObjectNotFoundException e) {
            if (e.key().equals(key)) {
                return -1;
            }
            throw e;
        }
        return n;
    }
}
