package dev.tidemark.journal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Which journal objects to read: the ones no other object covers (the cover), in batch order.
 *
 * <p>A merge writes an object covering exactly the batches of its inputs, and deletes the inputs only later, so a
 * listing taken at any moment may hold both. Ranges never partly overlap (every merge takes whole, adjacent objects),
 * so the objects that no other covers are disjoint and together hold every batch once: a reader that reads the
 * cover applies each change once and in order, whether or not a compaction ran while it listed. Objects a larger
 * one covers are {@link #superseded}; a partial overlap cannot come from tidemark and is reported as damage.
 */
public final class JournalCover {
    private static final Comparator<JournalObject> ORDER = Comparator.comparingLong(JournalObject::from)
            .thenComparing(Comparator.comparingLong(JournalObject::to).reversed())
            .thenComparing(Comparator.comparingInt(JournalObject::level).reversed())
            .thenComparing(JournalObject::key);

    private final List<JournalObject> objects = new ArrayList<>();
    private final List<JournalObject> superseded = new ArrayList<>();
    private final List<String> overlaps = new ArrayList<>();

    private JournalCover() {
    }

    public static JournalCover of(Collection<JournalObject> listed) {
        JournalCover c = new JournalCover();
        List<JournalObject> sorted = new ArrayList<>(listed);
        sorted.sort(ORDER);
        JournalObject last = null;
        for (JournalObject o : sorted) {
            if (last != null && last.covers(o)) {
                c.superseded.add(o);
            } else if (last != null && o.from() <= last.to()) {
                c.overlaps.add(o.key() + " overlaps " + last.key());
            } else {
                c.objects.add(o);
                last = o;
            }
        }
        return c;
    }

    /** The objects to read, disjoint, in batch order. */
    public List<JournalObject> objects() {
        return objects;
    }

    /** Objects another one covers: garbage once no reader needs them. */
    public List<JournalObject> superseded() {
        return superseded;
    }

    /** Partial overlaps: damage (tidemark never writes them). */
    public List<String> overlaps() {
        return overlaps;
    }

    /** The last batch the journal holds, or 0. */
    public long lastSeq() {
        return objects.isEmpty() ? 0 : objects.get(objects.size() - 1).to();
    }
}
