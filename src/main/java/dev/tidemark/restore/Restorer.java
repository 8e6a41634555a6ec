package dev.tidemark.restore;

import dev.tidemark.repo.BlobReader;
import dev.tidemark.TidemarkException;
import dev.tidemark.point.Entries;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PathOrder;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.progress.Progress;
import dev.tidemark.scan.FileStat;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Restores one tree of a point into a target directory.
 *
 * <p>Algorithm, in one pass over the entries: directories are created as they come (each checked with lstat to be
 * a real directory, never a symlink, so nothing is written outside the target whatever the manifest says); symlinks
 * are created as links; files are handed to {@link FileWindows}, which writes them by a pool of threads in windows
 * sorted by pack and offset ({@link TargetFiles}: temp file, verified content, mode, owner, mtime, rename), so each
 * pack is read front to back and the packs open at once stay few ({@link BlobReader} bounds them). With
 * {@code mirror}, entries the point does not have are then removed ({@link MirrorPrune}). Directory modes and mtimes
 * are applied last, deepest first, and the file system is synced by the caller.
 *
 * <p>Caveat: durability comes from one {@code sync -f} of the target's file system at the end rather than an fsync
 * per file, which would make restoring 60,000 small files many times slower.
 */
public final class Restorer {
    static final String TEMP_PREFIX = TargetFiles.TEMP_PREFIX;

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

    /** Restores {@code tree} with its entries from {@code entries} (a manifest, or a point with the journal on top). */
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
        /** The files' writers, made when the walk starts. */
        private FileWindows writes;
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
            return new Result(tree.name(), dest, opts.dryRun() ? files : writes.written(), dirs, links,
                    opts.dryRun() ? bytes : writes.writtenBytes(), removed, failures.count(), failures.first());
        }

        private boolean selectedPath(String rel) {
            return selected(rel);
        }

        private void writeAll(Progress progress) throws IOException {
            // The parents are looked up when a window is written: the map is this thread's, and filled by then.
            writes = new FileWindows(tree.name(), blobs, target, opts.threads(), failures, progress,
                    path -> dirEntries.get(SafePaths.parent(path)));
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
                    writes.writeIfFull();
                    failures.giveUpIfAllFail(files);
                }
                writes.write();
                ok = true;
            } finally {
                writes.finish(ok);
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
                        writes.add(e);
                    }
                }
                default -> throw new AssertionError();
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
