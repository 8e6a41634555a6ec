package dev.tidemark.restore;

import dev.tidemark.point.FileEntry;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.BlobReader;
import dev.tidemark.repo.DamageException;
import dev.tidemark.util.Problems;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of one tree's restore, written by a pool of threads. They are gathered in windows, located, sorted by
 * the pack and offset of their content, and handed out by runs ({@link BlobReader#runEnds}): neighbouring files of
 * a pack are written by one task from one read of their span, each pack is read front to back, and only a few are
 * open at a time. Memory stays flat: a window at a time, and at most 64 runs per thread waiting.
 *
 * <p>The first window is {@value #FIRST_WINDOW} files, so that writing starts soon; the next ones double up to
 * {@value #WINDOW}. A point taken by several threads interleaves neighbouring files' content in its packs, and a
 * larger window finds more of it in one span: a restore of 60,000 files from S3 made ~150 GETs instead of ~200.
 *
 * <p>A file that fails is reported in {@link Failures} and the others go on; {@link #finish} with {@code false}
 * (the walk failed) stops the pool and drops what is still queued.
 */
final class FileWindows {
    private static final Logger LOG = LoggerFactory.getLogger(FileWindows.class);
    static final int FIRST_WINDOW = 4096;
    static final int WINDOW = 16384;

    private final String tree;
    private final BlobReader blobs;
    private final TargetFiles target;
    private final Failures failures;
    private final Progress progress;
    /** A file's directory entry, by the file's path (null if the point has none); asked by write()'s caller. */
    private final Function<String, FileEntry> parentOf;
    private final ExecutorService pool;
    private final Semaphore inFlight;
    private final List<FileEntry> window = new ArrayList<>();
    private int windowSize = FIRST_WINDOW;
    private volatile boolean aborting;
    /** Files that landed, and their bytes: what the summary reports (not what was attempted). */
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong writtenBytes = new AtomicLong();

    FileWindows(String tree, BlobReader blobs, TargetFiles target, int threads, Failures failures, Progress progress,
                Function<String, FileEntry> parentOf) {
        this.tree = tree;
        this.blobs = blobs;
        this.target = target;
        this.failures = failures;
        this.progress = progress;
        this.parentOf = parentOf;
        this.pool = Executors.newFixedThreadPool(Math.max(1, threads), Threads.daemon("tidemark-restore", true));
        this.inFlight = new Semaphore(Math.max(1, threads) * 64);
    }

    /** Queues a file for the next window. */
    void add(FileEntry e) {
        window.add(e);
    }

    /** Writes the window if it is full; the next one may be larger. */
    void writeIfFull() throws IOException {
        if (window.size() >= windowSize) {
            write();
            windowSize = Math.min(WINDOW, windowSize * 2);
        }
    }

    long written() {
        return written.get();
    }

    long writtenBytes() {
        return writtenBytes.get();
    }

    /**
     * Waits for every file handed out to be written; with {@code completed} false (the walk failed), stops the
     * pool first: files not yet started are dropped, and their failures not reported one by one.
     */
    void finish(boolean completed) {
        pool.shutdown();
        try {
            if (!completed) {
                aborting = true;
                pool.shutdownNow();
            }
            while (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.info("restore {}: waiting for file writes to finish", tree);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writes the files of the window, ordered by the pack and offset of their content, so that each pack is read
     * front to back and only a few are open at a time; returns once they are all handed to the pool.
     */
    void write() throws IOException {
        if (window.isEmpty()) {
            return;
        }
        List<FileEntry> batch = new ArrayList<>(window);
        window.clear();
        List<BlobLocation> where = new ArrayList<>(batch.size());
        List<Integer> order = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            FileEntry e = batch.get(i);
            try {
                where.add(blobs.locate(e.key()));
                order.add(i);
            } catch (DamageException ex) {
                where.add(null);
                failures.add(e.path() + ": not restored, damaged in the repository: " + ex.getMessage());
            }
        }
        order.sort(Comparator.comparing((Integer i) -> where.get(i).packId())
                .thenComparingLong(i -> where.get(i).offset()));
        List<BlobLocation> sorted = new ArrayList<>(order.size());
        for (int i : order) {
            sorted.add(where.get(i));
        }
        // Files whose content lies close together in a pack are written by one task from one read of their
        // span (one GET of up to 4 MiB from an object store, instead of one per file or window).
        int from = 0;
        for (int to : BlobReader.runEnds(sorted)) {
            List<BlobLocation> run = sorted.subList(from, to);
            List<FileEntry> files = new ArrayList<>(run.size());
            List<FileEntry> parents = new ArrayList<>(run.size());
            for (int k = from; k < to; k++) {
                FileEntry e = batch.get(order.get(k));
                files.add(e);
                parents.add(parentOf.apply(e.path()));
            }
            from = to;
            inFlight.acquireUninterruptibly();
            pool.execute(() -> {
                int[] reached = {0};
                try {
                    blobs.readRun(run, (k, content) -> {
                        reached[0] = k + 1;
                        writeOne(files.get(k), parents.get(k), content);
                    });
                } catch (IOException | RuntimeException ex) {
                    // the run could not be read at all (the store failed, not a blob): each file left says so
                    for (int k = reached[0]; k < files.size() && !aborting; k++) {
                        failures.add(files.get(k).path() + ": not restored: " + Problems.reason(ex));
                    }
                } finally {
                    inFlight.release();
                }
            });
        }
    }

    /** Writes one file of a run; a failure is the file's own, reported, and the run goes on. */
    private void writeOne(FileEntry e, FileEntry parent, BlobReader.Blob content) {
        if (aborting) {
            return;
        }
        try {
            target.writeFile(e, content, parent);
            progress.add(1, e.size());
            written.incrementAndGet();
            writtenBytes.addAndGet(e.size());
        } catch (DamageException ex) {
            failures.add(e.path() + ": not restored, damaged in the repository: " + ex.getMessage());
        } catch (IOException | RuntimeException ex) {
            if (!aborting) { // when aborting, the reason is reported once, by the aborter
                failures.add(e.path() + ": not restored: " + Problems.reason(ex)
                        + (ex instanceof java.nio.file.FileSystemException f && f.getFile() != null
                        ? " (" + f.getFile() + ")" : ""));
            }
        }
    }
}
