package dev.tidemark.daemon;

import dev.tidemark.index.FileRecord;
import dev.tidemark.index.Index;
import dev.tidemark.index.TreeCursor;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PathOrder;
import dev.tidemark.scan.DirectoryListing;
import dev.tidemark.scan.FileStat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import dev.tidemark.util.Problems;
import dev.tidemark.util.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares a subtree with the index (after an overflow, a new directory, a poll, the hourly safety net, the start-up
 * catch-up): walks it alongside the index's records below it, in path order, and reports whatever differs: files
 * whose stat does not match their record, files and directories that are gone, directories and symlinks that are
 * new or changed. A difference only says "look here": the {@link BatchWriter} looks again before recording.
 *
 * <p>At start-up the comparison runs on the worker and its differences are applied at once ({@link #reconcile}).
 * While the daemon runs, comparisons run on a thread of their own ({@link #inBackground}) so that a walk of a large
 * tree never holds up replication: the index is read through its own snapshot, the recorded directories and
 * symlinks from a copy taken on the worker, and the differences go into the {@link ChangeQueue} like events.
 */
final class Reconciler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    /** A background comparison waits while this many changes are queued: its memory stays bounded. */
    private static final int QUEUE_HIGH = 20_000;

    private final Follower follower;
    private final Index index;
    private final BatchWriter batches;
    private final ChangeQueue queue;
    private final java.util.function.Consumer<Runnable> onWorker;
    private final java.util.concurrent.ExecutorService walker =
            java.util.concurrent.Executors.newSingleThreadExecutor(Threads.daemon("tidemark-reconcile", false));
    private final java.util.Deque<java.util.concurrent.Future<?>> running = new java.util.ArrayDeque<>();
    /**
     * Comparisons submitted and not yet started (tree NUL dir). Only these cover a new request for the same
     * directory: one already running may have listed the directory before the files the request is about appeared.
     */
    private final Set<String> waiting = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** @param onWorker runs a task on the worker (what only the worker may do: suspending a tree) */
    Reconciler(Follower follower, Index index, BatchWriter batches, ChangeQueue queue,
               java.util.function.Consumer<Runnable> onWorker) {
        this.follower = follower;
        this.index = index;
        this.batches = batches;
        this.queue = queue;
        this.onWorker = onWorker;
    }

    /** Where a comparison's differences go. */
    private interface Sink {
        void differs(String path) throws IOException;
    }

    /** Compares {@code dir} now, on the worker, and applies the differences at once. Worker only. */
    void reconcile(String tree, String dir) throws IOException {
        FollowedTree ts = follower.tree(tree);
        if (ts == null || ts.mode == Daemon.Mode.SUSPENDED || ts.excluded(dir)) {
            return;
        }
        List<String> work = new ArrayList<>();
        Sink sink = p -> {
            work.add(p);
            if (work.size() >= Daemon.MAX_BATCH) {
                apply(tree, work);
            }
        };
        String suspend = compare(ts, dir, ts.nonFiles, sink);
        if (suspend != null) {
            follower.suspend(ts, suspend);
            return;
        }
        apply(tree, work);
    }

    /**
     * Compares {@code dir} on the comparison thread; its differences are queued as changes. A comparison of the same
     * directory still waiting covers this one; one already running does not (it may have listed the directory before
     * the files this request is about were made: an overflow during a burst), so another is queued behind it.
     * Worker only.
     */
    void inBackground(String tree, String dir) {
        FollowedTree ts = follower.tree(tree);
        if (closed || ts == null || ts.mode == Daemon.Mode.SUSPENDED || ts.excluded(dir)
                || !waiting.add(tree + '\0' + dir)) {
            return;
        }
        java.util.NavigableMap<String, FileEntry> known = new java.util.TreeMap<>(PathOrder::compare);
        FileEntry self = ts.nonFiles.get(dir);
        if (self != null) {
            known.put(dir, self);
        }
        for (String p : ts.nonFilesUnder(dir)) {
            known.put(p, ts.nonFiles.get(p));
        }
        Sink sink = p -> {
            while (queue.size() > QUEUE_HIGH && !closed) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("comparison stopped");
                }
            }
            queue.offer(tree, p);
        };
        synchronized (running) {
            running.removeIf(java.util.concurrent.Future::isDone);
            running.add(walker.submit(() -> {
                waiting.remove(tree + '\0' + dir); // from here on, a new request needs a comparison of its own
                try {
                    String suspend = compare(ts, dir, known, sink);
                    if (suspend != null) {
                        onWorker.accept(() -> follower.suspend(ts, suspend));
                    }
                } catch (IOException | RuntimeException e) {
                    if (!closed) {
                        LOG.warn("tree {}: comparing {} with the index failed ({}); the next comparison will try "
                                + "again", tree, dir, Problems.reason(e));
                        LoggerFactory.getLogger("tidemark.trace").debug("comparison failed", e);
                    }
                }
            }));
        }
    }

    /**
     * Waits up to {@code millis} for the comparisons under way or waiting to finish; true once they all have (their
     * differences are in the queue then: a point takes them in before it is sealed). The caller drains the queue
     * between calls: a comparison waits while the queue is full. Worker only.
     */
    boolean awaitBackground(long millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (true) {
            java.util.concurrent.Future<?> f;
            synchronized (running) {
                f = running.peek();
            }
            if (f == null) {
                return true;
            }
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for a comparison");
            } catch (java.util.concurrent.ExecutionException e) {
                // reported by the comparison itself
            }
            synchronized (running) {
                running.remove(f);
            }
        }
    }

    /** Stops the comparisons and waits for the thread: it reads the index, which the caller closes next. */
    @Override
    public void close() {
        closed = true;
        walker.shutdownNow();
        Threads.awaitTermination(walker, "a comparison of a tree with the index");
    }

    /**
     * Walks {@code dir} beside the index and {@code known} (the recorded directories and symlinks), reporting every
     * difference to {@code sink}; returns why the tree must be suspended instead (its root is empty or gone but
     * files were recorded in it), else null.
     */
    private String compare(FollowedTree ts, String dir, java.util.NavigableMap<String, FileEntry> known, Sink sink)
            throws IOException {
        long t0 = System.nanoTime();
        Path start = dir.equals(FileEntry.ROOT) ? ts.root : ts.root.resolve(dir);
        List<String> gone = new ArrayList<>();
        long[] seen = new long[1];
        Set<String> seenDirs = new HashSet<>();
        try (TreeCursor cursor = index.cursor(ts.name(), dir)) {
            List<byte[]> stale = new ArrayList<>();
            sink.differs(dir); // the directory itself: new, changed or gone
            dev.tidemark.util.Threads.onDeepStack("tidemark-reconcile-" + ts.name(),
                    () -> walk(ts, start, null, dir, cursor, stale, known, sink, seenDirs, seen));
            cursor.finish(stale);
            if (dir.equals(FileEntry.ROOT) && seen[0] == 0 && !stale.isEmpty()) {
                return "root " + ts.cfg.path() + " is gone or empty but files were recorded in it "
                        + "(unmounted disk?); if it really was emptied, stop the daemon and run "
                        + "'tidemark point --allow-empty'";
            }
            for (byte[] k : stale) {
                gone.add(cursor.pathOf(k));
            }
        }
        // Directories and symlinks recorded below dir that the walk did not meet are gone.
        String prefix = dir + "/";
        for (String p : known.tailMap(dir, false).keySet()) {
            if (!dir.equals(FileEntry.ROOT) && !p.startsWith(prefix)) {
                break;
            }
            if (!seenDirs.contains(p)) {
                gone.add(p);
            }
        }
        for (String p : gone) {
            sink.differs(p);
        }
        LOG.debug("tree {}: compared {} ({} entries) with the index in {} ms", ts.name(), dir, seen[0],
                (System.nanoTime() - t0) / 1_000_000);
        return null;
    }

    private void apply(String tree, List<String> work) throws IOException {
        if (work.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        List<ChangeQueue.Change> batch = new ArrayList<>(work.size());
        for (String p : work) {
            batch.add(new ChangeQueue.Change(tree, p, now, now));
        }
        work.clear();
        batches.apply(batch);
    }

    /**
     * Moves the cursor past the records under a directory that cannot be listed, without counting them as gone:
     * nothing can be known about them now, so what was recorded stays.
     */
    private static void keepRecordsUnder(String rel, TreeCursor cursor, List<byte[]> stale) {
        if (!rel.equals(FileEntry.ROOT)) {
            cursor.advance(rel, stale); // records before it are gone as usual
        }
        cursor.advance((rel.equals(FileEntry.ROOT) ? "" : rel + "/") + LAST, new ArrayList<>());
    }

    /** The highest code point: a path with it as its last name sorts after every path under the same directory. */
    private static final String LAST = new String(Character.toChars(Character.MAX_CODE_POINT));

    private void walk(FollowedTree ts, Path dir, FileStat dirStat, String rel, TreeCursor cursor, List<byte[]> stale,
                      java.util.NavigableMap<String, FileEntry> known, Sink sink, Set<String> seenNonFiles,
                      long[] seen) throws IOException {
        if (closed) {
            throw new java.io.InterruptedIOException("the daemon is stopping");
        }
        List<DirectoryListing.Child> children;
        try {
            children = DirectoryListing.list(dir, dirStat, rel, ts.excludes, (p, why) -> LOG.debug("tree {}: {}: {}",
                    ts.name(), p, why));
        } catch (IOException e) {
            // Left out, not a reason to stop (an EACCES directory, @Recycle, lost+found): what was recorded under it
            // stays recorded, since nothing can be looked at there, and status shows the alarm.
            String reason = Problems.reason(e);
            if (ts.markUnreadable(rel, reason)) {
                LOG.warn("tree {}: {}: cannot list directory ({}); left out until it can be read ('tidemark "
                        + "status' shows it)", ts.name(), rel, reason);
            }
            keepRecordsUnder(rel, cursor, stale);
            return;
        }
        ts.markReadable(rel);
        for (DirectoryListing.Child c : children) {
            String childRel = c.rel();
            Path child = c.path();
            FileStat st = c.stat();
            seen[0]++;
            if (st.type() == null) {
                dev.tidemark.scan.SpecialFiles.skipped(ts.name(), childRel, child);
                continue;
            }
            switch (st.type()) {
                case FILE -> {
                    FileRecord rec = cursor.advance(childRel, stale);
                    if (rec == null || !rec.trusted()
                            || !rec.matches(st.size(), st.mtimeNanos(), st.ctimeNanos(), st.inode())) {
                        sink.differs(childRel);
                    }
                }
                case DIR, SYMLINK -> {
                    seenNonFiles.add(childRel);
                    FileEntry was = known.get(childRel);
                    if (was == null || !BatchWriter.sameMeta(was, st)) {
                        sink.differs(childRel);
                    }
                    if (st.type() == EntryType.DIR) {
                        walk(ts, child, st, childRel, cursor, stale, known, sink, seenNonFiles, seen);
                    }
                }
                default -> throw new AssertionError(st.type());
            }
        }
    }
}
