package dev.tidemark.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.config.Retention;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.Totals;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The retention policy as a table, in the manner of restic's TestApplyPolicy: which points are kept, and why. */
class ForgetTest {
    /**
     * The points: every 6 hours over 40 days, then a cluster of eleven an hour apart on the last day, and one point
     * tagged "manual" in the middle (2026-11-01T03:00Z). 171 points in all: every 6 hours from 2026-10-12T03:00Z to
     * 2026-11-20T21:00Z, then hourly from 2026-11-21T11:00Z to the newest, 2026-11-21T21:00Z.
     */
    static List<RestorePoint> points() {
        List<RestorePoint> out = new ArrayList<>();
        Instant start = Instant.parse("2026-10-12T03:00:00Z");
        for (int i = 0; i < 160; i++) {
            Instant t = start.plus(Duration.ofHours(6L * i));
            out.add(point(t, i == 80 ? List.of("manual") : List.of()));
        }
        Instant last = start.plus(Duration.ofHours(6L * 159)); // 2026-11-20T21:00Z
        for (int h = 1; h <= 11; h++) {
            out.add(point(last.plus(Duration.ofHours(h + 13)), List.of()));
        }
        return out;
    }

    static RestorePoint point(Instant t, List<String> tags) {
        String id = t.toString().replace("-", "").replace(":", "").replace("T", "T").substring(0, 15) + "Z";
        return new RestorePoint(RestorePoint.FORMAT, id, t, "h", tags, List.of(), Totals.ZERO, 0, 0L, null);
    }

    static Retention.Policy policy(int last, String within, int hourly, int daily, int weekly, int monthly,
                                   int yearly, List<String> tags) {
        return new Retention.Policy(last, within == null ? null : Duration.parse(within), hourly, daily, weekly,
                monthly, yearly, tags);
    }

    /** The kept points as "id:reason+reason". */
    static List<String> kept(Retention.Policy p, Instant journalCutoff) {
        List<String> out = new ArrayList<>();
        for (Forget.Decision d : Forget.apply(points(), p, ZoneOffset.UTC, journalCutoff)) {
            if (d.keep()) {
                out.add(d.point().id() + ":" + String.join("+", d.reasons()));
            }
        }
        return out;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
            Arguments.of("keepLast 3", policy(3, null, 0, 0, 0, 0, 0, List.of()), null, List.of(
                    "20261121T210000Z:newest+last", "20261121T200000Z:last", "20261121T190000Z:last")),
            Arguments.of("keepHourly 4: the newest of each of the four newest hours", policy(0, null, 4, 0, 0, 0, 0,
                    List.of()), null, List.of(
                    "20261121T210000Z:newest+hourly", "20261121T200000Z:hourly", "20261121T190000Z:hourly",
                    "20261121T180000Z:hourly")),
            Arguments.of("keepDaily 3: the cluster's day counts once", policy(0, null, 0, 3, 0, 0, 0, List.of()), null,
                    List.of("20261121T210000Z:newest+daily", "20261120T210000Z:daily", "20261119T210000Z:daily")),
            Arguments.of("keepWeekly 2 (ISO weeks, Monday to Sunday)", policy(0, null, 0, 0, 2, 0, 0, List.of()), null,
                    List.of("20261121T210000Z:newest+weekly", "20261115T210000Z:weekly")),
            Arguments.of("keepMonthly 5: only two months have points, so the oldest is kept too",
                    policy(0, null, 0, 0, 0, 5, 0, List.of()), null, List.of(
                    "20261121T210000Z:newest+monthly", "20261031T210000Z:monthly", "20261012T030000Z:oldest monthly")),
            Arguments.of("keepYearly 1", policy(0, null, 0, 0, 0, 0, 1, List.of()), null, List.of(
                    "20261121T210000Z:newest+yearly")),
            Arguments.of("keepWithin 1 day: of the newest point, not of now", policy(0, "PT24H", 0, 0, 0, 0, 0,
                    List.of()), null, List.of(
                    "20261121T210000Z:newest+within 1d", "20261121T200000Z:within 1d", "20261121T190000Z:within 1d",
                    "20261121T180000Z:within 1d", "20261121T170000Z:within 1d", "20261121T160000Z:within 1d",
                    "20261121T150000Z:within 1d", "20261121T140000Z:within 1d", "20261121T130000Z:within 1d",
                    "20261121T120000Z:within 1d", "20261121T110000Z:within 1d")),
            Arguments.of("keepTags manual", policy(0, null, 0, 0, 0, 0, 0, List.of("manual")), null, List.of(
                    "20261121T210000Z:newest", "20261101T030000Z:tag manual")),
            Arguments.of("rules combine: a point kept by several says so",
                    policy(2, null, 0, 2, 0, 0, 0, List.of("manual")), null, List.of(
                    "20261121T210000Z:newest+last+daily", "20261121T200000Z:last", "20261120T210000Z:daily",
                    "20261101T030000Z:tag manual")),
            Arguments.of("the journal's base is kept while the journal reaches past it",
                    policy(1, null, 0, 0, 0, 0, 0, List.of()), Instant.parse("2026-11-15T00:00:00Z"), List.of(
                    "20261121T210000Z:newest+last", "20261114T210000Z:journal base")),
            Arguments.of("a base some rule keeps anyway is not marked twice",
                    policy(0, null, 0, 30, 0, 0, 0, List.of()), Instant.parse("2026-11-15T00:00:00Z"),
                    List.of()) // checked below: no "journal base"
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void keeps(String what, Retention.Policy policy, Instant journalCutoff, List<String> expected) {
        List<String> got = kept(policy, journalCutoff);
        if (expected.isEmpty()) {
            assertTrue(got.stream().noneMatch(s -> s.contains("journal base")), got.toString());
            assertEquals(30, got.size(), got.toString()); // 30 days; the base (11-14) is one of them
        } else {
            assertEquals(expected, got);
        }
    }

    @Test
    void theNewestIsKeptWhateverThePolicyAndEveryPointHasADecision() {
        List<Forget.Decision> d = Forget.apply(points(), policy(0, null, 0, 0, 0, 0, 0, List.of("none")),
                ZoneId.of("Asia/Shanghai"), null);
        assertEquals(171, d.size());
        assertEquals(1, d.stream().filter(Forget.Decision::keep).count());
        assertTrue(d.get(0).keep() && d.get(0).reasons().equals(List.of("newest")));
    }

    @Test
    void calendarBucketsFollowTheTimeZone() {
        // 21:00Z and 03:00Z the next day are one day in Shanghai (05:00 and 11:00), two in UTC.
        List<RestorePoint> two = List.of(point(Instant.parse("2026-11-20T21:00:00Z"), List.of()),
                point(Instant.parse("2026-11-21T03:00:00Z"), List.of()));
        Retention.Policy daily = policy(0, null, 0, 10, 0, 0, 0, List.of());
        assertEquals(2, Forget.apply(two, daily, ZoneOffset.UTC, null).stream().filter(Forget.Decision::keep).count());
        List<Forget.Decision> sh = Forget.apply(two, daily, ZoneId.of("Asia/Shanghai"), null);
        assertEquals(List.of("newest", "daily"), sh.get(0).reasons());
        assertEquals(List.of("oldest daily"), sh.get(1).reasons(), "the oldest is kept while daily has counts left");
    }
}
