package dev.tidemark.journal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which journal objects to merge, as a function of the cover, the horizon and the time: a pure function, so it is
 * tested as a table.
 *
 * <p>Levels are calendar windows in UTC: level 1 a minute, level 2 an hour, level 3 a day (level 0 is one batch).
 * At level k, the candidates are the objects whose level-(k-1) window is over (every level-0 object is one) and the
 * level-k objects already written for an open window. Runs of candidates that are adjacent in batch order and fall
 * in the same level-k window are merged:
 * <ul>
 *   <li>a window that is over: as soon as it has two objects or more (so a past day is one object);</li>
 *   <li>the open window: once {@code fanout} lower-level objects have gathered (with the window's merged object so
 *       far, which is rewritten): the count stays small while the window fills, at the price of rewriting the
 *       window's object now and then (a minute's, every {@code fanout} batches).</li>
 * </ul>
 * Only the lowest level with work is returned; the caller merges, then asks again, so merges cascade upwards. In the
 * steady state the journal holds one object per past day (until retention), at most {@code fanout} hours and one
 * merged hour of the current day, as many minutes of the current hour, and as many batches of the current minute.
 * A window is judged by the time of an object's first change; a clock that steps back only leaves an object
 * unmerged (it is not adjacent to its window's run), never merges out of order.
 */
public final class CompactionPolicy {
    public static final int DEFAULT_FANOUT = 4;
    /** A window counts as over this long after its end, so a batch committed right at the boundary is in. */
    public static final Duration GRACE = Duration.ofSeconds(2);
    private static final long[] WINDOW = {0, 60_000_000_000L, 3_600_000_000_000L, 86_400_000_000_000L};

    /** One merge: these objects (adjacent, in batch order) become one object at {@code level}. */
    public record Merge(int level, List<JournalObject> inputs) {
        public long from() {
            return inputs.get(0).from();
        }

        public long to() {
            return inputs.get(inputs.size() - 1).to();
        }
    }

    private final int fanout;

    public CompactionPolicy(int fanout) {
        if (fanout < 2) {
            throw new IllegalArgumentException("fanout " + fanout);
        }
        this.fanout = fanout;
    }

    static long windowStart(int level, long nanos) {
        return Math.floorDiv(nanos, WINDOW[level]) * WINDOW[level];
    }

    private static boolean over(int level, long nanos, long now) {
        return level == 0 || windowStart(level, nanos) + WINDOW[level] + GRACE.toNanos() <= now;
    }

    /**
     * The merges to do now at the lowest level that has any. {@code cover} is the journal's cover in batch order;
     * objects up to {@code horizonSeq} are left alone (prune deletes them).
     */
    public List<Merge> plan(List<JournalObject> cover, long horizonSeq, Instant now) {
        long t = dev.tidemark.point.FileEntry.nanos(now);
        for (int level = 1; level <= JournalObject.MAX_LEVEL; level++) {
            List<Merge> merges = plan(cover, horizonSeq, t, level);
            if (!merges.isEmpty()) {
                return merges;
            }
        }
        return List.of();
    }

    private List<Merge> plan(List<JournalObject> cover, long horizonSeq, long now, int level) {
        List<Merge> out = new ArrayList<>();
        List<JournalObject> run = new ArrayList<>();
        long runWindow = Long.MIN_VALUE;
        for (JournalObject o : cover) {
            boolean candidate = o.to() > horizonSeq
                    && (o.level() < level && over(level - 1, o.minTime(), now) || o.level() == level);
            long w = windowStart(level, o.minTime());
            if (!candidate || w != runWindow) {
                close(run, runWindow, level, now, out);
                run.clear();
                runWindow = candidate ? w : Long.MIN_VALUE;
            }
            if (candidate) {
                run.add(o);
            }
        }
        close(run, runWindow, level, now, out);
        return out;
    }

    private void close(List<JournalObject> run, long window, int level, long now, List<Merge> out) {
        if (run.size() < 2) {
            return;
        }
        boolean over = window + WINDOW[level] + GRACE.toNanos() <= now;
        long lower = run.stream().filter(o -> o.level() < level).count();
        if (over || lower >= fanout) {
            out.add(new Merge(level, List.copyOf(run)));
        }
    }
}
