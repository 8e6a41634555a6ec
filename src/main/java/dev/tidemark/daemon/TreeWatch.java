package dev.tidemark.daemon;

import dev.tidemark.point.FileEntry;
import io.methvin.watcher.DirectoryChangeEvent;
import io.methvin.watcher.DirectoryChangeListener;
import io.methvin.watcher.DirectoryWatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import dev.tidemark.util.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one tree with inotify (through directory-watcher) and turns what it reports into work for the daemon.
 *
 * <p>Measured behaviour of directory-watcher 0.19.1 on Linux, and what is done about it: its file hashing reads every
 * file at start-up, so it is off; an inotify overflow arrives as an exception (a NullPointerException), never as an
 * event, and the files behind it are never reported, so every exception rescans the whole tree; it reports duplicate
 * events, renames as delete + create, and can report stale paths after a directory moves out, so an event only says
 * "look at this path" and the daemon checks the file system before acting; a new directory is rescanned because
 * files created in it before its watch was added are never reported. When inotify watches run out
 * ({@code fs.inotify.max_user_watches}) the tree is handed back to the daemon to poll.
 */
final class TreeWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TreeWatch.class);

    /** Where a watch's findings go. Called on the watcher's thread: implementations only enqueue. */
    interface Sink {
        void changed(String tree, String path);

        void rescan(String tree, String dir);

        /** Events were lost (an overflow, a watcher error): the whole tree must be compared again. */
        void lost(String tree);

        /** The watch stopped working (inotify watches ran out, or the watcher died): poll the tree instead. */
        void watchLost(String tree, Throwable cause);
    }

    private final String tree;
    private final Path root;
    private final DirectoryWatcher watcher;
    private final ExecutorService thread;
    private volatile boolean closed;

    private TreeWatch(String tree, Path root, DirectoryWatcher watcher, ExecutorService thread) {
        this.tree = tree;
        this.root = root;
        this.watcher = watcher;
        this.thread = thread;
    }

    /** True if {@code e} (or a cause) says the inotify watch limit was hit. */
    static boolean watchLimit(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains("inotify watches")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Starts watching {@code root} (a real path). Throws if the watch cannot be set up; {@link #watchLimit} tells
     * whether polling is the answer.
     */
    static TreeWatch start(String tree, Path root, Sink sink) throws IOException {
        DirectoryChangeListener listener = new DirectoryChangeListener() {
            @Override
            public void onEvent(DirectoryChangeEvent e) {
                if (e.eventType() == DirectoryChangeEvent.EventType.OVERFLOW) {
                    sink.lost(tree);
                    return;
                }
                Path p = e.path();
                if (p == null || !p.startsWith(root)) {
                    sink.rescan(tree, FileEntry.ROOT); // a stale path from a directory moved away: look again
                    return;
                }
                String rel = relative(root, p);
                sink.changed(tree, rel);
                if (e.eventType() == DirectoryChangeEvent.EventType.CREATE && e.isDirectory()) {
                    sink.rescan(tree, rel); // its files may have been created before its watch was added
                }
            }

            @Override
            public void onException(Exception e) {
                if (watchLimit(e)) {
                    sink.watchLost(tree, e);
                } else {
                    // An overflow shows up here (as a NullPointerException): events were lost, look at everything.
                    LOG.debug("tree {}: watcher reported {}; rescanning the tree", tree, e.toString());
                    sink.lost(tree);
                }
            }
        };
        DirectoryWatcher w = DirectoryWatcher.builder().path(root).fileHashing(false).listener(listener)
                .logger(LoggerFactory.getLogger("dev.tidemark.daemon.watcher")).build();
        ExecutorService thread = Executors.newSingleThreadExecutor(Threads.daemon("tidemark-watch-" + tree, false));
        // Registration happens here, synchronously; a failure comes back as a future that has already failed.
        CompletableFuture<Void> running = w.watchAsync(thread);
        if (running.isCompletedExceptionally()) {
            Throwable cause;
            try {
                running.join();
                cause = new IOException("watcher failed");
            } catch (CompletionException | CancellationException e) {
                cause = e.getCause() != null ? e.getCause() : e;
            }
            thread.shutdownNow();
            w.close();
            throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        }
        TreeWatch tw = new TreeWatch(tree, root, w, thread);
        running.whenComplete((v, t) -> {
            if (!tw.closed) {
                sink.watchLost(tree, t != null ? t : new IOException("the watcher stopped"));
            }
        });
        return tw;
    }

    static String relative(Path root, Path p) {
        if (p.equals(root)) {
            return FileEntry.ROOT;
        }
        String s = root.relativize(p).toString();
        return s.isEmpty() ? FileEntry.ROOT : s;
    }

    /** How long closing may wait for the JDK's watch service. */
    static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(10);

    /**
     * Stops watching. Bounded: the JDK's watch service waits, without a limit, for its poller thread to acknowledge
     * the close, and that thread is gone if a read of the inotify descriptor ever failed (seen under injected short
     * reads): a daemon must stop all the same, so after {@link #CLOSE_WAIT} the close is abandoned with a warning
     * (the process is about to end, or the tree is being dropped).
     */
    @Override
    public void close() {
        closed = true;
        Thread closer = new Thread(() -> {
            try {
                watcher.close();
            } catch (IOException | RuntimeException e) {
                LOG.debug("tree {}: closing the watcher of {}: {}", tree, root, e.toString());
            }
        }, "tidemark-unwatch-" + tree);
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            LOG.warn("tree {}: the file system's watch service did not close within {}; going on without it", tree,
                    dev.tidemark.util.Sizes.duration(CLOSE_WAIT));
        }
        thread.shutdownNow();
    }
}
