package dev.tidemark.daemon;

import dev.tidemark.repo.BlobReader;
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
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's restore points. A point asked of a running daemon is sealed from the journal, with no walk. On the
 * worker: (1) every change seen so far, settled or not, is made durable ({@link BatchWriter}), and subtrees waiting
 * for a comparison are compared ({@link Reconciler}); the point's journal position (the last batch) and time are
 * fixed. Then, on the point thread, while the worker goes on replicating: (2) each tree's manifest is the latest
 * point's with the journal's changes up to that position on top ({@link PointTaker#through}); (3) the database is
 * sealed against those manifests as for any point ({@link dev.tidemark.scan.Sealer}); (4) the point record. Back on
 * the worker it becomes the base of the next point; prune steps wait meanwhile (the point's content is named by no
 * committed point until (4)). One point is sealed at a time. A walk is taken only when
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
    /** Where points from the journal are sealed, one at a time, while the worker replicates. */
    private final ExecutorService sealer = Executors.newSingleThreadExecutor(Threads.daemon("tidemark-point", false));
    private Future<PointTaker.Outcome> sealing;
    private CompletableFuture<RestorePoint> sealingDone;
    private long sealingFlushMillis;
    private final Runnable wake;
    private BatchWriter batches;
    private Reconciler reconciler;
    private Maintenance maintenance;
    volatile RestorePoint last;
    volatile Instant next;
    volatile String lastError;
    /** What the last point left out (unreadable files and directories): an alarm in status until a point has none. */
    volatile List<String> lastProblems = List.of();

    /** @param wake wakes the worker up (a point has been sealed: the worker finishes it) */
    DaemonPoints(Config config, Repository repo, Index index, WriterLock lock, Clock clock, SourceFiles sources,
                 Follower follower, ChangeQueue queue, Runnable wake) {
        this.wake = wake;
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
        return new PointStore(repo).latest();
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
            try (BlobReader contents = index.reader(repo); Entries en = recorded.entries(contents, ts.name()).open()) {
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
     * Takes a point, on the worker; {@code requestedAt} (a {@link System#nanoTime}) is when it was asked for, so its
     * recorded duration includes the wait; {@code walk} forces a walk of every tree. A point from the journal is
     * fixed here (everything seen made durable, its journal position and time chosen) and sealed on the point thread
     * while the worker goes on replicating: the future completes once it is committed. A walked point is taken here.
     */
    CompletableFuture<RestorePoint> request(List<String> tags, long requestedAt, boolean walk) throws IOException {
        awaitSealing(); // one point at a time: each is the next one's base
        for (FollowedTree ts : follower.all()) {
            if (ts.mode == Daemon.Mode.SUSPENDED) {
                throw TidemarkException.failed("tree '" + ts.name() + "' is unavailable (" + ts.alarm + "); "
                        + "no restore point until it is back, so it cannot be recorded as emptied");
            }
        }
        CompletableFuture<RestorePoint> done = new CompletableFuture<>();
        if (walk || !journalIsABase()) {
            PointTaker.Outcome o = new PointTaker(config, repo, index, lock, clock, Progress.Mode.OFF, sources)
                    .indexIsCurrent().requestedAt(requestedAt).take(tags, false);
            committed(o, false, 0);
            loadRecorded(); // the walk recorded what is there now
            done.complete(o.point());
            return done;
        }
        // (1) Everything seen is durable in the journal before the point is sealed from it.
        long tf = System.nanoTime();
        for (ChangeQueue.Rescan r : queue.takeRescans()) {
            reconciler.reconcile(r.tree(), r.dir());
        }
        // Comparisons under way: their differences are in the queue once they end (which may wait for room in it).
        boolean compared;
        do {
            compared = reconciler.awaitBackground(50);
            for (List<ChangeQueue.Change> due = queue.takeDue(true, Daemon.MAX_BATCH); !due.isEmpty();
                 due = queue.takeDue(true, Daemon.MAX_BATCH)) {
                batches.apply(due);
            }
        } while (!compared);
        long seq = journal.lastSeq();
        Instant time = PointTaker.notBefore(clock.instant(), last, journal.lastTime());
        journal.observe(time); // later changes are never recorded before the point
        sealingFlushMillis = (System.nanoTime() - tf) / 1_000_000;
        maintenance.sealing(true); // no prune step until the point is committed: its content is not named yet
        sealingDone = done;
        sealing = sealer.submit(() -> {
            try {
                return new PointTaker(config, repo, index, lock, clock, Progress.Mode.OFF, sources)
                        .indexIsCurrent().requestedAt(requestedAt).through(seq, time).take(tags, false);
            } finally {
                wake.run(); // the worker finishes it at its next turn
            }
        });
        return done;
    }

    /** Finishes the point being sealed if it is done. Worker only. */
    void poll() {
        if (sealing != null && sealing.isDone()) {
            finishSealing();
        }
    }

    /** Waits for the point being sealed, if any, and finishes it. Worker only. */
    void awaitSealing() {
        if (sealing == null) {
            return;
        }
        try {
            sealing.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException e) {
            // finished below
        }
        finishSealing();
    }

    private void finishSealing() {
        Future<PointTaker.Outcome> f = sealing;
        CompletableFuture<RestorePoint> done = sealingDone;
        sealing = null;
        sealingDone = null;
        maintenance.sealing(false);
        try {
            PointTaker.Outcome o = f.get();
            committed(o, true, sealingFlushMillis);
            done.complete(o.point());
        } catch (ExecutionException e) {
            failed(e.getCause());
            done.completeExceptionally(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done.completeExceptionally(e);
        } catch (IOException | RuntimeException e) {
            failed(e);
            done.completeExceptionally(e);
        }
    }

    /** A point is committed: it is the base of the next one. Worker only. */
    private void committed(PointTaker.Outcome o, boolean fromJournal, long flushMillis) throws IOException {
        RestorePoint p = o.point();
        last = p;
        lastError = null;
        journal.observe(p.time()); // later changes are never recorded before the point
        maintenance.pointCommitted(p);
        index.flush();
        batches.indexFlushed();
        lastProblems = List.copyOf(o.problems());
        for (String problem : o.problems()) {
            LOG.warn("restore point {}: {}", p.id(), problem);
        }
        LOG.info("restore point {} committed ({}): {} files, {} read, {} stored, in {} (changes in hand {} ms, "
                + "trees {} ms, database {} ms)", p.id(), fromJournal ? "from the journal" : "walked",
                p.totals().files(), p.totals().readFiles(), Sizes.bytes(p.totals().storedBytes()),
                Sizes.duration(Duration.ofMillis(p.durationMillis())), flushMillis, o.treesMillis(),
                o.databaseMillis());
    }

    /** A point failed. A lost writer lock stops the daemon (at its next turn). Worker only. */
    private void failed(Throwable t) {
        lastError = t.getMessage();
        if (t instanceof TidemarkException te && te.exitCode() == ExitCode.LOCKED) {
            fatal = te;
        }
    }

    /** Set when a point found the writer lock gone: the worker stops. */
    volatile TidemarkException fatal;

    /** Stops the point thread once the point under way (if any) is committed. */
    void close() {
        sealer.shutdown();
        Threads.awaitTermination(sealer, "the restore point being sealed");
    }

    /** The scheduled point: a failure is logged and retried at the next interval; a lost lock stops the daemon. */
    void scheduled() {
        Duration interval = config.run().pointInterval();
        next = clock.instant().plus(interval);
        CompletableFuture<RestorePoint> f;
        try {
            f = request(List.of("scheduled"), System.nanoTime(), false);
        } catch (IOException | RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((p, e) -> {
            if (e == null) {
                return;
            }
            Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            if (c instanceof TidemarkException te && te.exitCode() == ExitCode.LOCKED) {
                fatal = te;
                return;
            }
            lastError = c.getMessage();
            LOG.error("scheduled restore point failed: {}; files keep replicating into the journal; next try in {}",
                    c.getMessage(), Sizes.duration(interval));
        });
    }
}
