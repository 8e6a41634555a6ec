package dev.tidemark.prune;

import dev.tidemark.config.Retention;
import dev.tidemark.journal.Journal;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Which restore points a retention policy keeps, and why: a pure function of the points, the policy and the time
 * zone, tested as a table.
 *
 * <p>Points are taken newest first. {@code keepLast N} keeps the N newest; {@code keepHourly N} (daily, weekly,
 * monthly, yearly alike) keeps the newest point of each of the N newest hours that have points, and, while its count
 * is not used up, the oldest point too (so the history kept is as long as asked); {@code keepWithin D} keeps every
 * point within D of the newest point (not of now: a daemon that stopped taking points keeps its history);
 * {@code keepTags} keeps every point carrying one of the tags. The newest point is always kept. Calendar buckets
 * are taken in {@code zone} (this machine's, by default), weeks are ISO weeks.
 *
 * <p>One more point is kept when the journal needs it: the newest point at or before the journal's cutoff
 * ({@code now - journalWithin}) is where {@code restore --at} starts for the oldest second the journal still
 * serves, so it stays ("journal base") as long as the journal reaches past it.
 */
public final class Forget {
    /** One point's fate: kept (with the rules that keep it) or forgotten. */
    public record Decision(RestorePoint point, boolean keep, List<String> reasons) {
    }

    private Forget() {
    }

    /**
     * Decides which points of {@code repo}'s host (format 5: each host keeps its own history) {@code policy} keeps and, with a {@code lock}, deletes the records of the
     * others (their content stays until a prune). The journal's base is protected when the journal reaches back
     * past {@code now - journalWithin}. Without a lock it only decides (a dry run).
     */
    public static List<Decision> run(Repository repo, Retention.Policy policy, Duration journalWithin, ZoneId zone,
                                     Clock clock, WriterLock lock) throws IOException {
        List<RestorePoint> points = new PointStore(repo).ofHost();
        Instant cutoff = new Journal(repo).list().isEmpty() ? null : clock.instant().minus(journalWithin);
        List<Decision> decisions = apply(points, policy, zone, cutoff);
        if (lock != null) {
            List<String> forgotten = new ArrayList<>();
            for (Decision d : decisions) {
                if (!d.keep()) {
                    forgotten.add(d.point().id());
                }
            }
            new PointStore(repo).forget(forgotten, lock);
        }
        return decisions;
    }

    /** A rule that keeps the newest point per bucket, for {@code count} buckets. */
    private static final class Bucket {
        final String name;
        final ToLongFunction<ZonedDateTime> of;
        int left;
        long last = Long.MIN_VALUE;

        Bucket(String name, int count, ToLongFunction<ZonedDateTime> of) {
            this.name = name;
            this.left = count;
            this.of = of;
        }
    }

    /**
     * Applies {@code policy} to {@code points} (any order); returns a decision per point, newest first. With
     * {@code journalCutoff} (the journal reaches back to it), the newest point at or before it is kept too.
     */
    public static List<Decision> apply(List<RestorePoint> points, Retention.Policy policy, ZoneId zone,
                                       Instant journalCutoff) {
        List<RestorePoint> list = new ArrayList<>(points);
        list.sort(Comparator.comparing(RestorePoint::time).thenComparing(RestorePoint::id).reversed());
        List<Decision> out = new ArrayList<>();
        if (list.isEmpty()) {
            return out;
        }
        Instant newest = list.get(0).time();
        long[] nr = {0};
        List<Bucket> buckets = List.of(
                new Bucket("last", policy.last(), t -> nr[0]),
                new Bucket("hourly", policy.hourly(), t -> t.getYear() * 1_000_000L + t.getMonthValue() * 10_000L
                        + t.getDayOfMonth() * 100L + t.getHour()),
                new Bucket("daily", policy.daily(), t -> t.getYear() * 10_000L + t.getMonthValue() * 100L
                        + t.getDayOfMonth()),
                new Bucket("weekly", policy.weekly(), t -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L
                        + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR)),
                new Bucket("monthly", policy.monthly(), t -> t.getYear() * 100L + t.getMonthValue()),
                new Bucket("yearly", policy.yearly(), t -> t.getYear()));
        RestorePoint journalBase = null;
        if (journalCutoff != null) {
            for (RestorePoint p : list) {
                if (!p.time().isAfter(journalCutoff)) {
                    journalBase = p;
                    break;
                }
            }
        }
        for (int i = 0; i < list.size(); i++) {
            RestorePoint p = list.get(i);
            nr[0] = i;
            List<String> reasons = new ArrayList<>();
            if (i == 0) {
                reasons.add("newest");
            }
            for (String tag : policy.tags()) {
                if (p.tags().contains(tag)) {
                    reasons.add("tag " + tag);
                }
            }
            if (policy.within() != null && p.time().isAfter(newest.minus(policy.within()))) {
                reasons.add("within " + dev.tidemark.config.ConfigLoader.spell(policy.within()));
            }
            ZonedDateTime t = p.time().atZone(zone);
            boolean oldest = i == list.size() - 1;
            for (Bucket b : buckets) {
                if (b.left <= 0) {
                    continue;
                }
                long v = b.of.applyAsLong(t);
                if (v != b.last || oldest) {
                    reasons.add(v == b.last ? "oldest " + b.name : b.name);
                    b.last = v;
                    b.left--;
                }
            }
            if (p == journalBase && reasons.isEmpty()) {
                reasons.add("journal base");
            }
            out.add(new Decision(p, !reasons.isEmpty(), List.copyOf(reasons)));
        }
        return out;
    }
}
