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
 * The repository's single-writer lock: a {@link Lease} under {@code locks/}.
 *
 * <p>Protocol (works on any store with list-after-write, so also on S3): write our lock object, then list
 * {@code locks/}. If any other lock is live we delete ours and fail; two racing writers may both fail, never both
 * succeed. A stale lock (see {@link Lease#staleReason}) is removed with a warning.
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

    private final Store store;
    private final Clock clock;
    private final Lease lease;

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

    public String key() {
        return lease.key();
    }

    /**
     * Throws {@link ExitCode#LOCKED} if this process no longer holds the lock. Cheap (one small read): called before
     * each commit. A lock whose heartbeat has not succeeded for half the stale time is refreshed first; if that
     * fails, it is lost.
     */
    public void check() throws IOException {
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
        lease.close();
    }
}
