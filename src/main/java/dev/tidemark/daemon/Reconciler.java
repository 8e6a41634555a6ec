package dev.tidemark.daemon;

import dev.tidemark.index.FileRecord;
import dev.tidemark.index.Index;
import dev.tidemark.index.TreeCursor;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PathOrder;
import dev.tidemark.scan.FileStat;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import dev.tidemark.util.Problems;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares a subtree with the index (after an overflow, a new directory, a poll, the hourly safety net, the start-up
 * catch-up): walks it alongside the index's records below it, in path order, and hands whatever differs to the
 * {@link BatchWriter}: files whose stat does not match their record, files and directories that are gone,
 * directories and symlinks that are new or changed.
 */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final Follower follower;
    private final Index index;
    private final BatchWriter batches;

    Reconciler(Follower follower, Index index, BatchWriter batches) {
        this.follower = follower;
        this.index = index;
        this.batches = batches;
    }

    void reconcile(String tree, String dir) throws IOException {
        FollowedTree ts = follower.tree(tree);
        if (ts == null || ts.mode == Daemon.Mode.SUSPENDED || ts.excluded(dir)) {
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
                follower.suspend(ts, "root " + ts.cfg.path() + " is gone or empty but files were recorded in it "
                        + "(unmounted disk?); if it really was emptied, stop the daemon and run "
                        + "'tidemark point --allow-empty'");
                return;
            }
            for (byte[] k : stale) {
                work.add(cursor.pathOf(k));
            }
            // Directories and symlinks recorded below dir that the walk did not meet are gone.
            for (String p : ts.nonFilesUnder(dir)) {
                if (!seenDirs.contains(p)) {
                    work.add(p);
                }
            }
            flushWork(tree, work, true);
        }
        LOG.debug("tree {}: compared {} ({} entries) with the index in {} ms", tree, dir, seen[0],
                (System.nanoTime() - t0) / 1_000_000);
    }

    private void flushWork(String tree, List<String> work, boolean force) throws IOException {
        if (work.isEmpty() || (!force && work.size() < Daemon.MAX_BATCH)) {
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

    private void walk(FollowedTree ts, Path dir, String rel, TreeCursor cursor, List<byte[]> stale,
                      List<String> work, Set<String> seenNonFiles, long[] seen) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                names.add(p.getFileName().toString());
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return;
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
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
                    if (known == null || !BatchWriter.sameMeta(known, st)) {
                        work.add(childRel);
                    }
                    if (st.type() == EntryType.DIR) {
                        walk(ts, child, childRel, cursor, stale, work, seenNonFiles, seen);
                    }
                }
                default -> throw new AssertionError(st.type());
            }
            if (work.size() >= Daemon.MAX_BATCH) {
                flushWork(ts.name(), work, false);
            }
        }
    }
}
