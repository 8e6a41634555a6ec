package dev.tidemark.journal;

import dev.tidemark.point.Entries;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PathOrder;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A tree as it was at some time between restore points: the base point's manifest with the journal's later changes
 * on top, read in {@link PathOrder} like a manifest.
 *
 * <p>Changes are applied in time order: a put replaces the entry at its path; a delete removes its path and every
 * path under it, from the base and from earlier puts alike. The overlay holds only the changes since the base point
 * (bounded by what changed in one points interval); the base manifest is streamed.
 */
public final class JournalView {
    private final NavigableMap<String, FileEntry> puts = new TreeMap<>(PathOrder::compare);
    private final NavigableMap<String, Boolean> deleted = new TreeMap<>(PathOrder::compare);
    private long applied;

    /** Applies one change; changes must come in time order. */
    public void apply(JournalEntry e) {
        applied++;
        if (e.isDelete()) {
            String p = e.path();
            if (p.equals(FileEntry.ROOT)) {
                puts.clear();
                deleted.clear();
            } else {
                // Everything under p follows p directly in PathOrder ('/' sorts lowest).
                String under = p + "/";
                Iterator<String> it = puts.tailMap(p, true).keySet().iterator();
                while (it.hasNext()) {
                    String k = it.next();
                    if (!k.equals(p) && !k.startsWith(under)) {
                        break;
                    }
                    it.remove();
                }
            }
            deleted.put(p, Boolean.TRUE);
        } else {
            puts.put(e.path(), e.entry());
        }
    }

    public long applied() {
        return applied;
    }

    /** How many paths hold an entry of {@code type} put since the base (the last put of each path counts). */
    public long puts(dev.tidemark.point.EntryType type) {
        long n = 0;
        for (FileEntry e : puts.values()) {
            n += e.type() == type ? 1 : 0;
        }
        return n;
    }

    /** True if {@code path} or a directory above it was deleted after the base. */
    private boolean deletedBelowBase(String path) {
        if (deleted.isEmpty()) {
            return false;
        }
        String p = path;
        while (true) {
            if (deleted.containsKey(p)) {
                return true;
            }
            int slash = p.lastIndexOf('/');
            if (slash < 0) {
                return !p.equals(FileEntry.ROOT) && deleted.containsKey(FileEntry.ROOT);
            }
            p = p.substring(0, slash);
        }
    }

    /** Where {@link #mergeLines} hands the merged manifest: base lines as they are, changed entries parsed. */
    public interface LineSink {
        void line(dev.tidemark.point.ManifestLines.Line line) throws IOException;

        void entry(FileEntry entry) throws IOException;
    }

    /**
     * The same merge as {@link #over}, over a manifest read as lines (null: an empty base): the lines nothing
     * changed are handed over unparsed, so writing the result costs little more than copying bytes.
     */
    public void mergeLines(dev.tidemark.point.ManifestLines base, LineSink sink) throws IOException {
        Iterator<Map.Entry<String, FileEntry>> overlay = puts.entrySet().iterator();
        dev.tidemark.point.ManifestLines.Line b = nextLine(base);
        FileEntry o = overlay.hasNext() ? overlay.next().getValue() : null;
        while (b != null || o != null) {
            int c = b == null ? 1 : o == null ? -1 : PathOrder.compare(b.path(), o.path());
            if (c < 0) {
                sink.line(b);
                b = nextLine(base);
            } else {
                sink.entry(o);
                o = overlay.hasNext() ? overlay.next().getValue() : null;
                if (c == 0) {
                    b = nextLine(base);
                }
            }
        }
    }

    private dev.tidemark.point.ManifestLines.Line nextLine(dev.tidemark.point.ManifestLines base) throws IOException {
        if (base == null) {
            return null;
        }
        for (var l = base.next(); l != null; l = base.next()) {
            if (!deletedBelowBase(l.path())) {
                return l;
            }
        }
        return null;
    }

    /** The merged entries over {@code base}, which this takes over (and closes). */
    public Entries over(Entries base) {
        Iterator<Map.Entry<String, FileEntry>> overlay = puts.entrySet().iterator();
        return new Entries() {
            private FileEntry b;
            private FileEntry o;
            private boolean started;

            private FileEntry nextBase() throws IOException {
                for (FileEntry e = base.nextOrNull(); e != null; e = base.nextOrNull()) {
                    if (!deletedBelowBase(e.path())) {
                        return e;
                    }
                }
                return null;
            }

            @Override
            public FileEntry nextOrNull() throws IOException {
                if (!started) {
                    b = nextBase();
                    o = overlay.hasNext() ? overlay.next().getValue() : null;
                    started = true;
                }
                if (b == null && o == null) {
                    return null;
                }
                int c = b == null ? 1 : o == null ? -1 : PathOrder.compare(b.path(), o.path());
                FileEntry out;
                if (c < 0) {
                    out = b;
                    b = nextBase();
                } else {
                    out = o;
                    o = overlay.hasNext() ? overlay.next().getValue() : null;
                    if (c == 0) {
                        b = nextBase();
                    }
                }
                return out;
            }

            @Override
            public void close() throws IOException {
                base.close();
            }
        };
    }
}
