package dev.tidemark.repo;

import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes objects that became garbage only once no reader can still need them: readers never break because a
 * compaction or prune ran (Litestream #1307 deleted files from under a running restore).
 *
 * <p>Every reader (restore, verify, show, diff, points, db export) holds a {@link Lease} under {@code leases/} while
 * it works, written before it lists anything. When an object becomes garbage (a compaction committed what replaces
 * it, or prune found nothing reaches it), the deleter lists the live leases at that moment: those readers may have
 * listed the object before, so the object waits until every one of them has finished (its lease is gone or stale).
 * A reader whose lease is not in that set started later, when the replacement was already durable and the
 * references were already gone: it reads the replacement (the journal is read through the objects that cover the
 * most; a reader whose pack vanished lists the packs again and finds the blob's new copy), and never needs the
 * garbage. No clocks are compared, only lease identities, so readers on other hosts are safe too; the store needs
 * no rename or append (S3 works).
 *
 * <p>Nothing here is remembered across a crash: an object whose deletion was pending is still garbage after a
 * restart, and the next compaction or prune finds it again.
 */
public final class DeferredDeletes {
    private static final Logger LOG = LoggerFactory.getLogger(DeferredDeletes.class);
    public static final String LEASES = "leases/";

    /** Objects that became garbage together, and the readers that were live at that moment. */
    private record Batch(String what, List<String> keys, Set<String> blockers) {
    }

    private final Store store;
    private final Clock clock;
    private final WriterLock lock;
    private final Deque<Batch> pending = new ArrayDeque<>();
    private final Set<String> pendingKeys = new HashSet<>();
    private final Map<String, Lease.Info> lastLive = new LinkedHashMap<>();
    private java.util.function.Predicate<String> needed = k -> false;
    private long deleted;

    /** The host whose view keys given to {@link #add} are in; null: keys are the store's own. */
    private final HostSpace space;

    /**
     * {@code lock} is checked before every deletion: a writer that lost it deletes nothing. Given a host's view of
     * the repository ({@link Repository#store()} in format 5), keys given to {@link #add} are in that view (this
     * host's {@code journal/…}); everything is kept and deleted by the object's own key.
     */
    public DeferredDeletes(Store store, Clock clock, WriterLock lock) {
        this.space = store instanceof HostStore h ? h.space() : null;
        this.store = store instanceof HostStore h ? h.inner() : store;
        this.clock = clock;
        this.lock = lock;
    }

    /** The object keys of a key in the host's view (two for the objects a host took over from format 3). */
    private List<String> own(String key) {
        return space == null ? List.of(key) : space.ownKeys(key);
    }

    /** The keys of the readers' leases that are live now; stale ones (crashed readers) are removed. */
    private Set<String> liveReaders() throws IOException {
        Set<String> live = new HashSet<>();
        lastLive.clear();
        for (Lease.Held h : Lease.list(store, LEASES)) {
            String stale = Lease.staleReason(h.info(), clock.instant());
            if (stale != null) {
                LOG.info("removing the stale lease {} of {}: {}", h.key(), h.info().describe(), stale);
                store.delete(h.key());
            } else {
                live.add(h.key());
                lastLive.put(h.key(), h.info());
            }
        }
        return live;
    }

    /**
     * Schedules {@code keys} for deletion: they are garbage from now on (their replacement is durable, nothing the
     * repository keeps names them). They are deleted by {@link #deleteReady} once the readers live now are gone.
     */
    public void add(String what, Collection<String> keys) throws IOException {
        List<String> own = new ArrayList<>();
        for (String k : keys) {
            own.addAll(own(k));
        }
        addOwn(what, own);
    }

    /** As {@link #add}, with every key the object's own (another host's journal, as prune finds it). */
    public void addOwn(String what, Collection<String> keys) throws IOException {
        List<String> fresh = new ArrayList<>();
        for (String k : keys) {
            if (pendingKeys.add(k)) {
                fresh.add(k);
            }
        }
        if (fresh.isEmpty()) {
            return;
        }
        pending.add(new Batch(what, fresh, liveReaders()));
    }

    /**
     * Objects for which {@code needed} answers true when their turn comes are not deleted after all: a manifest or
     * dump that a point committed after it became garbage names again (they are named by their content).
     */
    public void keepIf(java.util.function.Predicate<String> needed) {
        this.needed = needed;
    }

    /** The keys waiting for deletion, now (a copy). */
    public Set<String> pendingKeys() {
        return Set.copyOf(pendingKeys);
    }

    /** True if {@code key} is waiting for deletion. */
    public boolean isPending(String key) {
        return pendingKeys.contains(own(key).get(0));
    }

    /** Deletes every batch that no live reader may still need; returns how many objects were deleted. */
    public int deleteReady() throws IOException {
        if (pending.isEmpty()) {
            return 0;
        }
        Set<String> live = liveReaders();
        int n = 0;
        List<Batch> ready = new ArrayList<>();
        for (Batch b : pending) {
            if (java.util.Collections.disjoint(b.blockers(), live)) {
                ready.add(b);
            }
        }
        for (Batch b : ready) {
            List<String> keys = new ArrayList<>();
            for (String k : b.keys()) {
                if (!needed.test(k)) {
                    keys.add(k);
                } else {
                    LOG.debug("not deleting {}: it is needed again", k);
                }
            }
            lock.check();
            store.delete(keys);
            pending.remove(b);
            pendingKeys.removeAll(b.keys());
            n += keys.size();
            LOG.debug("deleted {} objects: {}", keys.size(), b.what());
        }
        deleted += n;
        return n;
    }

    /** Objects waiting for readers to finish. */
    public int pendingObjects() {
        int n = 0;
        for (Batch b : pending) {
            n += b.keys().size();
        }
        return n;
    }

    /** Objects deleted so far. */
    public long deleted() {
        return deleted;
    }

    /** The readers that hold back pending deletions, as of the last check (for messages). */
    public List<String> blockingReaders() {
        Set<String> blockers = new HashSet<>();
        for (Batch b : pending) {
            blockers.addAll(b.blockers());
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Lease.Info> e : lastLive.entrySet()) {
            if (blockers.contains(e.getKey())) {
                out.add(e.getValue().describe());
            }
        }
        return out;
    }
}
