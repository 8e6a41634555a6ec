package dev.tidemark.journal;

import dev.tidemark.TidemarkException;
import dev.tidemark.point.Entries;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.repo.Repository;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The trees as they were at a given second: the last restore point at or before it, with the journal's changes
 * after that point and up to the second on top.
 *
 * <p>"After the point" is by the point's journal position (the last batch it had seen), so no change is applied
 * twice or missed however the clock moved; a point of format 1 has no position and is placed by its time. Before
 * the journal's {@link Horizon} only restore points remain, and asking for such a second says so.
 *
 * @param time    the second asked for
 * @param base    the last point at or before it, or null (the journal alone)
 * @param views   per tree, the journal's changes since the base
 * @param changes how many changes were applied
 */
public record AtTime(Instant time, RestorePoint base, Map<String, JournalView> views, long changes) {

    public static AtTime of(Repository repo, Instant time) throws IOException {
        RestorePoint base = null;
        for (RestorePoint p : new PointStore(repo).ofHost()) {
            if (!p.time().isAfter(time)) {
                base = p;
            }
        }
        Journal journal = new Journal(repo);
        Horizon h = journal.horizon();
        if (h != null && (time.isBefore(h.time()) || base == null
                || base.journal() != null && base.journal() < h.seq())) {
            throw TidemarkException.failed("the journal before " + h.time() + " was pruned (retention."
                    + "journalWithin): before that only restore points remain; restore one of them by id"
                    + (base == null ? "" : " (the last one before " + time + " is " + base.id() + ")")
                    + "; 'tidemark points' lists them");
        }
        Map<String, JournalView> views = new LinkedHashMap<>();
        long n;
        if (base == null) {
            n = journal.read(0, time, e -> views.computeIfAbsent(e.tree(), k -> new JournalView()).apply(e));
        } else if (base.journal() != null) {
            n = journal.read(base.journal(), time, e -> views.computeIfAbsent(e.tree(), k -> new JournalView())
                    .apply(e));
        } else {
            n = journal.readBetween(base.time(), time, e -> views.computeIfAbsent(e.tree(), k -> new JournalView())
                    .apply(e));
        }
        return new AtTime(time, base, views, n);
    }

    /**
     * The trees as recorded when batch {@code throughSeq} was the journal's last: the latest point (which must be at
     * or before that position) with the changes of the batches after it up to that one.
     */
    public static AtTime through(Repository repo, long throughSeq) throws IOException {
        RestorePoint base = new PointStore(repo).latest();
        if (base != null && (base.journal() == null || base.journal() > throughSeq)) {
            throw new IllegalStateException("the latest point " + base.id() + " is not a base for batch " + throughSeq);
        }
        Map<String, JournalView> views = new LinkedHashMap<>();
        long n = new Journal(repo).readThrough(base == null ? 0 : base.journal(), throughSeq,
                e -> views.computeIfAbsent(e.tree(), k -> new JournalView()).apply(e));
        return new AtTime(Instant.now(), base, views, n);
    }

    /** The trees as last recorded: the latest point with every change journaled after it. */
    public static AtTime latest(Repository repo) throws IOException {
        return of(repo, dev.tidemark.point.FileEntry.instant(Long.MAX_VALUE));
    }

    /** The changes of one tree since the base (empty if none). */
    public JournalView view(String tree) {
        return views.getOrDefault(tree, new JournalView());
    }

    /** The entries of {@code tree} at {@link #time}, in path order. */
    public Entries.Source entries(dev.tidemark.repo.Contents contents, String tree) {
        TreeSnapshot snap = base == null ? null : base.tree(tree);
        JournalView view = view(tree);
        return () -> view.over(snap == null ? Entries.EMPTY
                : new ManifestReader(contents, snap.manifest()));
    }
}
