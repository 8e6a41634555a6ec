package dev.tidemark.repo;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The repository's writer lock: a {@link Lease} under {@code locks/}, exclusive or shared.
 *
 * <p>Protocol (works on any store with list-after-write, so also on S3): write our lock object, then list
 * {@code locks/}. An <em>exclusive</em> lock (prune, forget, index rebuild, key changes) backs off if any other lock
 * is live; a <em>shared</em> one (a point, the daemon: format 5, where each host writes its own journal) backs off
 * only for an exclusive lock, or for a shared one of the same host (one writer per host's journal). Two racing
 * writers that conflict may both back off, never both proceed. A stale lock (see {@link Lease#staleReason}) is
 * removed with a warning. Locks written before shared ones existed say nothing of it and count as exclusive, so
 * an older tidemark and this one never write at once. On a store that cannot create only if absent atomically (an S3
 * server without conditional writes, {@link Store#createsOnlyIfAbsent}) a shared lock is taken exclusively.
 *
 * <p>A shared lock can be made exclusive for a while ({@link #tryExclusive}): a second, exclusive lock object
 * beside it, taken only when no other writer is there. The daemon does this for pack compaction and prune.
 *
 * <p>A lock is a lease tied to the work: the writer calls {@link #check()} before every commit that matters (a point
 * record, a journal segment, each step of compaction and prune). If the lock object was removed (another tidemark
 * took it for stale: this process was frozen, or its host's clock ran away) or could not be refreshed for half the
 * stale time, {@code check()} throws and the writer stops before writing anything more. The heartbeat never
 * re-creates a removed lock, so a point record can never be written by a writer that lost it.
 */
public final class WriterLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WriterLock.class);
    public static final String PREFIX = "locks/";
    public static final Duration HEARTBEAT = Lease.HEARTBEAT;
    public static final Duration STALE_AFTER = Lease.STALE_AFTER;

    /** The command of a daemon's exclusive spell ({@link #tryExclusive}): the one exclusive lock shared writers wait for. */
    public static final String DAEMON_EXCLUSIVE = "tidemark run (pack compaction and prune)";
    /** How often a shared writer that waits for an exclusive one looks again. */
    private static final Duration WAIT_STEP = Duration.ofSeconds(2);

    private final Store store;
    private final Clock clock;
    private final Lease lease;
    /** The exclusive lock object a shared writer holds beside its own for a while; null when none. */
    private volatile Lease exclusive;

    private WriterLock(Store store, Clock clock, Lease lease) {
        this.store = store;
        this.clock = clock;
        this.lease = lease;
    }

    public static String hostName() {
        return Lease.hostName();
    }

    /** Takes the writer lock or throws a {@link TidemarkException} with {@link ExitCode#LOCKED}. */
    public static WriterLock acquire(Store store, Clock clock, String command) throws IOException {
        Lease mine = Lease.create(store, PREFIX, clock, command);
        try {
            for (Lease.Held other : Lease.list(store, PREFIX)) {
                if (other.key().equals(mine.key())) {
                    continue;
                }
                String stale = Lease.staleReason(other.info(), clock.instant());
                if (stale != null) {
                    LOG.warn("removing stale lock {} of {}: {}", other.key(), other.info().describe(), stale);
                    store.delete(other.key());
                } else {
                    throw new TidemarkException(ExitCode.LOCKED, "repository " + store.location() + " is locked by "
                            + other.info().describe() + "; wait for it to finish (or stop it) and try again");
                }
            }
        } catch (IOException | RuntimeException e) {
            mine.close();
            throw e;
        }
        mine.startHeartbeat();
        return new WriterLock(store, clock, mine);
    }

    /**
     * Takes a shared writer lock for host {@code host}: other hosts may write at the same time. Another daemon's
     * exclusive lock (its prune, for a while) is waited for up to {@code wait}; another writer of the same host, any
     * other exclusive lock (a prune from the command line), or a daemon's past the wait is a {@link ExitCode#LOCKED}
     * error.
     */
    public static WriterLock acquireShared(Store store, Clock clock, String command, String host, Duration wait)
            throws IOException {
        if (!store.createsOnlyIfAbsent()) {
            // Without atomic create-only-if-absent two writers could both take one point id: one at a time.
            return acquire(store, clock, command);
        }
        Lease mine = Lease.create(store, PREFIX, clock, command, true, host);
        mine.startHeartbeat();
        long deadline = System.nanoTime() + wait.toNanos();
        boolean said = false;
        try {
            while (true) {
                Lease.Info blocker = null;
                for (Lease.Held other : Lease.list(store, PREFIX)) {
                    if (other.key().equals(mine.key())) {
                        continue;
                    }
                    Lease.Info o = other.info();
                    String stale = Lease.staleReason(o, clock.instant());
                    if (stale != null) {
                        LOG.warn("removing stale lock {} of {}: {}", other.key(), o.describe(), stale);
                        store.delete(other.key());
                    } else if (o.isShared() && host.equals(o.writesAs())) {
                        throw new TidemarkException(ExitCode.LOCKED, "repository " + store.location() + " is "
                                + "already written as host " + host + " by " + o.describe() + "; one writer per host: "
                                + "wait for it to finish (or stop it), or give this one its own 'host'");
                    } else if (!o.isShared()) {
                        blocker = o;
                    }
                }
                if (blocker == null) {
                    return new WriterLock(store, clock, mine);
                }
                if (System.nanoTime() - deadline >= 0 || !blocker.command().equals(DAEMON_EXCLUSIVE)) {
                    throw new TidemarkException(ExitCode.LOCKED, "repository " + store.location() + " is locked by "
                            + blocker.describe() + "; wait for it to finish (or stop it) and try again");
                }
                if (!said) {
                    LOG.info("waiting for {} to finish with repository {} (up to {})", blocker.describe(),
                            store.location(), dev.tidemark.util.Sizes.duration(wait));
                    said = true;
                }
                try {
                    Thread.sleep(WAIT_STEP.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TidemarkException(ExitCode.LOCKED, "interrupted while waiting for the writer lock on "
                            + store.location());
                }
            }
        } catch (IOException | RuntimeException e) {
            mine.close();
            throw e;
        }
    }

    /** Whether this lock lets other hosts write beside it (and has no exclusive lock beside it now). */
    public boolean shared() {
        return lease.info().isShared() && exclusive == null;
    }

    /**
     * For a shared lock: takes the repository exclusively too, if no other writer holds a lock now; true if it
     * did (or the lock is exclusive already). Undone by {@link #releaseExclusive}.
     */
    public boolean tryExclusive() throws IOException {
        if (!shared()) {
            return true;
        }
        check();
        Lease ex = Lease.create(store, PREFIX, clock, DAEMON_EXCLUSIVE);
        try {
            for (Lease.Held other : Lease.list(store, PREFIX)) {
                if (other.key().equals(ex.key()) || other.key().equals(lease.key())) {
                    continue;
                }
                if (Lease.staleReason(other.info(), clock.instant()) == null) {
                    ex.close();
                    return false;
                }
            }
        } catch (IOException | RuntimeException e) {
            ex.close();
            throw e;
        }
        ex.startHeartbeat();
        exclusive = ex;
        return true;
    }

    /** Gives up the exclusive lock a shared one took ({@link #tryExclusive}); nothing for an exclusive lock. */
    public void releaseExclusive() throws IOException {
        Lease ex = exclusive;
        exclusive = null;
        if (ex != null) {
            ex.close();
        }
    }

    public String key() {
        return lease.key();
    }

    /**
     * Throws {@link ExitCode#LOCKED} if this process no longer holds the lock. Cheap (one small read): called before
     * each commit. A lock whose heartbeat has not succeeded for half the stale time is refreshed first; if that
     * fails, it is lost.
     */
    public void check() throws IOException {
        Lease ex = exclusive;
        if (ex != null && ex.lost() != null) {
            throw new TidemarkException(ExitCode.LOCKED, "lost the exclusive writer lock on " + store.location()
                    + ": " + ex.lost() + "; stopped before committing anything more");
        }
        String why = lease.lost();
        if (why == null) {
            Duration since = Duration.between(lease.refreshed(), clock.instant());
            if (since.compareTo(STALE_AFTER.dividedBy(2)) > 0 || Lease.read(store, lease.key()) == null) {
                // Frozen (suspended, swapped out) or the store was unreachable: refresh now, or learn it is gone.
                if (!lease.beat()) {
                    why = lease.lost();
                } else if (Duration.between(lease.refreshed(), clock.instant()).compareTo(STALE_AFTER.dividedBy(2)) > 0) {
                    why = "it could not be refreshed for " + since.toMinutes() + " minutes";
                }
            }
        }
        if (why != null) {
            throw new TidemarkException(ExitCode.LOCKED, "lost the writer lock on " + store.location() + ": " + why
                    + "; stopped before committing anything more. Another tidemark may be writing: check "
                    + "'tidemark status' and the other process, then start again");
        }
    }

    @Override
    public void close() throws IOException {
        releaseExclusive();
        lease.close();
    }
}
