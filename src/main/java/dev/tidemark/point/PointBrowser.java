package dev.tidemark.point;

import dev.tidemark.TidemarkException;
import dev.tidemark.repo.Contents;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Looks inside one restore point without restoring it: lists a directory of a tree and streams one file's content
 * (checked against its content key as it is read). Behind {@code tidemark ls}, {@code tidemark cat} and the daemon's
 * status page.
 *
 * <p>A path is {@code TREE} or {@code TREE/path/in/tree}. A manifest is read from its start up to the end of the
 * directory asked for (manifests are in {@link PathOrder}, so a directory's entries are together).
 */
public final class PointBrowser {
    /** Where a path points: a tree of the point, and a path in it ("." for the tree's root). */
    public record Location(TreeSnapshot tree, String path) {
        public String display() {
            return path.equals(FileEntry.ROOT) ? tree.name() : tree.name() + "/" + path;
        }
    }

    /** Receives entries. */
    public interface EntrySink {
        void accept(FileEntry e) throws IOException;
    }

    private final Contents contents;
    private final RestorePoint point;

    public PointBrowser(Contents contents, RestorePoint point) {
        this.contents = contents;
        this.point = point;
    }

    public RestorePoint point() {
        return point;
    }

    /** Splits {@code spec} into a tree and a path; a usage error naming the trees there are if the tree is unknown. */
    public Location locate(String spec) {
        String s = spec.startsWith("/") ? spec.substring(1) : spec;
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        int slash = s.indexOf('/');
        String treeName = slash < 0 ? s : s.substring(0, slash);
        String path = slash < 0 ? FileEntry.ROOT : s.substring(slash + 1);
        TreeSnapshot t = point.tree(treeName);
        if (t == null) {
            throw TidemarkException.usage("point " + point.id() + " has no tree '" + treeName + "': a path starts "
                    + "with one of " + String.join(", ", point.trees().stream().map(TreeSnapshot::name).toList()));
        }
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals("..") || (part.equals(".") && !path.equals(FileEntry.ROOT))) {
                throw TidemarkException.usage("'" + spec + "' is not a path in a tree: give TREE/DIR/NAME, with no "
                        + "empty, '.' or '..' parts");
            }
        }
        return new Location(t, path);
    }

    /** The entry at {@code at}, or a usage error saying what to list if there is none. */
    public FileEntry entry(Location at) throws IOException {
        FileEntry[] found = {null};
        scan(at, false, true, e -> found[0] = e);
        if (found[0] == null) {
            throw TidemarkException.usage("'" + at.display() + "' is not in point " + point.id() + ": 'tidemark ls "
                    + point.id() + " " + parentDisplay(at) + "' lists what is there");
        }
        return found[0];
    }

    /**
     * The entries under directory {@code at}: its children, or with {@code recursive} everything below it; the entry
     * itself if {@code at} is not a directory. A usage error if nothing is there.
     */
    public void list(Location at, boolean recursive, EntrySink sink) throws IOException {
        FileEntry self = entry(at);
        if (!self.isDir()) {
            sink.accept(self);
            return;
        }
        scan(at, recursive, false, sink);
    }

    /** Writes the content of file {@code e} to {@code out}, checked as it is read. */
    public void copy(FileEntry e, OutputStream out) throws IOException {
        if (!e.isFile()) {
            throw TidemarkException.usage("'" + e.path() + "' is a " + (e.isDir() ? "directory" : "symbolic link to "
                    + e.target()) + ", not a file: 'tidemark ls' lists it");
        }
        contents.read(e.key(), out::write);
    }

    /**
     * One entry as JSON ({@code tidemark ls --json}, the status page): message_type "entry", tree, path, type,
     * mode, size (files), mtime, target (symlinks).
     */
    public static java.util.Map<String, Object> json(String tree, FileEntry e) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("message_type", "entry");
        m.put("tree", tree);
        m.put("path", e.path());
        m.put("type", e.isFile() ? "file" : e.isSymlink() ? "symlink" : "dir");
        m.put("mode", e.mode());
        m.put("size", e.isFile() ? e.size() : null);
        m.put("mtime", FileEntry.instant(e.mtimeNanos()).toString());
        m.put("target", e.isSymlink() ? e.target() : null);
        return m;
    }

    private void scan(Location at, boolean recursive, boolean self, EntrySink sink) throws IOException {
        String dir = at.path();
        String prefix = dir.equals(FileEntry.ROOT) ? "" : dir + "/";
        try (ManifestReader r = new ManifestReader(contents, at.tree().manifest())) {
            boolean inside = false;
            for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                if (e.path().equals(dir)) {
                    if (self) {
                        sink.accept(e);
                        return;
                    }
                    inside = true;
                    continue;
                }
                boolean under = !e.path().equals(FileEntry.ROOT) && e.path().startsWith(prefix);
                if (!under) {
                    if (inside || PathOrder.compare(e.path(), dir) > 0 && !dir.equals(FileEntry.ROOT)) {
                        return; // past the directory: nothing of it comes later
                    }
                    continue;
                }
                inside = true;
                if (!self && (recursive || e.path().indexOf('/', prefix.length()) < 0)) {
                    sink.accept(e);
                }
            }
        }
    }

    private static String parentDisplay(Location at) {
        int slash = at.path().lastIndexOf('/');
        return slash < 0 ? at.tree().name() : at.tree().name() + "/" + at.path().substring(0, slash);
    }
}
