package dev.tidemark.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.Entries;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.scan.PointTaker;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Points;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clock stepped back (a NAS correcting its time at boot) must not reorder or drop changes for
 * {@code restore --at}, nor make a new restore point sort before the one it follows.
 */
class ClockStepTest {
    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    @TempDir
    Path tmp;

    private static FileEntry file(String path, int version) {
        return new FileEntry(path, EntryType.FILE, version, 0, 0, 0644, 0, 0, 1,
                new ContentKey(version, path.hashCode()), null);
    }

    private static FileEntry dir(String path) {
        return new FileEntry(path, EntryType.DIR, 0, 0, 0, 0755, 0, 0, 1, null, null);
    }

    private static long at(int seconds) {
        return FileEntry.nanos(T0.plusSeconds(seconds));
    }

    private static Map<String, FileEntry> state(Repository repo, Instant t) throws Exception {
        Map<String, FileEntry> out = new TreeMap<>();
        try (Entries e = AtTime.of(repo, t).entries(dev.tidemark.testing.TestContents.reader(repo), "t").open()) {
            for (FileEntry f = e.nextOrNull(); f != null; f = e.nextOrNull()) {
                out.put(f.path(), f);
            }
        }
        return out;
    }

    @Test
    void everyRestoreAtTimeIsAStateThatExistedAndNothingIsDropped() throws Exception {
        Files.createDirectories(tmp.resolve("repo"));
        LocalDirStore store = new LocalDirStore(tmp.resolve("repo"));
        Repository repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
        List<List<JournalEntry>> batches = List.of(
                // 10:00:10: a directory and a file in it
                List.of(JournalEntry.put(at(10), "t", dir("d")), JournalEntry.put(at(10), "t", file("d/f", 1))),
                // the clock steps back an hour: a second file in the same directory, then f changes
                List.of(JournalEntry.put(at(-3600), "t", file("d/g", 1))),
                List.of(JournalEntry.put(at(-3590), "t", file("d/f", 2))),
                // the clock catches up and passes the step
                List.of(JournalEntry.delete(at(20), "t", "d/g")));
        try (WriterLock lock = WriterLock.acquire(store, Clock.systemUTC(), "test")) {
            JournalWriter w = JournalWriter.open(repo, lock);
            for (List<JournalEntry> b : batches) {
                w.append(b);
            }
        }
        // The states that existed, in the order they did: after 0, 1, 2, 3, 4 batches.
        List<Map<String, FileEntry>> existed = new ArrayList<>();
        Map<String, FileEntry> s = new TreeMap<>();
        existed.add(new TreeMap<>(s));
        for (List<JournalEntry> b : batches) {
            for (JournalEntry e : b) {
                if (e.isDelete()) {
                    s.remove(e.path());
                } else {
                    s.put(e.path(), e.entry());
                }
            }
            existed.add(new TreeMap<>(s));
        }
        int lastPrefix = 0;
        for (int sec : new int[] {-3601, -3600, -3595, -3590, 0, 5, 9, 10, 11, 19, 20, 21}) {
            Map<String, FileEntry> got = state(repo, T0.plusSeconds(sec));
            int prefix = existed.indexOf(got);
            assertTrue(prefix >= 0, "restore --at " + T0.plusSeconds(sec) + " gave " + got.keySet()
                    + ", a state that never existed");
            assertTrue(prefix >= lastPrefix, "restore --at went back in time at " + T0.plusSeconds(sec));
            lastPrefix = prefix;
        }
        // Nothing is dropped: at the time the clock was back, every change made so far is there.
        Map<String, FileEntry> at10 = state(repo, T0.plusSeconds(10));
        assertEquals(existed.get(3), at10, "the changes made while the clock was behind are recorded at 10:00:10");
        assertEquals(existed.get(4), state(repo, T0.plusSeconds(21)));
    }

    @Test
    void aPointTakenWhileTheClockIsBehindIsStillTheLatestAndRecordsLaterChanges() throws Exception {
        Env env = new Env(tmp, "t");
        env.writeConfig("");
        env.ok("init");
        Files.writeString(env.tree("t").resolve("a"), "one");
        Clock ahead = Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC);
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            RestorePoint first = Points.take(env.config(), store, ahead).point();
            Files.writeString(env.tree("t").resolve("a"), "two");
            RestorePoint second = Points.take(env.config(), store, Clock.systemUTC()).point(); // stepped back 2 h
            assertFalse(second.time().isBefore(first.time()), "the point was recorded before its predecessor");
            List<String> ids = new PointStore(Repository.open(store)).ids();
            assertEquals(second.id(), ids.get(ids.size() - 1), "the new point must be the latest: " + ids);
        }
        env.ok("restore", "latest", "--to", tmp.resolve("out").toString(), "--no-sync");
        assertEquals("two", Files.readString(tmp.resolve("out/t/a")));
        // And the journal's floor: a point's time is never after a later change's.
        assertTrue(PointTaker.notBefore(T0, null, at(5)).equals(T0.plusSeconds(5)));
    }
}
