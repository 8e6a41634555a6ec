package dev.tidemark.daemon;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.index.FileRecord;
import dev.tidemark.index.Index;
import dev.tidemark.index.RecordBatch;
import dev.tidemark.index.TreeCursor;
import dev.tidemark.index.IndexSync;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.Journal;
import dev.tidemark.point.JournalEntry;
import dev.tidemark.point.PathOrder;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.scan.ContentReader;
import dev.tidemark.scan.Excludes;
import dev.tidemark.scan.FileStat;
import dev.tidemark.scan.PointTaker;
import dev.tidemark.scan.SourceFiles;
import dev.tidemark.util.Sizes;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tidemark run}: watches every tree, copies each settled change into the repository and records it in the
 * journal, and commits restore points on a schedule. The caller holds the writer lock and the index.
 *
 * <p>One worker thread does everything that writes: it applies batches of settled changes, rescans subtrees,
 * takes points and answers requests, so the index, the open pack and the journal never see two writers. Watcher
 * threads only enqueue.
 *
 * <p>Per batch, in this order: every changed file is read (torn reads are retried, see {@link ContentReader}) and
 * new content goes into the open pack; the pack is committed; the journal segment naming the changes is committed
 * (from here the changes are durable); then the index learns the new records. A crash anywhere leaves the index
 * behind the repository, never ahead, and the catch-up at the next start redoes what is missing.
 *
 * <p>A tree whose root vanishes or is replaced (an unmounted or failed disk) is suspended, never recorded as
 * deleted: its deletions are dropped, an alarm is raised, and the tree is rescanned once its root is back.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    /** Changes per batch: bounds the memory and the size of one journal segment. */
    static final int MAX_BATCH = 2000;
    private static final Duration ROOT_CHECK = Duration.ofSeconds(1);
    private static final Duration INDEX_FLUSH = Duration.ofMinutes(1);
    private static final Duration SUMMARY = Duration.ofMinutes(1);
    private static final int LATENCY_SAMPLES = 4096;
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

    private final class TreeState {
        final TreeConfig cfg;
        final Excludes excludes;
        volatile Mode mode = Mode.SUSPENDED;
        volatile String alarm;
        volatile Instant since;
        Path root;
        long dev;
        long inode;
        TreeWatch watch;
        long nextPoll;
        long nextRootCheck;
        /** Directories and symlinks as last recorded: their changes carry no content key to compare. */
        final NavigableMap<String, FileEntry> nonFiles = new TreeMap<>(PathOrder::compare);

        TreeState(TreeConfig cfg, List<String> globalExcludes) {
            this.cfg = cfg;
            List<String> ex = new ArrayList<>(globalExcludes);
            ex.addAll(cfg.exclude());
            this.excludes = new Excludes(ex);
        }

        String name() {
            return cfg.name();
        }
    }

    private final Config config;
    private final Repository repo;
    private final Index index;
    private final WriterLock lock;
    private final Clock clock;
    private final Options opts;
    private final ChangeQueue queue;
    private final Journal journal;
    private final Map<String, TreeState> trees = new LinkedHashMap<>();
    private final ConcurrentLinkedQueue<Runnable> requests = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private volatile boolean stopping;
    private volatile long pauseListenerNanos;
    private ExecutorService pool;
    private PackWriter packs;
    private ContentReader reader;

    // Counters for status and the summary line.
    private final AtomicLong changesJournaled = new AtomicLong();
    private final AtomicLong filesCopied = new AtomicLong();
    private final AtomicLong bytesStored = new AtomicLong();
    private final AtomicLong segments = new AtomicLong();
    private final AtomicLong watcherLosses = new AtomicLong();
    private final long[] latencies = new long[LATENCY_SAMPLES];
    private long latencyCount;
    private volatile Instant lastDurable;
    private volatile RestorePoint lastPoint;
    private volatile Instant nextPointAt;
    private volatile String lastPointError;
    private final Instant startedAt;
    private long summaryChanges;
    private long nextSummary;
    private long nextIndexFlush;
    private boolean indexDirty;

    public Daemon(Config config, Repository repo, Index index, WriterLock lock, Clock clock, Options opts) {
        this.config = config;
        this.repo = repo;
        this.index = index;
        this.lock = lock;
        this.clock = clock;
        this.opts = opts;
        Config.RunOptions run = config.run();
        this.queue = new ChangeQueue(run.settle().toNanos(), run.maxDelay().toNanos());
        this.journal = new Journal(repo);
        for (TreeConfig t : config.trees()) {
            trees.put(t.name(), new TreeState(t, config.exclude()));
        }
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
        CompletableFuture<T> f = new CompletableFuture<>();
        if (stopping) {
            f.completeExceptionally(TidemarkException.failed("the daemon is stopping"));
            return f;
        }
        requests.add(() -> {
            try {
                f.complete(task.get());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        queue.wake();
        return f;
    }

    /** Takes a restore point now, on the worker. Any thread. */
    public CompletableFuture<RestorePoint> pointNow(List<String> tags) {
        return submit(() -> {
            try {
                return takePoint(tags);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    // ---- the worker ----

    /** Follows the trees until {@link #stop}; commits everything in hand before returning. */
    public void run() throws IOException {
        IndexSync.syncPacks(repo, index);
        index.retainTrees(trees.keySet());
        pool = Executors.newFixedThreadPool(config.scan().threads(), Threads.daemon("tidemark-copy", true));
        packs = new PackWriter(repo.store(), repo.hasher(), repo.config().packSize(), index::hasBlob, index::addPack);
        reader = new ContentReader(packs, repo.hasher(), clock, opts.sources(), index.fileRecordsUnverified());
        try {
            for (TreeState ts : trees.values()) {
                attach(ts, true);
            }
            catchUp();
            started.complete(null);
            LOG.info("following {} tree(s): {}; next restore point at {}", trees.size(), describeTrees(),
                    nextPointAt);
            loop();
            // Stopping: whatever was seen is copied now, settled or not.
            for (List<ChangeQueue.Change> due = queue.takeDue(true, MAX_BATCH); !due.isEmpty();
                 due = queue.takeDue(true, MAX_BATCH)) {
                apply(due);
            }
            runRequests();
        } finally {
            started.complete(null);
            for (TreeState ts : trees.values()) {
                detach(ts);
            }
            pool.shutdown();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            packs.close();
            Runnable r;
            while ((r = requests.poll()) != null) {
                r.run(); // late requests fail fast rather than hang their clients
            }
        }
        LOG.info("stopped: {} changes journaled since start, {} files copied, {} stored", changesJournaled.get(),
                filesCopied.get(), Sizes.bytes(bytesStored.get()));
    }

    /**
     * Start-up: anything that changed while the daemon was stopped is found. With no point yet, or the latest older
     * than the interval, a point is taken (it compares every tree with the index and gives the journal a fresh
     * base); otherwise every tree is compared with the index and the differences go into the journal.
     */
    private void catchUp() throws IOException {
        RestorePoint latest = latestPoint();
        lastPoint = latest;
        Instant now = clock.instant();
        Duration interval = config.run().pointInterval();
        boolean allUp = trees.values().stream().allMatch(t -> t.mode != Mode.SUSPENDED);
        if (allUp && (latest == null || latest.time().plus(interval).isBefore(now))) {
            LOG.info("catching up: taking a restore point ({})", latest == null ? "there is none yet"
                    : "the latest, " + latest.id() + ", is older than " + Sizes.duration(interval));
            try {
                takePoint(List.of("daemon-start"));
            } catch (TidemarkException e) {
                LOG.error("catching up: restore point failed: {}; comparing the trees instead", e.getMessage());
                rescanAll();
            }
        } else {
            rescanAll();
        }
        for (ChangeQueue.Rescan r : queue.takeRescans()) {
            reconcile(r.tree(), r.dir());
        }
        RestorePoint p = lastPoint;
        nextPointAt = p == null ? clock.instant() : max(p.time().plus(interval), clock.instant().plus(Duration.ofSeconds(1)));
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private void rescanAll() {
        for (TreeState ts : trees.values()) {
            if (ts.mode != Mode.SUSPENDED) {
                queue.rescan(ts.name(), FileEntry.ROOT);
            }
        }
    }

    private void loop() throws IOException {
        long nextReconcile = System.nanoTime() + config.run().reconcileInterval().toNanos();
        nextSummary = System.nanoTime() + SUMMARY.toNanos();
        nextIndexFlush = System.nanoTime() + INDEX_FLUSH.toNanos();
        while (!stopping) {
            runRequests();
            checkRoots();
            boolean busy = false;
            List<ChangeQueue.Rescan> rescans = queue.takeRescans();
            List<ChangeQueue.Change> due = List.of();
            try {
                for (ChangeQueue.Rescan r : rescans) {
                    reconcile(r.tree(), r.dir());
                    busy = true;
                }
                due = queue.takeDue(false, MAX_BATCH);
                if (!due.isEmpty()) {
                    apply(due);
                    busy = true;
                }
            } catch (IOException e) {
                // The repository cannot be written (full disk, NAS share gone): keep the work, retry later.
                LOG.error("cannot make changes durable: {}; retrying in {} (nothing seen is dropped)", e.getMessage(),
                        Sizes.duration(RETRY));
                LoggerFactory.getLogger("tidemark.trace").debug("apply failed", e);
                for (ChangeQueue.Rescan r : rescans) {
                    queue.rescan(r.tree(), r.dir());
                }
                for (ChangeQueue.Change c : due) {
                    queue.offer(c.tree(), c.path());
                }
                packs.discardPending();
                sleep(RETRY);
                continue;
            }
            long now = System.nanoTime();
            if (!clock.instant().isBefore(nextPointAt)) {
                scheduledPoint();
            }
            if (now - nextReconcile >= 0) {
                LOG.info("safety net (every {}): comparing every tree with the index",
                        Sizes.duration(config.run().reconcileInterval()));
                rescanAll();
                nextReconcile = now + config.run().reconcileInterval().toNanos();
            }
            for (TreeState ts : trees.values()) {
                if (ts.mode == Mode.POLLING && now - ts.nextPoll >= 0) {
                    queue.rescan(ts.name(), FileEntry.ROOT);
                    ts.nextPoll = now + config.run().pollInterval().toNanos();
                }
            }
            if (indexDirty && now - nextIndexFlush >= 0) {
                index.flush(); // the index runs without a log: flush now and then so a crash re-reads little
                indexDirty = false;
                nextIndexFlush = now + INDEX_FLUSH.toNanos();
            }
            summary(now);
            if (!busy) {
                try {
                    queue.await(ROOT_CHECK.toNanos());
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
                queue.await(Math.min(until - System.nanoTime(), ROOT_CHECK.toNanos()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            runRequests();
        }
    }

    private void runRequests() {
        Runnable r;
        while ((r = requests.poll()) != null) {
            r.run();
        }
    }

    private void summary(long now) {
        if (now - nextSummary < 0) {
            return;
        }
        nextSummary = now + SUMMARY.toNanos();
        long total = changesJournaled.get();
        long recent = total - summaryChanges;
        summaryChanges = total;
        if (recent > 0) {
            LOG.info("{} changes made durable in the last {}; {} files copied and {} stored since start; {} waiting",
                    recent, Sizes.duration(SUMMARY), filesCopied.get(), Sizes.bytes(bytesStored.get()), queue.size());
        }
    }

    private void scheduledPoint() {
        Duration interval = config.run().pointInterval();
        try {
            takePoint(List.of("scheduled"));
        } catch (IOException | RuntimeException e) {
            lastPointError = e.getMessage();
            LOG.error("scheduled restore point failed: {}; files keep replicating into the journal; next try in {}",
                    e.getMessage(), Sizes.duration(interval));
        }
        nextPointAt = clock.instant().plus(interval);
    }

    private RestorePoint takePoint(List<String> tags) throws IOException {
        for (TreeState ts : trees.values()) {
            if (ts.mode == Mode.SUSPENDED) {
                throw TidemarkException.failed("tree '" + ts.name() + "' is unavailable (" + ts.alarm + "); "
                        + "no restore point until it is back, so it cannot be recorded as emptied");
            }
        }
        PointTaker.Outcome o = new PointTaker(config, repo, index, lock, clock, Progress.Mode.OFF, opts.sources())
                .take(tags, false);
        lastPoint = o.point();
        lastPointError = null;
        index.flush();
        indexDirty = false;
        for (String p : o.problems()) {
            LOG.warn("restore point {}: {}", o.point().id(), p);
        }
        LOG.info("restore point {} committed: {} files, {} read, {} stored, in {}", o.point().id(),
                o.point().totals().files(), o.point().totals().readFiles(), Sizes.bytes(o.point().totals().storedBytes()),
                Sizes.duration(Duration.ofMillis(o.point().durationMillis())));
        return o.point();
    }

    private RestorePoint latestPoint() throws IOException {
        PointStore points = new PointStore(repo);
        List<String> ids = points.ids();
        return ids.isEmpty() ? null : points.load(ids.get(ids.size() - 1));
    }

    // ---- trees: watch, poll, suspend ----

    private final TreeWatch.Sink sink = new TreeWatch.Sink() {
        @Override
        public void changed(String tree, String path) {
            long pause = pauseListenerNanos;
            if (pause > 0) {
                pauseListenerNanos = 0;
                try {
                    TimeUnit.NANOSECONDS.sleep(pause); // tests: a busy listener, as under a slow disk
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            queue.offer(tree, path);
        }

        @Override
        public void rescan(String tree, String dir) {
            queue.rescan(tree, dir);
        }

        @Override
        public void lost(String tree) {
            watcherLosses.incrementAndGet();
            queue.rescan(tree, FileEntry.ROOT);
        }

        @Override
        public void watchLost(String tree, Throwable cause) {
            submit(() -> {
                TreeState ts = trees.get(tree);
                if (ts != null && ts.mode == Mode.WATCHING) {
                    fallBackToPolling(ts, cause);
                }
                return null;
            });
        }
    };

    private void fallBackToPolling(TreeState ts, Throwable cause) {
        if (ts.watch != null) {
            ts.watch.close();
            ts.watch = null;
        }
        ts.mode = Mode.POLLING;
        ts.nextPoll = System.nanoTime();
        String why = TreeWatch.watchLimit(cause)
                ? "inotify watches are used up; raise them with 'sysctl fs.inotify.max_user_watches=1048576' "
                + "(and in /etc/sysctl.conf) and restart"
                : "the watcher failed (" + cause + ")";
        ts.alarm = null;
        LOG.warn("tree {}: {}; comparing it with the index every {} instead (changes take that long to be copied)",
                ts.name(), why, Sizes.duration(config.run().pollInterval()));
    }

    /** Checks the root and starts following the tree; a missing root suspends it. */
    private void attach(TreeState ts, boolean atStart) {
        if (atStart && Files.isDirectory(ts.cfg.path()) && emptiedRoot(ts)) {
            ts.mode = Mode.SUSPENDED;
            ts.since = clock.instant();
            return;
        }
        Path root;
        FileStat st;
        try {
            root = ts.cfg.path().toRealPath();
            st = FileStat.lstat(root);
        } catch (IOException e) {
            suspend(ts, "root " + ts.cfg.path() + " is missing");
            return;
        }
        if (st.type() != EntryType.DIR) {
            suspend(ts, "root " + ts.cfg.path() + " is not a directory");
            return;
        }
        ts.root = root;
        ts.dev = st.dev();
        ts.inode = st.inode();
        ts.since = clock.instant();
        ts.alarm = null;
        ts.nonFiles.clear();
        if (config.run().forcePolling()) {
            ts.mode = Mode.POLLING;
            ts.nextPoll = System.nanoTime() + config.run().pollInterval().toNanos();
        } else {
            try {
                ts.watch = TreeWatch.start(ts.name(), root, sink);
                ts.mode = Mode.WATCHING;
            } catch (IOException e) {
                ts.mode = Mode.WATCHING;
                fallBackToPolling(ts, e);
                ts.nextPoll = System.nanoTime() + config.run().pollInterval().toNanos();
            }
        }
        if (!atStart) {
            LOG.info("tree {}: root {} is back; comparing it with the index", ts.name(), ts.cfg.path());
            queue.rescan(ts.name(), FileEntry.ROOT);
        }
    }

    private void detach(TreeState ts) {
        if (ts.watch != null) {
            ts.watch.close();
            ts.watch = null;
        }
    }

    private void suspend(TreeState ts, String why) {
        detach(ts);
        boolean already = ts.mode == Mode.SUSPENDED && ts.alarm != null;
        ts.mode = Mode.SUSPENDED;
        ts.alarm = why;
        ts.since = clock.instant();
        queue.dropTree(ts.name());
        if (!already) {
            LOG.error("ALARM tree {}: {}. Nothing is recorded for it, and no restore point is taken, until it is "
                    + "back; its last state stays in the repository", ts.name(), why);
        }
    }

    /**
     * True if the root is an empty directory although the index has files of the tree: an unmounted disk leaves
     * exactly that (its empty mount point). The tree stays suspended; if it really was emptied, stop the daemon and
     * run 'tidemark point --allow-empty'.
     */
    private boolean emptiedRoot(TreeState ts) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(ts.cfg.path())) {
            if (ds.iterator().hasNext()) {
                return false;
            }
        } catch (IOException e) {
            return true;
        }
        try (TreeCursor c = index.cursor(ts.name())) {
            if (!c.atEnd()) {
                String why = "root " + ts.cfg.path() + " is empty but files were recorded in it "
                        + "(unmounted disk?); if it really was emptied, stop the daemon and run "
                        + "'tidemark point --allow-empty'";
                if (!why.equals(ts.alarm)) {
                    ts.alarm = why;
                    LOG.error("ALARM tree {}: {}", ts.name(), why);
                }
                return true;
            }
        }
        return false;
    }

    /** True if the tree's root is still the directory it was when the tree was attached. */
    private boolean rootIntact(TreeState ts) {
        try {
            FileStat st = FileStat.lstat(ts.root);
            return st.type() == EntryType.DIR && st.dev() == ts.dev && st.inode() == ts.inode
                    && ts.cfg.path().toRealPath().equals(ts.root);
        } catch (IOException e) {
            return false;
        }
    }

    /** Once a second: a vanished or replaced root suspends its tree; a root that came back resumes it. */
    private void checkRoots() {
        long now = System.nanoTime();
        for (TreeState ts : trees.values()) {
            if (now - ts.nextRootCheck < 0) {
                continue;
            }
            ts.nextRootCheck = now + ROOT_CHECK.toNanos();
            if (ts.mode == Mode.SUSPENDED) {
                if (Files.isDirectory(ts.cfg.path()) && !emptiedRoot(ts)) {
                    attach(ts, false);
                }
            } else if (!rootIntact(ts)) {
                suspend(ts, "root " + ts.cfg.path() + " vanished or was replaced (unmounted or failed disk?)");
            }
        }
    }

    // ---- reconcile: compare a subtree with the index ----

    private boolean excludedPath(TreeState ts, String rel) {
        if (rel.equals(FileEntry.ROOT)) {
            return false;
        }
        int from = 0;
        while (true) {
            int slash = rel.indexOf('/', from);
            String prefix = slash < 0 ? rel : rel.substring(0, slash);
            String name = prefix.substring(prefix.lastIndexOf('/') + 1);
            if (ts.excludes.excluded(prefix, name)) {
                return true;
            }
            if (slash < 0) {
                return false;
            }
            from = slash + 1;
        }
    }

    /**
     * Walks {@code dir} of a tree alongside the index's records below it, in path order, and applies whatever
     * differs: files whose stat does not match their record, files and directories that are gone, directories and
     * symlinks that are new or changed.
     */
    private void reconcile(String tree, String dir) throws IOException {
        TreeState ts = trees.get(tree);
        if (ts == null || ts.mode == Mode.SUSPENDED) {
            return;
        }
        if (excludedPath(ts, dir)) {
            return;
        }
        long t0 = System.nanoTime();
        Path start = dir.equals(FileEntry.ROOT) ? ts.root : ts.root.resolve(dir);
        List<String> work = new ArrayList<>();
        work.add(dir); // the directory itself: new, changed or gone
        long[] seen = new long[1];
        try (TreeCursor cursor = index.cursor(tree, dir)) {
            List<byte[]> stale = new ArrayList<>();
            Set<String> seenDirs = new HashSet<>();
            walk(ts, start, dir, cursor, stale, work, seenDirs, seen);
            cursor.finish(stale);
            if (dir.equals(FileEntry.ROOT) && seen[0] == 0 && !stale.isEmpty()) {
                suspend(ts, "root " + ts.cfg.path() + " is gone or empty but files were recorded in it (unmounted disk?); "
                        + "if it really was emptied, stop the daemon and run 'tidemark point --allow-empty'");
                return;
            }
            for (byte[] k : stale) {
                work.add(cursor.pathOf(k));
            }
            // Directories and symlinks recorded below dir that the walk did not meet are gone.
            for (String p : under(ts.nonFiles, dir)) {
                if (!seenDirs.contains(p)) {
                    work.add(p);
                }
            }
            flushWork(tree, work, true);
        }
        LOG.debug("tree {}: compared {} ({} entries) with the index in {} ms", tree, dir, seen[0],
                (System.nanoTime() - t0) / 1_000_000);
    }

    private static List<String> under(NavigableMap<String, FileEntry> map, String dir) {
        List<String> out = new ArrayList<>();
        String prefix = dir + "/";
        for (String k : map.tailMap(dir, false).keySet()) {
            if (!dir.equals(FileEntry.ROOT) && !k.startsWith(prefix)) {
                break;
            }
            out.add(k);
        }
        return out;
    }

    private void flushWork(String tree, List<String> work, boolean force) throws IOException {
        if (work.isEmpty() || (!force && work.size() < MAX_BATCH)) {
            return;
        }
        long now = System.nanoTime();
        List<ChangeQueue.Change> batch = new ArrayList<>(work.size());
        for (String p : work) {
            batch.add(new ChangeQueue.Change(tree, p, now, now));
        }
        work.clear();
        apply(batch);
    }

    private void walk(TreeState ts, Path dir, String rel, TreeCursor cursor, List<byte[]> stale,
                      List<String> work, Set<String> seenNonFiles, long[] seen) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                names.add(p.getFileName().toString());
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return;
        } catch (IOException e) {
            LOG.warn("tree {}: {}: cannot list directory: {}", ts.name(), rel, e.getMessage());
            return;
        }
        names.sort(PathOrder::compareNames);
        for (String name : names) {
            String childRel = rel.equals(FileEntry.ROOT) ? name : rel + "/" + name;
            if (ts.excludes.excluded(childRel, name)) {
                continue;
            }
            Path child = dir.resolve(name);
            FileStat st;
            try {
                st = FileStat.lstat(child);
            } catch (IOException e) {
                continue;
            }
            seen[0]++;
            if (st.type() == null) {
                continue;
            }
            switch (st.type()) {
                case FILE -> {
                    FileRecord rec = cursor.advance(childRel, stale);
                    if (rec == null || !rec.trusted()
                            || !rec.matches(st.size(), st.mtimeNanos(), st.ctimeNanos(), st.inode())) {
                        work.add(childRel);
                    }
                }
                case DIR, SYMLINK -> {
                    seenNonFiles.add(childRel);
                    FileEntry known = ts.nonFiles.get(childRel);
                    if (known == null || !sameMeta(known, st)) {
                        work.add(childRel);
                    }
                    if (st.type() == EntryType.DIR) {
                        walk(ts, child, childRel, cursor, stale, work, seenNonFiles, seen);
                    }
                }
                default -> throw new AssertionError(st.type());
            }
            if (work.size() >= MAX_BATCH) {
                flushWork(ts.name(), work, false);
            }
        }
    }

    private static boolean sameMeta(FileEntry e, FileStat st) {
        return e.type() == st.type() && e.mtimeNanos() == st.mtimeNanos() && e.mode() == st.mode()
                && e.uid() == st.uid() && e.gid() == st.gid() && e.inode() == st.inode()
                && e.ctimeNanos() == st.ctimeNanos();
    }

    // ---- apply: make a batch of changes durable ----

    /** What one change turned out to be. */
    private record Outcome(ChangeQueue.Change change, long time, FileEntry put, boolean delete,
                           Future<ContentReader.Result> read, FileRecord before) {
    }

    /** An index record to write once the batch is durable. */
    private record Record(String tree, String path, FileRecord record) {
    }

    private void apply(List<ChangeQueue.Change> batch) throws IOException {
        List<Outcome> outcomes = new ArrayList<>(batch.size());
        Set<String> deletingTrees = new HashSet<>();
        for (ChangeQueue.Change c : batch) {
            TreeState ts = trees.get(c.tree());
            if (ts == null || ts.mode == Mode.SUSPENDED || excludedPath(ts, c.path())) {
                continue;
            }
            Path p = c.path().equals(FileEntry.ROOT) ? ts.root : ts.root.resolve(c.path());
            long time = FileEntry.nanos(clock.instant());
            FileStat st;
            try {
                st = FileStat.lstat(p);
            } catch (NoSuchFileException | NotDirectoryException e) {
                outcomes.add(new Outcome(c, time, null, true, null, null));
                deletingTrees.add(c.tree());
                continue;
            } catch (FileSystemException e) {
                LOG.warn("tree {}: {}: cannot stat: {}", c.tree(), c.path(), e.getMessage());
                continue;
            }
            if (st.type() == null) {
                continue; // a socket, fifo or device: not backed up
            }
            switch (st.type()) {
                case FILE -> {
                    FileRecord rec = index.getFile(c.tree(), c.path());
                    Future<ContentReader.Result> f = pool.submit(() -> reader.read(p, c.path(), st, rec));
                    outcomes.add(new Outcome(c, time, null, false, f, rec));
                }
                case DIR -> {
                    FileEntry e = ContentReader.entry(c.path(), st, null, null);
                    FileEntry known = ts.nonFiles.get(c.path());
                    if (known == null || !sameMeta(known, st)) {
                        outcomes.add(new Outcome(c, time, e, false, null, null));
                    }
                }
                case SYMLINK -> {
                    String target;
                    try {
                        target = Files.readSymbolicLink(p).toString();
                    } catch (IOException e) {
                        queue.offer(c.tree(), c.path());
                        continue;
                    }
                    FileEntry e = ContentReader.entry(c.path(), st, null, target);
                    FileEntry known = ts.nonFiles.get(c.path());
                    if (known == null || !sameMeta(known, st) || !target.equals(known.target())) {
                        outcomes.add(new Outcome(c, time, e, false, null, null));
                    }
                }
                default -> throw new AssertionError(st.type());
            }
        }
        // A directory's mtime changes with its entries, but inotify reports no event for the directory itself:
        // look at the parents of everything in the batch.
        Set<String> inBatch = new HashSet<>();
        for (ChangeQueue.Change c : batch) {
            inBatch.add(c.tree() + '\0' + c.path());
        }
        Set<String> parents = new java.util.LinkedHashSet<>();
        for (Outcome o : outcomes) {
            String p = o.change().path();
            if (!p.equals(FileEntry.ROOT)) {
                int slash = p.lastIndexOf('/');
                String parent = slash < 0 ? FileEntry.ROOT : p.substring(0, slash);
                if (!inBatch.contains(o.change().tree() + '\0' + parent)) {
                    parents.add(o.change().tree() + '\0' + parent);
                }
            }
        }
        for (String tp : parents) {
            int z = tp.indexOf('\0');
            TreeState ts = trees.get(tp.substring(0, z));
            String dir = tp.substring(z + 1);
            try {
                FileStat st = FileStat.lstat(dir.equals(FileEntry.ROOT) ? ts.root : ts.root.resolve(dir));
                FileEntry known = ts.nonFiles.get(dir);
                if (st.type() == EntryType.DIR && (known == null || !sameMeta(known, st))) {
                    long now = System.nanoTime();
                    outcomes.add(new Outcome(new ChangeQueue.Change(ts.name(), dir, now, now),
                            FileEntry.nanos(clock.instant()), ContentReader.entry(dir, st, null, null), false, null,
                            null));
                }
            } catch (IOException e) {
                queue.offer(ts.name(), dir); // gone too: its own change will say so
            }
        }
        // A root that vanished under the batch (rm -rf, unmount) turns its deletions into an alarm, not a record.
        for (String tree : deletingTrees) {
            TreeState ts = trees.get(tree);
            if (!rootIntact(ts)) {
                suspend(ts, "root " + ts.cfg.path() + " vanished or was replaced (unmounted or failed disk?)");
            }
        }
        List<JournalEntry> entries = new ArrayList<>();
        List<Record> records = new ArrayList<>();
        List<String[]> deletes = new ArrayList<>();
        List<Outcome> done = new ArrayList<>();
        List<String> said = new ArrayList<>(); // per-file lines, logged once they are durable
        long copied = 0;
        long stored = 0;
        for (Outcome o : outcomes) {
            String tree = o.change().tree();
            TreeState ts = trees.get(tree);
            if (o.read() != null) {
                ContentReader.Result r = result(o);
                if (r == null) {
                    queue.offer(tree, o.change().path()); // gone or replaced while read: look again
                    continue;
                }
                if (r.problem() != null) {
                    LOG.warn("tree {}: {}; will try again when it settles", tree, r.problem());
                    continue;
                }
                if (r.record() == null) {
                    continue; // unchanged: a duplicate event
                }
                FileRecord b = o.before();
                FileRecord a = r.record();
                if (b != null && b.key().equals(a.key()) && b.matches(a.size(), a.mtimeNanos(), a.ctimeNanos(), a.inode())) {
                    records.add(new Record(tree, o.change().path(), a)); // read again only to trust the record
                    continue;
                }
                entries.add(JournalEntry.put(o.time(), tree, r.entry()));
                records.add(new Record(tree, o.change().path(), r.record()));
                copied += r.newContent() ? 1 : 0;
                stored += r.storedBytes();
                done.add(o);
                if (opts.verbose()) {
                    said.add(tree + ":" + o.change().path() + (r.newContent() ? " copied (" : " recorded (")
                            + Sizes.bytes(r.entry().size()) + (r.newContent() ? ", new content)"
                            : ", content already stored)"));
                }
            } else if (o.delete()) {
                if (ts.mode == Mode.SUSPENDED) {
                    continue; // dropped with the alarm
                }
                entries.add(JournalEntry.delete(o.time(), tree, o.change().path()));
                deletes.add(new String[] {tree, o.change().path()});
                done.add(o);
                if (opts.verbose()) {
                    said.add(tree + ":" + o.change().path() + " deleted");
                }
            } else {
                entries.add(JournalEntry.put(o.time(), tree, o.put()));
                done.add(o);
                if (opts.verbose()) {
                    said.add(tree + ":" + o.change().path() + (o.put().isDir() ? " directory" : " symlink"));
                }
            }
        }
        if (entries.isEmpty()) {
            if (!records.isEmpty()) {
                try (RecordBatch b = index.batch()) {
                    for (Record r : records) {
                        b.putFile(r.tree(), r.path(), r.record());
                    }
                    b.apply();
                }
                indexDirty = true;
            }
            return;
        }
        packs.flush(); // 1. the content is durable
        String segment = journal.append(entries); // 2. the changes are durable
        // 3. the index learns of them
        try (RecordBatch b = index.batch()) {
            for (Record r : records) {
                b.putFile(r.tree(), r.path(), r.record());
            }
            for (String[] d : deletes) {
                b.deleteTree(d[0], d[1]);
            }
            b.apply();
        }
        indexDirty = true;
        for (String line : said) {
            LOG.info("{}", line);
        }
        for (JournalEntry e : entries) {
            TreeState ts = trees.get(e.tree());
            if (e.isDelete()) {
                if (e.path().equals(FileEntry.ROOT)) {
                    ts.nonFiles.clear();
                } else {
                    ts.nonFiles.remove(e.path());
                    for (String k : under(ts.nonFiles, e.path())) {
                        ts.nonFiles.remove(k);
                    }
                }
            } else if (!e.entry().isFile()) {
                ts.nonFiles.put(e.path(), e.entry());
            }
        }
        Instant durable = clock.instant();
        lastDurable = durable;
        long nowNanos = System.nanoTime();
        synchronized (latencies) {
            for (Outcome o : done) {
                latencies[(int) (latencyCount++ % LATENCY_SAMPLES)] = nowNanos - o.change().first();
            }
        }
        changesJournaled.addAndGet(entries.size());
        filesCopied.addAndGet(copied);
        bytesStored.addAndGet(stored);
        segments.incrementAndGet();
        LOG.debug("journal segment {}: {} changes, {} files copied, {} stored", segment, entries.size(), copied,
                Sizes.bytes(stored));
    }

    private static ContentReader.Result result(Outcome o) throws IOException {
        try {
            return o.read().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while copying");
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(t);
        }
    }

    // ---- status ----

    /** A snapshot of what the daemon is doing, for {@code tidemark status}. Any thread. */
    public Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("pid", ProcessHandle.current().pid());
        s.put("since", startedAt.toString());
        List<Map<String, Object>> ts = new ArrayList<>();
        boolean healthy = true;
        for (TreeState t : trees.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", t.name());
            m.put("path", t.cfg.path().toString());
            m.put("mode", t.mode.name().toLowerCase(java.util.Locale.ROOT));
            m.put("since", String.valueOf(t.since));
            if (t.alarm != null) {
                m.put("alarm", t.alarm);
                healthy = false;
            }
            ts.add(m);
        }
        s.put("healthy", healthy);
        s.put("trees", ts);
        s.put("waiting", queue.size());
        s.put("changesJournaled", changesJournaled.get());
        s.put("filesCopied", filesCopied.get());
        s.put("bytesStored", bytesStored.get());
        s.put("journalSegments", segments.get());
        s.put("watcherOverflows", watcherLosses.get());
        s.put("lastDurable", String.valueOf(lastDurable));
        long[] lat;
        synchronized (latencies) {
            lat = Arrays.copyOf(latencies, (int) Math.min(latencyCount, LATENCY_SAMPLES));
        }
        if (lat.length > 0) {
            Arrays.sort(lat);
            s.put("latencyP50Millis", lat[(int) Math.floor(0.50 * (lat.length - 1))] / 1_000_000.0);
            s.put("latencyP99Millis", lat[(int) Math.floor(0.99 * (lat.length - 1))] / 1_000_000.0);
            s.put("latencySamples", lat.length);
        }
        RestorePoint p = lastPoint;
        s.put("lastPoint", p == null ? null : p.id());
        s.put("nextPoint", String.valueOf(nextPointAt));
        if (lastPointError != null) {
            s.put("lastPointError", lastPointError);
        }
        s.put("residentBytes", residentBytes());
        return s;
    }

    /** VmRSS of this process, or -1 where /proc is not there. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private String describeTrees() {
        List<String> out = new ArrayList<>();
        for (TreeState ts : trees.values()) {
            out.add(ts.name() + " (" + ts.mode.name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        return String.join(", ", out);
    }

    /** For tests: the mode of a tree. */
    public Mode mode(String tree) {
        return trees.get(tree).mode;
    }

    /** For tests: the next event's listener call stalls this long, so events pile up behind it and overflow. */
    void pauseListenerOnce(Duration d) {
        pauseListenerNanos = d.toNanos();
    }

    /** For tests: the tree's watch stopped working, as when inotify watches run out. */
    void simulateWatchLost(String tree, Throwable cause) {
        sink.watchLost(tree, cause);
    }
}
