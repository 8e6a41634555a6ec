package dev.tidemark.restore;

import dev.tidemark.repo.BlobReader;
import dev.tidemark.TidemarkException;
import dev.tidemark.point.Entries;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PathOrder;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.DamageException;
import dev.tidemark.scan.FileStat;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores one tree of a point into a target directory.
 *
 * <p>Algorithm, in one pass over the entries: directories are created as they come (each checked with lstat to be
 * a real directory, never a symlink, so nothing is written outside the target whatever the manifest says); symlinks
 * are created as links; files are gathered in windows of {@link #WINDOW}, located, sorted by pack and offset, and
 * written by a pool of threads ({@link TargetFiles}: temp file, verified content, mode, owner, mtime, rename), so each
 * pack is read front to back and the packs open at once stay few ({@link BlobReader} bounds them). With
 * {@code mirror}, entries the point does not have are then removed ({@link MirrorPrune}). Directory modes and mtimes
 * are applied last, deepest first, and the file system is synced by the caller.
 *
 * <p>Caveat: durability comes from one {@code sync -f} of the target's file system at the end rather than an fsync
 * per file, which would make restoring 60,000 small files many times slower.
 */
public final class Restorer {
    private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);
    static final String TEMP_PREFIX = TargetFiles.TEMP_PREFIX;
    /** Files located, sorted by pack and offset, then written, at a time: reads go pack by pack, memory stays flat. */
    static final int WINDOW = 4096;

    /**
     * @param mirror        make the target exactly the point: extra entries are removed
     * @param dryRun        only count what would be done
     * @param paths         globs on the path within the tree; empty means everything
     * @param restoreOwners set uid and gid (only possible as root)
     * @param threads       files written at once
     * @param progress      how to show progress
     */
    public record Options(boolean mirror, boolean dryRun, List<String> paths, boolean restoreOwners, int threads,
                          Progress.Mode progress) {
        public static final int DEFAULT_THREADS = 4;
    }

    /** What was (or, for a dry run, would be) done. */
    public record Result(String tree, Path target, long files, long dirs, long symlinks, long bytes, long removed,
                         long failed, List<String> failures) {
    }

    private final BlobReader blobs;
    private final Options opts;
    private final List<PathMatcher> matchers = new ArrayList<>();

    public Restorer(BlobReader blobs, Options opts) {
        this.blobs = blobs;
        this.opts = opts;
        for (String g : opts.paths()) {
            matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
        }
    }

    /**
     * Refuses a target that is a file, or a non-empty directory without {@code mirror}. Called for every tree before
     * anything is written, so a refused restore leaves everything untouched.
     */
    public static void checkTarget(String tree, Path target, boolean mirror) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw TidemarkException.usage("restore target for tree '" + tree + "', " + target
                    + ", is not a directory: remove it or choose another --to");
        }
        if (!mirror) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(target)) {
                if (ds.iterator().hasNext()) {
                    throw TidemarkException.usage("restore target for tree '" + tree + "', " + target
                            + ", is not empty: restore into an empty directory, or add --mirror to make it exactly "
                            + "the point (extra files are removed)");
                }
            }
        }
    }

    private boolean selected(String rel) {
        if (matchers.isEmpty()) {
            return true;
        }
        // A path is selected if it or any directory above it matches.
        for (String p = rel; !p.equals(FileEntry.ROOT); p = SafePaths.parent(p)) {
            Path path = Path.of(p);
            for (PathMatcher m : matchers) {
                if (m.matches(path)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Restores {@code tree} with its entries read from {@code entries} (a manifest, or a point with the journal on top). */
    public Result restore(TreeSnapshot tree, Path target, Entries.Source entries) throws IOException {
        Run run = new Run(tree, target, entries);
        return run.go();
    }

    /** Flushes everything written under {@code dir} to disk: one syncfs instead of an fsync per file. */
    public static void syncFileSystem(Path dir) {
        TargetFiles.syncFileSystem(dir);
    }

    /** The state of one tree's restore. */
    private final class Run {
        private final TreeSnapshot tree;
        private final Path requested;
        private final Entries.Source entries;
        private Path dest;
        private TargetFiles target;
        private final Set<String> verifiedDirs = new HashSet<>();
        private final Map<String, FileEntry> dirEntries = new HashMap<>();
        private final List<FileEntry> dirsToFinish = new ArrayList<>();
        private final Set<String> finishedDirs = new HashSet<>();
        private final Failures failures;
        /** Files that landed, and their bytes: what the summary reports (not what was attempted). */
        private final AtomicLong written = new AtomicLong();
        private final AtomicLong writtenBytes = new AtomicLong();
        private final List<FileEntry> window = new ArrayList<>();
        private volatile boolean aborting;
        private long files;
        private long dirs;
        private long links;
        private long bytes;

        Run(TreeSnapshot tree, Path target, Entries.Source entries) {
            this.tree = tree;
            this.requested = target;
            this.entries = entries;
            this.failures = new Failures(tree.name());
        }

        private void fail(String what) {
            failures.add(what);
        }

        Result go() throws IOException {
            checkTarget(tree.name(), requested, opts.mirror());
            if (!opts.dryRun()) {
                Files.createDirectories(requested);
                dest = requested.toRealPath();
                target = TargetFiles.open(dest, blobs, opts.restoreOwners(),
                        opts.mirror() ? TargetFiles.Into.MIRROR : TargetFiles.Into.EMPTY);
            } else {
                dest = Files.exists(requested) ? requested.toRealPath() : requested;
            }
            verifiedDirs.add(FileEntry.ROOT);
            boolean all = matchers.isEmpty();
            try (Progress progress = Progress.start("restore " + tree.name(), all ? tree.totals().files() : 0,
                    all ? tree.totals().bytes() : 0, opts.dryRun() ? Progress.Mode.OFF : opts.progress())) {
                writeAll(progress);
            }
            long removed = 0;
            if (opts.mirror()) {
                removed = new MirrorPrune(tree.name(), dest, this::selectedPath, opts.dryRun()).run(entries);
            }
            if (!opts.dryRun()) {
                finishDirs();
            }
            return new Result(tree.name(), dest, opts.dryRun() ? files : written.get(), dirs, links,
                    opts.dryRun() ? bytes : writtenBytes.get(), removed, failures.count(), failures.first());
        }

        private boolean selectedPath(String rel) {
            return selected(rel);
        }

        private void writeAll(Progress progress) throws IOException {
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, opts.threads()),
                    Threads.daemon("tidemark-restore", true));
            Semaphore inFlight = new Semaphore(Math.max(1, opts.threads()) * 64);
            boolean ok = false;
            try (Entries r = entries.open()) {
                for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                    if (!SafePaths.safe(e.path())) {
                        fail(e.path() + ": unsafe path in manifest " + tree.manifest() + "; skipped");
                        continue;
                    }
                    if (e.isDir()) {
                        dirEntries.put(e.path(), e);
                    }
                    if (!e.path().equals(FileEntry.ROOT) && !selected(e.path())) {
                        continue;
                    }
                    try {
                        place(e);
                    } catch (IOException | TidemarkException ex) {
                        fail(e.path() + ": not restored: " + ex.getMessage());
                    }
                    if (window.size() >= WINDOW) {
                        dispatch(pool, inFlight, progress);
                    }
                    failures.giveUpIfAllFail(files);
                }
                dispatch(pool, inFlight, progress);
                ok = true;
            } finally {
                pool.shutdown();
                try {
                    if (!ok) {
                        aborting = true;
                        pool.shutdownNow();
                    }
                    while (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                        LOG.info("restore {}: waiting for file writes to finish", tree.name());
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Creates a directory or link, or queues a file for the next window. */
        private void place(FileEntry e) throws IOException {
            switch (e.type()) {
                case DIR -> {
                    dirs++;
                    if (!opts.dryRun()) {
                        ensureDir(e.path());
                    }
                }
                case SYMLINK -> {
                    links++;
                    if (!opts.dryRun()) {
                        ensureDir(SafePaths.parent(e.path()));
                        target.writeLink(e);
                    }
                }
                case FILE -> {
                    files++;
                    bytes += e.size();
                    if (!opts.dryRun()) {
                        ensureDir(SafePaths.parent(e.path()));
                        window.add(e);
                    }
                }
                default -> throw new AssertionError();
            }
        }

        /**
         * Writes the files of the window, ordered by the pack and offset of their content, so that each pack is read
         * front to back and only a few are open at a time.
         */
        private void dispatch(ExecutorService pool, Semaphore inFlight, Progress progress) throws IOException {
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
                    fail(e.path() + ": not restored, damaged in the repository: " + ex.getMessage());
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
                List<FileEntry> parents = new ArrayList<>(run.size()); // looked up here: the map is this thread's
                for (int k = from; k < to; k++) {
                    FileEntry e = batch.get(order.get(k));
                    files.add(e);
                    parents.add(dirEntries.get(SafePaths.parent(e.path())));
                }
                from = to;
                inFlight.acquireUninterruptibly();
                pool.execute(() -> {
                    int[] reached = {0};
                    try {
                        blobs.readRun(run, (k, content) -> {
                            reached[0] = k + 1;
                            writeOne(files.get(k), parents.get(k), content, progress);
                        });
                    } catch (IOException | RuntimeException ex) {
                        // the run could not be read at all (the store failed, not a blob): each file left says so
                        for (int k = reached[0]; k < files.size() && !aborting; k++) {
                            fail(files.get(k).path() + ": not restored: " + dev.tidemark.util.Problems.reason(ex));
                        }
                    } finally {
                        inFlight.release();
                    }
                });
            }
        }

        /** Writes one file of a run; a failure is the file's own, reported, and the run goes on. */
        private void writeOne(FileEntry e, FileEntry parent, BlobReader.Blob content, Progress progress) {
            if (aborting) {
                return;
            }
            try {
                target.writeFile(e, content, parent);
                progress.add(1, e.size());
                written.incrementAndGet();
                writtenBytes.addAndGet(e.size());
            } catch (DamageException ex) {
                fail(e.path() + ": not restored, damaged in the repository: " + ex.getMessage());
            } catch (IOException | RuntimeException ex) {
                if (!aborting) { // when aborting, the reason is reported once, by the aborter
                    fail(e.path() + ": not restored: " + dev.tidemark.util.Problems.reason(ex)
                            + (ex instanceof java.nio.file.FileSystemException f && f.getFile() != null
                            ? " (" + f.getFile() + ")" : ""));
                }
            }
        }

        /** Makes {@code rel} a real directory under the target, creating it and its parents as needed. */
        private void ensureDir(String rel) throws IOException {
            if (verifiedDirs.contains(rel)) {
                return;
            }
            ensureDir(SafePaths.parent(rel));
            Path p = dest.resolve(rel);
            FileStat st = TargetFiles.statOrNull(p);
            if (st != null && st.type() != EntryType.DIR) {
                if (!opts.mirror()) {
                    throw TidemarkException.failed("restore " + tree.name() + ": " + p + " exists and is not a "
                            + "directory (a symlink or a file): refusing to write through it");
                }
                TargetFiles.deleteTree(p);
                st = null;
            }
            if (st == null) {
                Files.createDirectory(p);
            }
            verifiedDirs.add(rel);
            FileEntry meta = dirEntries.get(rel);
            if (meta != null && finishedDirs.add(rel)) {
                dirsToFinish.add(meta);
            }
        }

        /** Applies directory modes and mtimes, deepest first, after all their content is in place. */
        private void finishDirs() {
            dirsToFinish.sort((a, b) -> PathOrder.compare(b.path(), a.path()));
            FileEntry root = dirEntries.get(FileEntry.ROOT);
            if (root != null && finishedDirs.add(FileEntry.ROOT)) {
                dirsToFinish.add(root);
            }
            for (FileEntry d : dirsToFinish) {
                Path p = d.path().equals(FileEntry.ROOT) ? dest : dest.resolve(d.path());
                try {
                    target.applyDirMeta(p, d);
                } catch (IOException | RuntimeException ex) {
                    fail(d.path() + ": directory metadata not restored: " + ex);
                }
            }
        }
    }
}
