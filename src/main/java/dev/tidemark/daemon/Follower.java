package dev.tidemark.daemon;

import dev.tidemark.config.Config;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.daemon.Daemon.Mode;
import dev.tidemark.index.Index;
import dev.tidemark.index.TreeCursor;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.scan.FileStat;
import dev.tidemark.util.Sizes;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the daemon follows its trees: inotify watches (or polling where they fail), and the roots themselves. A root
 * that vanishes, is replaced (another device or inode) or turns into an empty directory while files were recorded
 * in it (an unmounted disk's mount point) suspends its tree: an alarm, nothing recorded for it, until it is back.
 *
 * <p>Watcher threads call the {@link #sink} only to enqueue; everything else runs on the daemon's worker.
 */
final class Follower {
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);
    static final Duration ROOT_CHECK = Duration.ofSeconds(1);

    private final Config config;
    private final Index index;
    private final Clock clock;
    private final ChangeQueue queue;
    /** Runs a task on the worker (a watch that died is handled there). */
    private final Consumer<Runnable> onWorker;
    private final Map<String, FollowedTree> trees = new LinkedHashMap<>();
    private final AtomicLong watcherLosses = new AtomicLong();
    private volatile long pauseListenerNanos;

    Follower(Config config, Index index, Clock clock, ChangeQueue queue, Consumer<Runnable> onWorker) {
        this.config = config;
        this.index = index;
        this.clock = clock;
        this.queue = queue;
        this.onWorker = onWorker;
        for (TreeConfig t : config.trees()) {
            trees.put(t.name(), new FollowedTree(t, config.exclude()));
        }
    }

    FollowedTree tree(String name) {
        return trees.get(name);
    }

    Collection<FollowedTree> all() {
        return trees.values();
    }

    long watcherLosses() {
        return watcherLosses.get();
    }

    boolean allUp() {
        return trees.values().stream().allMatch(t -> t.mode != Mode.SUSPENDED);
    }

    /** Queues a comparison of every followed tree with the index. */
    void rescanAll() {
        for (FollowedTree ts : trees.values()) {
            if (ts.mode != Mode.SUSPENDED) {
                queue.rescan(ts.name(), FileEntry.ROOT);
            }
        }
    }

    /** For tests: the next event's listener call stalls this long, so events pile up behind it and overflow. */
    void pauseListenerOnce(Duration d) {
        pauseListenerNanos = d.toNanos();
    }

    final TreeWatch.Sink sink = new TreeWatch.Sink() {
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
            onWorker.accept(() -> {
                FollowedTree ts = trees.get(tree);
                if (ts != null && ts.mode == Mode.WATCHING) {
                    fallBackToPolling(ts, cause);
                }
            });
        }
    };

    private void fallBackToPolling(FollowedTree ts, Throwable cause) {
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
    void attach(FollowedTree ts, boolean atStart) {
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
        // ts.nonFiles stays: it is what the repository recorded, and nothing was recorded while suspended.
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

    void detach(FollowedTree ts) {
        if (ts.watch != null) {
            ts.watch.close();
            ts.watch = null;
        }
    }

    void suspend(FollowedTree ts, String why) {
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
    private boolean emptiedRoot(FollowedTree ts) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(ts.cfg.path())) {
            if (ds.iterator().hasNext()) {
                return false;
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
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
    boolean rootIntact(FollowedTree ts) {
        try {
            FileStat st = FileStat.lstat(ts.root);
            return st.type() == EntryType.DIR && st.dev() == ts.dev && st.inode() == ts.inode
                    && ts.cfg.path().toRealPath().equals(ts.root);
        } catch (IOException e) {
            return false;
        }
    }

    /** Once a second: a vanished or replaced root suspends its tree; a root that came back resumes it. */
    void checkRoots() {
        long now = System.nanoTime();
        for (FollowedTree ts : trees.values()) {
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

    /** Queues a comparison of every polled tree whose poll is due. */
    void pollDue(long now) {
        for (FollowedTree ts : trees.values()) {
            if (ts.mode == Mode.POLLING && now - ts.nextPoll >= 0) {
                queue.rescan(ts.name(), FileEntry.ROOT);
                ts.nextPoll = now + config.run().pollInterval().toNanos();
            }
        }
    }
}
