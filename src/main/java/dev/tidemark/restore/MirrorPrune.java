package dev.tidemark.restore;

import dev.tidemark.point.EntryType;
import dev.tidemark.point.Entries;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PathOrder;
import dev.tidemark.scan.FileStat;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second half of a mirror restore: removes everything under the target that the point does not have, by merging
 * a sorted walk of the target with the entries (both in {@link PathOrder}). Entries outside the selected paths are
 * not its to remove.
 */
final class MirrorPrune {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorPrune.class);

    private final String tree;
    private final Path dest;
    private final Predicate<String> selected;
    private final boolean dryRun;
    private long removed;

    MirrorPrune(String tree, Path dest, Predicate<String> selected, boolean dryRun) {
        this.tree = tree;
        this.dest = dest;
        this.selected = selected;
        this.dryRun = dryRun;
    }

    /** Removes (or, for a dry run, counts) what {@code entries} lacks; returns how many entries that was. */
    long run(Entries.Source entries) throws IOException {
        if (!Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        try (Entries r = entries.open()) {
            Peek peek = new Peek(r);
            peek.skipTo(FileEntry.ROOT);
            prune(dest, FileEntry.ROOT, peek);
        }
        return removed;
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
            FileStat st = TargetFiles.statOrNull(child);
            if (st == null) {
                continue;
            }
            boolean keep = m != null && m.path().equals(childRel) && st.type() == m.type();
            if (keep) {
                if (st.type() == EntryType.DIR) {
                    prune(child, childRel, manifest);
                }
                continue;
            }
            if (!selected.test(childRel)) {
                continue; // outside --path: not ours to remove
            }
            removed++;
            if (!dryRun) {
                LOG.debug("restore {}: removing {} (not in the point)", tree, childRel);
                TargetFiles.deleteTree(child);
            }
        }
    }

    /** Steps through the entries in path order alongside a walk of the target. */
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
}
