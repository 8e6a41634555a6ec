package dev.tidemark.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.FileEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The journal's compaction policy as a table: which objects are merged, at what level, given the time. */
class CompactionPolicyTest {
    private static final Instant T0 = Instant.parse("2026-11-21T14:00:00Z");

    /** An object: level, batches from..to, first change at T0 + seconds (the last one second later). */
    private static JournalObject o(int level, long from, long to, double seconds) {
        long t = FileEntry.nanos(T0) + (long) (seconds * 1e9);
        return new JournalObject("journal/" + level + "/" + from + "-" + to, level, from, to, t, t + 1_000_000_000L,
                new ContentKey(from, to));
    }

    /** The merges as text: "L<level>:<from>-<to>" each. */
    private static List<String> plan(List<JournalObject> cover, long horizon, double nowSeconds) {
        List<String> out = new ArrayList<>();
        for (CompactionPolicy.Merge m : new CompactionPolicy(4).plan(cover, horizon,
                T0.plusNanos((long) (nowSeconds * 1e9)))) {
            out.add("L" + m.level() + ":" + m.from() + "-" + m.to());
        }
        return out;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
            Arguments.of("three batches in the open minute: not yet",
                    List.of(o(0, 1, 1, 1), o(0, 2, 2, 2), o(0, 3, 3, 3)), 0, 10.0, List.of()),
            Arguments.of("four batches in the open minute: merged into the minute's object",
                    List.of(o(0, 1, 1, 1), o(0, 2, 2, 2), o(0, 3, 3, 3), o(0, 4, 4, 4)), 0, 10.0, List.of("L1:1-4")),
            Arguments.of("the minute's object and three more batches: not yet",
                    List.of(o(1, 1, 4, 1), o(0, 5, 5, 5), o(0, 6, 6, 6), o(0, 7, 7, 7)), 0, 10.0, List.of()),
            Arguments.of("the minute's object and four more: rewritten with them",
                    List.of(o(1, 1, 4, 1), o(0, 5, 5, 5), o(0, 6, 6, 6), o(0, 7, 7, 7), o(0, 8, 8, 8)), 0, 10.0,
                    List.of("L1:1-8")),
            Arguments.of("a minute that is over: its two objects merged at once",
                    List.of(o(1, 1, 4, 1), o(0, 5, 5, 30)), 0, 63.0, List.of("L1:1-5")),
            Arguments.of("a minute over, but within the grace: not yet",
                    List.of(o(1, 1, 4, 1), o(0, 5, 5, 30)), 0, 61.0, List.of()),
            Arguments.of("a minute that is over with one object: nothing to merge at level 1",
                    List.of(o(0, 1, 1, 1)), 0, 200.0, List.of()),
            Arguments.of("batches in two minutes: merged per minute, not across",
                    List.of(o(0, 1, 1, 10), o(0, 2, 2, 20), o(0, 3, 3, 70), o(0, 4, 4, 80)), 0, 130.0,
                    List.of("L1:1-2", "L1:3-4")),
            Arguments.of("four past minutes of the open hour: merged into the hour's object",
                    List.of(o(1, 1, 5, 1), o(1, 6, 9, 61), o(0, 10, 10, 121), o(1, 11, 15, 181)), 0, 250.0,
                    List.of("L2:1-15")),
            Arguments.of("the open minute is not part of the hour's merge",
                    List.of(o(1, 1, 5, 1), o(1, 6, 9, 61), o(1, 10, 12, 121), o(0, 13, 13, 241), o(0, 14, 14, 242)),
                    0, 250.0, List.of()),
            Arguments.of("an hour that is over: everything in it merged (lowest level first)",
                    List.of(o(2, 1, 20, 1), o(1, 21, 25, 3000), o(0, 26, 26, 3590)), 0, 3700.0,
                    List.of("L2:1-26")),
            Arguments.of("a day that is over: its hours merged into the day",
                    List.of(o(2, 1, 20, 1), o(2, 21, 40, 3600), o(2, 41, 60, 7200)), 0, 86_500.0,
                    List.of("L3:1-60")),
            Arguments.of("a past day is one object: nothing to do",
                    List.of(o(3, 1, 60, 1), o(3, 61, 90, 86_400)), 0, 3 * 86_400.0, List.of()),
            Arguments.of("objects up to the horizon are prune's, not compaction's",
                    List.of(o(0, 1, 1, 1), o(0, 2, 2, 2), o(0, 3, 3, 3), o(0, 4, 4, 4), o(0, 5, 5, 5)), 2, 10.0,
                    List.of()),
            Arguments.of("a clock that stepped back: the odd object stays out, nothing merges across it",
                    List.of(o(0, 1, 1, 10), o(0, 2, 2, 20), o(0, 3, 3, -100), o(0, 4, 4, 30), o(0, 5, 5, 40)),
                    0, 200.0, List.of("L1:1-2", "L1:4-5"))
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void merges(String what, List<JournalObject> cover, long horizon, double now, List<String> expected) {
        assertEquals(expected, plan(cover, horizon, now));
    }
}
