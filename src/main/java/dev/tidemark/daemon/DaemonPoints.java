package dev.tidemark.daemon;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.journal.AtTime;
import dev.tidemark.journal.JournalWriter;
import dev.tidemark.point.Entries;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.scan.PointTaker;
import dev.tidemark.scan.SourceFiles;
import dev.tidemark.util.Sizes;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's restore points, on the worker. A point asked of a running daemon is sealed from the journal, with no
 * walk: (1) every change seen so far, settled or not, is made durable ({@link BatchWriter}), and subtrees waiting
 * for a comparison are compared ({@link Reconciler}); (2) each tree's manifest is the latest point's with the
 * journal's changes since on top ({@link PointTaker#fromJournal()}); (3) the database is sealed against those
 * manifests as for any point ({@link dev.tidemark.scan.Sealer}); (4) the point record. A walk is taken only when
 * the journal cannot be the base: no point yet, a point without a journal position, or a tree the latest point
 * does not have; and at start-up when the latest point is older than the interval.
 *
 * <p>Also keeps each tree's directories and symlinks as recorded ({@link FollowedTree#nonFiles}), from the latest
 * point and the journal: so a restart journals exactly what changed while the daemon was stopped.
 */
final class DaemonPoints {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonPoints.class);

    private final Config config;
    private final Repository repo;
    private final Index index;
    private final WriterLock lock;
    private final Clock clock;
    private final SourceFiles sources;
    private final Follower follower;
    private final ChangeQueue queue;
    private JournalWriter journal;
    private BatchWriter batches;
    private Reconciler reconciler;
    private Maintenance maintenance;
    volatile RestorePoint last;
    volatile Instant next;
    volatile String lastError;
    /** What the last point left out (unreadable files and directories): an alarm in status until a point has none. */
    volatile List<String> lastProblems = List.of();

    DaemonPoints(Config config, Repository repo, Index index, WriterLock lock, Clock clock, SourceFiles sources,
                 Follower follower, ChangeQueue queue) {
        this.config = config;
        this.repo = repo;
        this.index = index;
        this.lock = lock;
        this.clock = clock;
        this.sources = sources;
        this.follower = follower;
        this.queue = queue;
    }

    void wire(JournalWriter journal, BatchWriter batches, Reconciler reconciler, Maintenance maintenance) {
        this.journal = journal;
        this.batches = batches;
        this.reconciler = reconciler;
        this.maintenance = maintenance;
    }

    RestorePoint latestInRepository() throws IOException {
        PointStore points = new PointStore(repo);
        List<String> ids = points.ids();
        return ids.isEmpty() ? null : points.load(ids.get(ids.size() - 1));
    }

    /**
     * Loads every tree's directories and symlinks as the repository last recorded them (the latest point with the
     * journal since): what the comparisons at start-up hold the trees against.
     */
    void loadRecorded() throws IOException {
        long t0 = System.nanoTime();
        AtTime recorded = AtTime.latest(repo);
        long n = 0;
        for (FollowedTree ts : follower.all()) {
            ts.nonFiles.clear();
            try (Entries en = recorded.entries(repo, ts.name()).open()) {
                for (FileEntry e = en.nextOrNull(); e != null; e = en.nextOrNull()) {
                    if (!e.isFile()) {
                        ts.nonFiles.put(e.path(), e);
                        n++;
                    }
                }
            }
        }
        LOG.debug("{} recorded directories and symlinks loaded in {} ms", n, (System.nanoTime() - t0) / 1_000_000);
    }

    /** True if a point can be sealed from the journal: the latest point is its base and has every tree. */
    private boolean journalIsABase() {
        RestorePoint p = last;
        if (p == null || p.journal() == null) {
            return false;
        }
        for (FollowedTree ts : follower.all()) {
            if (p.tree(ts.name()) == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Takes a point now, on the worker; {@code requestedAt} (a {@link System#nanoTime}) is when it was asked for, so
     * its recorded duration includes the wait. {@code walk} forces a walk of every tree.
     */
    RestorePoint take(List<String> tags, long requestedAt, boolean walk) throws IOException {
        for (FollowedTree ts : follower.all()) {
            if (ts.mode == Daemon.Mode.SUSPENDED) {
                throw TidemarkException.failed("tree '" + ts.name() + "' is unavailable (" + ts.alarm + "); "
                        + "no restore point until it is back, so it cannot be recorded as emptied");
            }
        }
        boolean fromJournal = !walk && journalIsABase();
        long tf = System.nanoTime();
        if (fromJournal) {
            // (1) Everything seen is durable in the journal before the point is sealed from it.
            for (ChangeQueue.Rescan r : queue.takeRescans()) {
                reconciler.reconcile(r.tree(), r.dir());
            }
            reconciler.awaitBackground(); // comparisons under way: their differences are in the queue after this
            for (List<ChangeQueue.Change> due = queue.takeDue(true, Daemon.MAX_BATCH); !due.isEmpty();
                 due = queue.takeDue(true, Daemon.MAX_BATCH)) {
                batches.apply(due);
            }
        }
        long flushMillis = (System.nanoTime() - tf) / 1_000_000;
        PointTaker taker = new PointTaker(config, repo, index, lock, clock, Progress.Mode.OFF, sources)
                .indexIsCurrent().requestedAt(requestedAt);
        if (fromJournal) {
            taker.fromJournal();
        }
        PointTaker.Outcome o = taker.take(tags, false);
        RestorePoint p = o.point();
        last = p;
        lastError = null;
        journal.observe(p.time()); // later changes are never recorded before the point
        maintenance.pointCommitted(p);
        index.flush();
        batches.indexFlushed();
        if (!fromJournal) {
            loadRecorded(); // the walk recorded what is there now
        }
        lastProblems = List.copyOf(o.problems());
        for (String problem : o.problems()) {
            LOG.warn("restore point {}: {}", p.id(), problem);
        }
        LOG.info("restore point {} committed ({}): {} files, {} read, {} stored, in {} (changes in hand {} ms, "
                + "trees {} ms, database {} ms)", p.id(), fromJournal ? "from the journal" : "walked",
                p.totals().files(), p.totals().readFiles(), Sizes.bytes(p.totals().storedBytes()),
                Sizes.duration(Duration.ofMillis(p.durationMillis())), flushMillis, o.treesMillis(),
                o.databaseMillis());
        return p;
    }

    /** The scheduled point: a failure is logged and retried at the next interval; a lost lock stops the daemon. */
    void scheduled() {
        Duration interval = config.run().pointInterval();
        try {
            take(List.of("scheduled"), System.nanoTime(), false);
        } catch (IOException | RuntimeException e) {
            if (e instanceof TidemarkException te && te.exitCode() == ExitCode.LOCKED) {
                throw te;
            }
            lastError = e.getMessage();
            LOG.error("scheduled restore point failed: {}; files keep replicating into the journal; next try in {}",
                    e.getMessage(), Sizes.duration(interval));
        }
        next = clock.instant().plus(interval);
    }
}
