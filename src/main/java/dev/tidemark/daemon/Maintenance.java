package dev.tidemark.daemon;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.journal.CompactionPolicy;
import dev.tidemark.journal.JournalCompactor;
import dev.tidemark.journal.JournalEntry;
import dev.tidemark.journal.JournalWriter;
import dev.tidemark.index.Index;
import dev.tidemark.prune.PackCompaction;
import dev.tidemark.prune.PackCompactor;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the daemon's repository small while it runs, on the worker between batches: the journal's batches are merged
 * into minute, hour and day objects ({@link JournalCompactor}), small packs into larger ones ({@link PackCompactor}),
 * and what they replace is deleted once no reader needs it ({@link DeferredDeletes}).
 *
 * <p>Each step is short (a merge of a few small objects), so replication waits milliseconds, not the length of a
 * whole maintenance run. A failed step is logged and retried later: maintenance never stops replication.
 */
final class Maintenance {
    private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);
    /** The journal's open windows are looked at this often even without new batches (a minute closing). */
    static final Duration COMPACT_EVERY = Duration.ofSeconds(10);
    private static final Duration DELETE_EVERY = Duration.ofSeconds(1);
    private static final Duration RETRY = Duration.ofMinutes(1);

    private final DeferredDeletes deletes;
    private final JournalCompactor journalCompactor;
    private final PackCompactor packCompactor;
    private final int fanout;
    private long batchesSinceCompaction;
    private long nextCompaction;
    private long nextDelete;
    private long failures;
    private String lastError;

    Maintenance(Repository repo, Index index, WriterLock lock, JournalWriter journal, Clock clock) {
        this.deletes = new DeferredDeletes(repo.store(), clock, lock);
        this.fanout = CompactionPolicy.DEFAULT_FANOUT;
        this.journalCompactor = new JournalCompactor(repo, journal, deletes, new CompactionPolicy(fanout), clock);
        this.packCompactor = new PackCompactor(repo, index, deletes, lock, PackCompaction.DEFAULT_FANOUT);
    }

    /** At start: learns the small packs. */
    void start() throws IOException {
        packCompactor.load();
        nextCompaction = System.nanoTime();
    }

    /** A pack was committed by a batch or a point. */
    void packCommitted(String packId) throws IOException {
        packCompactor.committed(packId);
    }

    /** A batch was journaled. */
    void journaled(List<JournalEntry> entries) {
        batchesSinceCompaction++;
    }

    /** Runs what is due; called by the worker between batches. */
    void tick() {
        long now = System.nanoTime();
        boolean due = batchesSinceCompaction >= fanout || now - nextCompaction >= 0 || packCompactor.due();
        try {
            if (due) {
                batchesSinceCompaction = 0;
                nextCompaction = now + COMPACT_EVERY.toNanos();
                journalCompactor.compact();
                packCompactor.compact();
            }
            if (now - nextDelete >= 0 || due) {
                nextDelete = now + DELETE_EVERY.toNanos();
                deletes.deleteReady();
            }
            lastError = null;
        } catch (IOException | RuntimeException e) {
            if (e instanceof TidemarkException te && te.exitCode() == ExitCode.LOCKED) {
                throw te; // the writer lock was taken away: the daemon stops
            }
            failures++;
            lastError = e.getMessage();
            nextCompaction = now + RETRY.toNanos();
            nextDelete = now + RETRY.toNanos();
            LOG.warn("compaction failed: {}; retrying in {} (replication goes on)", e.getMessage(), RETRY);
            LoggerFactory.getLogger("tidemark.trace").debug("compaction failed", e);
        }
    }

    /** For status. */
    Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("journalMerges", journalCompactor.merges());
        s.put("packMerges", packCompactor.merges());
        s.put("smallPacks", packCompactor.smallPacks());
        s.put("objectsDeleted", deletes.deleted());
        s.put("deletionsWaitingForReaders", deletes.pendingObjects());
        if (lastError != null) {
            s.put("lastMaintenanceError", lastError);
        }
        s.put("maintenanceFailures", failures);
        return s;
    }

    DeferredDeletes deletes() {
        return deletes;
    }
}
