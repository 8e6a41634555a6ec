package dev.tidemark.daemon;

import dev.tidemark.config.TreeConfig;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PathOrder;
import dev.tidemark.scan.Excludes;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.NavigableMap;
import java.util.TreeMap;

/** One tree as the daemon follows it. Written by the worker; mode, alarm and since are read by status. */
final class FollowedTree {
    final TreeConfig cfg;
    final Excludes excludes;
    volatile Daemon.Mode mode = Daemon.Mode.SUSPENDED;
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
    /** Directories that cannot be listed now, with why: left out, shown by status as an alarm. Read by status. */
    final Map<String, String> unreadable = new ConcurrentSkipListMap<>(PathOrder::compare);

    FollowedTree(TreeConfig cfg, List<String> globalExcludes) {
        this.cfg = cfg;
        List<String> ex = new ArrayList<>(globalExcludes);
        ex.addAll(cfg.exclude());
        this.excludes = new Excludes(ex);
    }

    String name() {
        return cfg.name();
    }

    /** True if {@code rel} or a directory above it is excluded. */
    boolean excluded(String rel) {
        if (rel.equals(FileEntry.ROOT)) {
            return false;
        }
        int from = 0;
        while (true) {
            int slash = rel.indexOf('/', from);
            String prefix = slash < 0 ? rel : rel.substring(0, slash);
            String name = prefix.substring(prefix.lastIndexOf('/') + 1);
            if (excludes.excluded(prefix, name)) {
                return true;
            }
            if (slash < 0) {
                return false;
            }
            from = slash + 1;
        }
    }

    /** {@code dir} cannot be listed: true the first time (so it is warned about once). */
    boolean markUnreadable(String dir, String reason) {
        return !reason.equals(unreadable.put(dir, reason));
    }

    /** {@code dir} was listed: it is readable again, if it was not. */
    void markReadable(String dir) {
        if (!unreadable.isEmpty() && unreadable.remove(dir) != null) {
            org.slf4j.LoggerFactory.getLogger(FollowedTree.class).info("tree {}: {} can be read again", name(), dir);
        }
    }

    /** The recorded directories and symlinks strictly below {@code dir}, in path order. */
    List<String> nonFilesUnder(String dir) {
        List<String> out = new ArrayList<>();
        String prefix = dir + "/";
        for (String k : nonFiles.tailMap(dir, false).keySet()) {
            if (!dir.equals(FileEntry.ROOT) && !k.startsWith(prefix)) {
                break;
            }
            out.add(k);
        }
        return out;
    }

    /** Forgets the recorded directory or symlink at {@code path} and everything below it (it was deleted). */
    void forgetNonFiles(String path) {
        if (path.equals(FileEntry.ROOT)) {
            nonFiles.clear();
            return;
        }
        nonFiles.remove(path);
        for (String k : nonFilesUnder(path)) {
            nonFiles.remove(k);
        }
    }
}
