package dev.tidemark.daemon;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.index.IndexSync;
import dev.tidemark.journal.JournalWriter;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.scan.ContentReader;
import dev.tidemark.scan.SourceFiles;
import dev.tidemark.util.Sizes;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tidemark run}: watches every tree, copies each settled change into the repository and records it in the
 * journal, commits restore points on a schedule, and keeps the repository compact. The caller holds the writer lock
 * and the index.
 *
 * <p>One worker thread does everything that writes, in turn: batches of settled changes ({@link BatchWriter}),
 * comparisons of subtrees with the index ({@link Reconciler}), points, maintenance ({@link Maintenance}) and
 * requests, so the index, the open pack and the journal never see two writers. Watcher threads only enqueue
 * ({@link Follower}). If the writer lock is taken away, the worker stops before its next commit.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    /** Changes per batch: bounds the memory and the size of one journal batch. */
    static final int MAX_BATCH = 2000;
    private static final Duration INDEX_FLUSH = Duration.ofMinutes(1);
    private static final Duration RETRY = Duration.ofSeconds(10);

    /**
     * @param verbose one log line per file copied or deleted
     * @param sources how files are opened (the seam for tests that race a read)
     */
    public record Options(boolean verbose, SourceFiles sources) {
        public static final Options DEFAULTS = new Options(false, SourceFiles.DEFAULT);
    }

    /** How a tree is being followed. */
    public enum Mode { WATCHING, POLLING, SUSPENDED }

    private final Config config;
    private final Repository repo;
    private final Index index;
    private final WriterLock lock;
    private final Clock clock;
    private final Options opts;
    private final ChangeQueue queue;
    private final Follower follower;
    private final DaemonStatus status = new DaemonStatus();
    private final WorkerRequests requests;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private volatile boolean stopping;
    private ExecutorService pool;
    private PackWriter packs;
    private BatchWriter batches;
    private Reconciler reconciler;
    private Maintenance maintenance;
    private JournalWriter journal;
    private volatile Companions companions;
    private volatile String statusPage;
    private final DaemonPoints points;
    private final Instant startedAt;
    private long nextIndexFlush;

    public Daemon(Config config, Repository repo, Index index, WriterLock lock, Clock clock, Options opts) {
        this.config = config;
        this.repo = repo;
        this.index = index;
        this.lock = lock;
        this.clock = clock;
        this.opts = opts;
        Config.RunOptions run = config.run();
        this.queue = new ChangeQueue(run.settle().toNanos(), run.maxDelay().toNanos());
        this.requests = new WorkerRequests(queue::wake);
        this.follower = new Follower(config, index, clock, queue, task -> submit(() -> {
            task.run();
            return null;
        }));
        this.points = new DaemonPoints(config, repo, index, lock, clock, opts.sources(), follower, queue,
                queue::wake);
        this.startedAt = clock.instant();
    }

    /** Asks the worker to finish what it has in hand, commit, and return from {@link #run}. Any thread. */
    public void stop() {
        stopping = true;
        queue.wake();
    }

    /** Completes once the start-up catch-up is done and changes are being followed (for tests and scripts). */
    public CompletableFuture<Void> started() {
        return started;
    }

    /** Runs {@code task} on the worker between batches; the future completes with its result. Any thread. */
    public <T> CompletableFuture<T> submit(Supplier<T> task) {
        return requests.submit(task, () -> stopping);
    }

    /** How long the watchers must have been quiet before a point asked for is fixed, and the longest wait for it. */
    static final Duration POINT_QUIET = Duration.ofMillis(100);
    static final Duration POINT_QUIET_MAX = Duration.ofSeconds(2);

    /**
     * Takes a restore point now, on the worker. Any thread but the worker. First waits (in the caller's thread) for
     * the changes made before it was asked to arrive from the file system ({@link ChangeQueue#awaitQuiet}): without
     * this a point asked for right after a change could miss it (seen: a directory made a millisecond before).
     */
    public CompletableFuture<RestorePoint> pointNow(List<String> tags) {
        long asked = System.nanoTime();
        if (!stopping) {
            try {
                queue.awaitQuiet(asked, POINT_QUIET.toNanos(), POINT_QUIET_MAX.toNanos());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return CompletableFuture.failedFuture(e);
            }
        }
        return submit(() -> {
            try {
                return points.request(tags, asked, false);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).thenCompose(f -> f);
    }

    // ---- the worker ----

    /** Follows the trees until {@link #stop}; commits everything in hand before returning. */
    public void run() throws IOException {
        IndexSync.syncPacks(repo, index);
        index.retainTrees(follower.all().stream().map(FollowedTree::name).collect(java.util.stream.Collectors.toSet()));
        journal = JournalWriter.open(repo, lock);
        maintenance = new Maintenance(repo, index, lock, journal, clock, config.retention());
        maintenance.start();
        companions = Companions.start(config, repo, lock, index, clock);
        companions.watchAlerts(config, this::status, clock);
        pool = Executors.newFixedThreadPool(config.scan().threads(), Threads.daemon("tidemark-copy", true));
        packs = new PackWriter(repo.store(), repo.hasher(), repo.config().packSize(), index::hasBlob, (id, blobs) -> {
            index.addPack(id, blobs);
            maintenance.packCommitted(id);
        });
        ContentReader reader = new ContentReader(packs, repo.hasher(), clock, opts.sources(),
                index.fileRecordsUnverified());
        batches = new BatchWriter(follower, index, queue, pool, reader, packs, journal, clock, opts.verbose(), status,
                maintenance::journaled);
        reconciler = new Reconciler(follower, index, batches, queue, task -> submit(() -> {
            task.run();
            return null;
        }));
        points.wire(journal, batches, reconciler, maintenance);
        try {
            for (FollowedTree ts : follower.all()) {
                follower.attach(ts, true);
            }
            points.loadRecorded();
            catchUp();
            started.complete(null);
            LOG.info("following {} tree(s): {}; next restore point at {}", follower.all().size(), describeTrees(),
                    points.next);
            loop();
            reconciler.close(); // a comparison cut short is done again by the next start's catch-up
            points.awaitSealing(); // a point under way is committed first
            // Stopping: whatever was seen is copied now, settled or not.
            for (List<ChangeQueue.Change> due = queue.takeDue(true, MAX_BATCH); !due.isEmpty();
                 due = queue.takeDue(true, MAX_BATCH)) {
                batches.apply(due);
            }
            runRequests();
        } finally {
            started.complete(null);
            for (FollowedTree ts : follower.all()) {
                follower.detach(ts);
            }
            if (reconciler != null) {
                reconciler.close();
            }
            points.close();
            points.awaitSealing(); // after a failure: the point's client is told
            pool.shutdown();
            Threads.awaitTermination(pool, "copies in progress"); // they use the index and the open pack
            packs.close();
            maintenance.close();
            companions.close(); // before the index is closed: a drill reads through it
            requests.close();
        }
        LOG.info("stopped: {} changes journaled since start, {} files copied, {} stored",
                status.changesJournaled.get(), status.filesCopied.get(), Sizes.bytes(status.bytesStored.get()));
    }

    /**
     * Start-up: anything that changed while the daemon was stopped is found. With no point yet, or the latest older
     * than the interval, a point is taken (it compares every tree with the index and gives the journal a fresh
     * base); otherwise every tree is compared with the index and the differences go into the journal.
     */
    private void catchUp() throws IOException {
        RestorePoint latest = points.latestInRepository();
        points.last = latest;
        Instant now = clock.instant();
        Duration interval = config.run().pointInterval();
        if (follower.allUp() && (latest == null || latest.time().plus(interval).isBefore(now))) {
            LOG.info("catching up: taking a restore point ({})", latest == null ? "there is none yet"
                    : "the latest, " + latest.id() + ", is older than " + Sizes.duration(interval));
            try {
                points.request(List.of("daemon-start"), System.nanoTime(), true);
            } catch (TidemarkException e) {
                if (e.exitCode() == ExitCode.LOCKED) {
                    throw e;
                }
                LOG.error("catching up: restore point failed: {}; comparing the trees instead", e.getMessage());
                follower.rescanAll();
            }
        } else {
            follower.rescanAll();
        }
        for (ChangeQueue.Rescan r : queue.takeRescans()) {
            reconciler.reconcile(r.tree(), r.dir());
        }
        RestorePoint p = points.last;
        points.next = p == null ? clock.instant()
                : max(p.time().plus(interval), clock.instant().plus(Duration.ofSeconds(1)));
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private void loop() throws IOException {
        long nextReconcile = System.nanoTime() + config.run().reconcileInterval().toNanos();
        status.summaryFrom(System.nanoTime());
        nextIndexFlush = System.nanoTime() + INDEX_FLUSH.toNanos();
        while (!stopping) {
            runRequests();
            points.poll();
            if (points.fatal != null) {
                throw points.fatal; // a point found the writer lock gone
            }
            follower.checkRoots();
            boolean busy = false;
            for (ChangeQueue.Rescan r : queue.takeRescans()) {
                reconciler.inBackground(r.tree(), r.dir()); // its differences come back as changes
            }
            List<ChangeQueue.Change> due = List.of();
            try {
                due = queue.takeDue(false, MAX_BATCH);
                if (!due.isEmpty()) {
                    batches.apply(due);
                    busy = true;
                }
            } catch (IOException | RuntimeException e) {
                if (e instanceof TidemarkException te && te.exitCode() == ExitCode.LOCKED) {
                    LOG.error("{}", te.getMessage());
                    throw te;
                }
                if (e instanceof RuntimeException re) {
                    throw re;
                }
                // The repository cannot be written (full disk, NAS share gone): keep the work, retry later.
                LOG.error("cannot make changes durable: {}; retrying in {} (nothing seen is dropped)", e.getMessage(),
                        Sizes.duration(RETRY));
                LoggerFactory.getLogger("tidemark.trace").debug("apply failed", e);
                for (ChangeQueue.Change c : due) {
                    queue.offer(c.tree(), c.path());
                }
                packs.discardPending();
                sleep(RETRY);
                continue;
            }
            long now = System.nanoTime();
            if (!clock.instant().isBefore(points.next)) {
                points.scheduled();
            }
            if (now - nextReconcile >= 0) {
                LOG.info("safety net (every {}): comparing every tree with the index",
                        Sizes.duration(config.run().reconcileInterval()));
                follower.rescanAll();
                nextReconcile = now + config.run().reconcileInterval().toNanos();
            }
            follower.pollDue(now);
            maintenance.tick();
            if (batches.indexDirty() && now - nextIndexFlush >= 0) {
                index.flush(); // the index runs without a log: flush now and then so a crash re-reads little
                batches.indexFlushed();
                nextIndexFlush = now + INDEX_FLUSH.toNanos();
            }
            status.summary(now, queue.size());
            if (!busy) {
                try {
                    queue.await(Follower.ROOT_CHECK.toNanos());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopping = true;
                }
            }
        }
    }

    private void sleep(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        while (!stopping && System.nanoTime() - until < 0) {
            try {
                queue.await(Math.min(until - System.nanoTime(), Follower.ROOT_CHECK.toNanos()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            runRequests();
            points.poll();
        }
    }

    private void runRequests() {
        requests.runAll();
    }

    // ---- status ----

    /** A snapshot of what the daemon is doing, for {@code tidemark status}. Any thread. */
    public Map<String, Object> status() {
        Companions c = companions;
        Map<String, Object> s = status.report(startedAt, follower, queue, points, maintenance, config,
                c == null ? null : c.binlog, c == null ? null : c.replicas);
        if (statusPage != null) {
            s.put("statusPage", statusPage);
        }
        Object alerts = c == null ? null : c.raisedAlerts();
        if (alerts != null) {
            s.put("alerts", alerts);
        }
        return s;
    }

    /** Where the status page is served (shown by {@code tidemark status}). Any thread. */
    public void statusPage(String url) {
        statusPage = url;
    }

    private String describeTrees() {
        List<String> out = new ArrayList<>();
        for (FollowedTree ts : follower.all()) {
            out.add(ts.name() + " (" + ts.mode.name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        return String.join(", ", out);
    }

    /** For tests: the mode of a tree. */
    public Mode mode(String tree) {
        return follower.tree(tree).mode;
    }

    /** For tests: the next event's listener call stalls this long, so events pile up behind it and overflow. */
    void pauseListenerOnce(Duration d) {
        follower.pauseListenerOnce(d);
    }

    /** For tests: the tree's watch stopped working, as when inotify watches run out. */
    void simulateWatchLost(String tree, Throwable cause) {
        follower.sink.watchLost(tree, cause);
    }
}
