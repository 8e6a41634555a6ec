package dev.tidemark.restore;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.tidemark.TidemarkException;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.Entries;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PathOrder;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.Repository;
import dev.tidemark.scan.FileStat;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores one tree of a point into a target directory.
 *
 * <p>Algorithm, in one pass over the manifest: directories are created as they come (each checked with lstat to be
 * a real directory, never a symlink, so nothing is written outside the target whatever the manifest says); files are
 * written by a pool of threads, each to a temp file in its final directory, verified against its content key while
 * written, given its mode, owner (when run as root) and mtime, then renamed into place, so no file is ever seen
 * half-written; symlinks are created as links. With {@code mirror}, entries the point does not have are then
 * removed. Directory modes and mtimes are applied last, deepest first, and the file system is synced.
 *
 * <p>Caveat: durability comes from one {@code sync -f} of the target's file system at the end rather than an fsync
 * per file, which would make restoring 60,000 small files many times slower.
 */
public final class Restorer {
    private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);
    static final String TEMP_PREFIX = ".tidemark-restore-";
    private static final int MAX_REPORTED = 50;
    private static final int GIVE_UP_AFTER = 200;

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

    /** Permission attributes for creating files, one per mode 0000-0777. */
    private static final FileAttribute<?>[] PERMS = new FileAttribute<?>[01000];

    static {
        for (int m = 0; m < PERMS.length; m++) {
            Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
            PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
            for (int bit = 0; bit < 9; bit++) {
                if ((m & (1 << bit)) != 0) {
                    perms.add(order[bit]);
                }
            }
            PERMS[m] = PosixFilePermissions.asFileAttribute(perms);
        }
    }

    /** What a file created in the target gets by default: the process umask, owner and group. */
    private record Probe(int umask, int uid, int gid) {
        static Probe of(Path dir) throws IOException {
            Path p = dir.resolve(TEMP_PREFIX + "probe-" + ProcessHandle.current().pid() + ".tmp");
            Files.deleteIfExists(p);
            Files.createFile(p, PERMS[0777]);
            try {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
                return new Probe(~(Integer) a.get("mode") & 0777, (Integer) a.get("uid"), (Integer) a.get("gid"));
            } finally {
                Files.deleteIfExists(p);
            }
        }
    }

    private final Repository repo;
    private final BlobReader blobs;
    private final Options opts;
    private final List<PathMatcher> matchers = new ArrayList<>();

    public Restorer(Repository repo, BlobReader blobs, Options opts) {
        this.repo = repo;
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

    public Result restore(TreeSnapshot tree, Path target) throws IOException {
        return restore(tree, target, () -> new ManifestReader(repo.store(), repo.hasher(), tree.manifest()));
    }

    /** Restores {@code tree} with its entries read from {@code entries} (for example a point with the journal on top). */
    public Result restore(TreeSnapshot tree, Path target, Entries.Source entries) throws IOException {
        Run run = new Run(tree, target, entries);
        return run.go();
    }

    /** The state of one tree's restore. */
    private final class Run {
        private final TreeSnapshot tree;
        private final Path requested;
        private Path dest;
        private final Set<String> verifiedDirs = new HashSet<>();
        private final Map<String, FileEntry> dirEntries = new HashMap<>();
        private final List<FileEntry> dirsToFinish = new ArrayList<>();
        private final Set<String> finishedDirs = new HashSet<>();
        private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        private final AtomicLong failed = new AtomicLong();
        private Probe probe;
        private volatile boolean aborting;
        private long files;
        private long dirs;
        private long links;
        private long bytes;
        private long removed;

        private final Entries.Source entries;

        Run(TreeSnapshot tree, Path target, Entries.Source entries) {
            this.tree = tree;
            this.requested = target;
            this.entries = entries;
        }

        private void fail(String what) {
            long n = failed.incrementAndGet();
            if (failures.size() < MAX_REPORTED) {
                failures.add(what);
            }
            if (n <= MAX_REPORTED) {
                LOG.error("restore {}: {}", tree.name(), what);
            } else if (n == MAX_REPORTED + 1) {
                LOG.error("restore {}: more failures follow; only the count is reported from here", tree.name());
            }
        }

        /** Gives up when failing is all the restore does (a full disk): it would only repeat the same error. */
        private void checkGiveUp() {
            long n = failed.get();
            if (n >= GIVE_UP_AFTER && n >= files / 2) {
                throw TidemarkException.failed("restore " + tree.name() + " stopped after " + n + " failures; the first: "
                        + (failures.isEmpty() ? "?" : failures.get(0)));
            }
        }

        Result go() throws IOException {
            checkTarget(tree.name(), requested, opts.mirror());
            if (!opts.dryRun()) {
                Files.createDirectories(requested);
                dest = requested.toRealPath();
                probe = Probe.of(dest);
            } else {
                dest = Files.exists(requested) ? requested.toRealPath() : requested;
            }
            verifiedDirs.add(FileEntry.ROOT);
            boolean all = matchers.isEmpty();
            try (Progress progress = Progress.start("restore " + tree.name(), all ? tree.totals().files() : 0,
                    all ? tree.totals().bytes() : 0, opts.dryRun() ? Progress.Mode.OFF : opts.progress())) {
                writeAll(progress);
            }
            if (opts.mirror()) {
                prune();
            }
            if (!opts.dryRun()) {
                finishDirs();
            }
            return new Result(tree.name(), dest, files, dirs, links, bytes, removed, failed.get(), List.copyOf(failures));
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
                        place(e, pool, inFlight, progress);
                    } catch (IOException | TidemarkException ex) {
                        fail(e.path() + ": not restored: " + ex.getMessage());
                    }
                    checkGiveUp();
                }
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

        /** Creates a directory or link, or hands a file to the pool. */
        private void place(FileEntry e, ExecutorService pool, Semaphore inFlight, Progress progress)
                throws IOException {
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
                        writeLink(e);
                    }
                }
                case FILE -> {
                    files++;
                    bytes += e.size();
                    if (!opts.dryRun()) {
                        ensureDir(SafePaths.parent(e.path()));
                        inFlight.acquireUninterruptibly();
                        pool.execute(() -> {
                            try {
                                writeFile(e);
                                progress.add(1, e.size());
                            } finally {
                                inFlight.release();
                            }
                        });
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
            FileStat st = statOrNull(p);
            if (st != null && st.type() != EntryType.DIR) {
                if (!opts.mirror()) {
                    throw TidemarkException.failed("restore " + tree.name() + ": " + p + " exists and is not a "
                            + "directory (a symlink or a file): refusing to write through it");
                }
                deleteTree(p);
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

        private Path tempBeside(Path p) {
            return p.resolveSibling(TEMP_PREFIX + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                    + ".tmp");
        }

        private void writeFile(FileEntry e) {
            Path fin = dest.resolve(e.path());
            Path tmp = tempBeside(fin);
            try {
                // Created with its permission bits, so the common file needs no chmod afterwards.
                int created = e.mode() & 0777 & ~probe.umask();
                try (SeekableByteChannel ch = Files.newByteChannel(tmp, EnumSet.of(CREATE_NEW, WRITE), PERMS[e.mode() & 0777]);
                     OutputStream out = Channels.newOutputStream(ch)) {
                    long[] n = {0};
                    blobs.read(e.key(), (buf, off, len) -> {
                        out.write(buf, off, len);
                        n[0] += len;
                    });
                    if (n[0] != e.size()) {
                        throw new DamageException("content is " + n[0] + " bytes, manifest says " + e.size());
                    }
                }
                boolean chowned = chownIfNeeded(tmp, e);
                // chown clears setuid/setgid, so the mode comes after the owner.
                if (chowned || created != e.mode()) {
                    Files.setAttribute(tmp, "unix:mode", e.mode(), LinkOption.NOFOLLOW_LINKS);
                }
                // Following links is safe here (the temp file is ours) and spares the lstat the JDK does first.
                Files.setLastModifiedTime(tmp, FileTime.from(FileEntry.instant(e.mtimeNanos())));
                replace(tmp, fin);
            } catch (DamageException ex) {
                deleteQuietly(tmp);
                fail(e.path() + ": not restored, damaged in the repository: " + ex.getMessage());
            } catch (IOException | RuntimeException ex) {
                deleteQuietly(tmp);
                if (!aborting) { // when aborting, the reason is reported once, by the aborter
                    fail(e.path() + ": not restored: " + ex);
                }
            }
        }

        /** Sets owner and group when running as root and they differ from what a new file gets here. */
        private boolean chownIfNeeded(Path p, FileEntry e) throws IOException {
            if (!opts.restoreOwners()) {
                return false;
            }
            FileEntry parent = dirEntries.get(SafePaths.parent(e.path()));
            boolean setgidParent = parent != null && (parent.mode() & 02000) != 0;
            if (e.uid() == probe.uid() && e.gid() == probe.gid() && !setgidParent) {
                return false;
            }
            Files.setAttribute(p, "unix:uid", e.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", e.gid(), LinkOption.NOFOLLOW_LINKS);
            return true;
        }

        private void setMtime(Path p, FileEntry e) throws IOException {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(FileEntry.instant(e.mtimeNanos())), null, null);
        }

        private void writeLink(FileEntry e) {
            Path fin = dest.resolve(e.path());
            Path tmp = tempBeside(fin);
            try {
                Files.createSymbolicLink(tmp, Path.of(e.target()));
                if (opts.restoreOwners()) {
                    Files.setAttribute(tmp, "unix:uid", e.uid(), LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(tmp, "unix:gid", e.gid(), LinkOption.NOFOLLOW_LINKS);
                }
                try {
                    setMtime(tmp, e);
                } catch (IOException | UnsupportedOperationException ex) {
                    LOG.debug("cannot set the mtime of symlink {}: {}", fin, ex.toString());
                }
                replace(tmp, fin);
            } catch (IOException | RuntimeException ex) {
                deleteQuietly(tmp);
                fail(e.path() + ": symlink not restored: " + ex);
            }
        }

        /** Directory metadata: owner, mode, mtime. */
        private void applyMeta(Path p, FileEntry e) throws IOException {
            if (opts.restoreOwners()) {
                Files.setAttribute(p, "unix:uid", e.uid(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", e.gid(), LinkOption.NOFOLLOW_LINKS);
            }
            Files.setAttribute(p, "unix:mode", e.mode(), LinkOption.NOFOLLOW_LINKS);
            setMtime(p, e);
        }

        /**
         * Renames the finished temp file into place. Without {@code mirror} the target started empty, so the rename
         * is all; with it, an existing directory in the way is removed first (a rename cannot replace it).
         */
        private void replace(Path tmp, Path fin) throws IOException {
            try {
                Files.move(tmp, fin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (FileSystemException ex) {
                FileStat existing = statOrNull(fin);
                if (!opts.mirror() || existing == null || existing.type() != EntryType.DIR) {
                    throw ex;
                }
                deleteTree(fin);
                Files.move(tmp, fin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }

        /** Removes everything under the target that the point does not have (within --path, if given). */
        private void prune() throws IOException {
            if (!Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            try (Entries r = entries.open()) {
                Peek peek = new Peek(r);
                peek.skipTo(FileEntry.ROOT);
                prune(dest, FileEntry.ROOT, peek);
            }
        }

        private void prune(Path dir, String rel, Peek manifest) throws IOException {
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    names.add(p.getFileName().toString());
                }
            }
            names.sort(PathOrder::compareNames);
            for (String name : names) {
                String childRel = rel.equals(FileEntry.ROOT) ? name : rel + "/" + name;
                Path child = dir.resolve(name);
                FileEntry m = manifest.skipTo(childRel);
                FileStat st = statOrNull(child);
                if (st == null) {
                    continue;
                }
                boolean keep = m != null && m.path().equals(childRel)
                        && (st.type() == m.type() || m.type() == EntryType.FILE && st.type() == EntryType.FILE);
                if (keep) {
                    if (st.type() == EntryType.DIR) {
                        prune(child, childRel, manifest);
                    }
                    continue;
                }
                if (!selected(childRel)) {
                    continue; // outside --path: not ours to remove
                }
                removed++;
                if (!opts.dryRun()) {
                    LOG.debug("restore {}: removing {} (not in the point)", tree.name(), childRel);
                    deleteTree(child);
                }
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
                    applyMeta(p, d);
                } catch (IOException | RuntimeException ex) {
                    fail(d.path() + ": directory metadata not restored: " + ex);
                }
            }
        }
    }

    /** Steps through a manifest in path order alongside a walk of the target. */
    private static final class Peek {
        private final Entries r;
        private FileEntry head;
        private boolean started;

        Peek(Entries r) {
            this.r = r;
        }

        /** Advances past entries before {@code path}; returns the first entry at or after it (or null at the end). */
        FileEntry skipTo(String path) throws IOException {
            if (!started) {
                head = r.nextOrNull();
                started = true;
            }
            while (head != null && PathOrder.compare(head.path(), path) < 0) {
                head = r.nextOrNull();
            }
            return head;
        }
    }

    static FileStat statOrNull(Path p) throws IOException {
        try {
            return FileStat.lstat(p);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("could not remove {}: {}", p, e.toString());
        }
    }

    /** Deletes a file, a link (not its target) or a directory with everything in it. */
    static void deleteTree(Path p) throws IOException {
        FileStat st = statOrNull(p);
        if (st == null) {
            return;
        }
        if (st.type() == EntryType.DIR) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path c : ds) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }

    /** Flushes everything written under {@code dir} to disk: one syncfs instead of an fsync per file. */
    public static void syncFileSystem(Path dir) {
        try {
            Process p = new ProcessBuilder("sync", "-f", dir.toString()).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                LOG.warn("'sync -f {}' did not succeed; the restored files may not all be on disk yet", dir);
            }
        } catch (IOException e) {
            LOG.warn("cannot run 'sync -f {}': {}; the restored files may not all be on disk yet", dir, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
