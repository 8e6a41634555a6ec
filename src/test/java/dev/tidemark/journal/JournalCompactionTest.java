package dev.tidemark.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.Entries;
import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.Lease;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.repo.store.Store;
import dev.tidemark.testing.ForwardingStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compaction of the journal against a real repository: nothing lost, nothing twice, readers unbroken. */
class JournalCompactionTest {
    private static final Instant T0 = Instant.parse("2026-11-20T22:30:00Z");

    @TempDir
    Path tmp;

    private LocalDirStore store;
    private Repository repo;
    private WriterLock lock;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(tmp.resolve("repo"));
        store = new LocalDirStore(tmp.resolve("repo"));
        repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
        lock = WriterLock.acquire(store, Clock.systemUTC(), "test");
    }

    @AfterEach
    void tearDown() throws Exception {
        lock.close();
    }

    private static FileEntry file(String path, int version) {
        return new FileEntry(path, EntryType.FILE, version, 0, 0, 0644, 0, 0, 1, new ContentKey(version, path.hashCode()),
                null);
    }

    /**
     * Writes {@code batches} batches of 1-3 changes over {@code hours} hours (puts and deletes of 40 paths) and
     * returns the time of every change.
     */
    private List<Instant> journal(JournalWriter w, int batches, double hours, long seed) throws IOException {
        Random rnd = new Random(seed);
        List<Instant> times = new ArrayList<>();
        long span = (long) (hours * 3600e9);
        long t = FileEntry.nanos(T0);
        for (int b = 0; b < batches; b++) {
            t += 1 + (long) (rnd.nextDouble() * 2 * span / batches);
            List<JournalEntry> entries = new ArrayList<>();
            int n = 1 + rnd.nextInt(3);
            for (int i = 0; i < n; i++) {
                String path = "d" + rnd.nextInt(4) + "/f" + rnd.nextInt(10);
                long at = t + i;
                entries.add(rnd.nextInt(6) == 0 ? JournalEntry.delete(at, "t", path)
                        : JournalEntry.put(at, "t", file(path, b)));
                times.add(FileEntry.instant(at));
            }
            w.append(entries);
        }
        return times;
    }

    /** The tree at {@code at}: every change up to then applied in batch order (a delete takes its subtree). */
    private static Map<String, FileEntry> replay(List<JournalEntry> all, Instant at) {
        long t = FileEntry.nanos(at);
        TreeMap<String, FileEntry> state = new TreeMap<>();
        for (JournalEntry e : all) {
            if (e.timeNanos() > t) {
                continue;
            }
            if (e.isDelete()) {
                state.remove(e.path());
                state.keySet().removeIf(k -> k.startsWith(e.path() + "/"));
            } else {
                state.put(e.path(), e.entry());
            }
        }
        return state;
    }

    private Map<String, FileEntry> stateAt(Instant at) throws IOException {
        Map<String, FileEntry> out = new TreeMap<>();
        try (Entries en = AtTime.of(repo, at).entries(dev.tidemark.testing.TestContents.reader(repo), "t").open()) {
            for (FileEntry e = en.nextOrNull(); e != null; e = en.nextOrNull()) {
                out.put(e.path(), e);
            }
        }
        return out;
    }

    private int objects() throws IOException {
        return repo.store().list(JournalObject.PREFIX).size(); // this host's journal
    }

    @Test
    void compactionKeepsEveryVersionRestorableAtTheSameSecondsAndTheCountFollowsTheCalendar() throws Exception {
        JournalWriter w = JournalWriter.open(repo, lock);
        List<Instant> times = journal(w, 1500, 30, 1); // 1,500 batches over about 30 hours, three calendar days
        assertEquals(1500, objects());
        // The state at every change's time, at one second before it, and between changes.
        List<Instant> probes = new ArrayList<>();
        for (int i = 0; i < times.size(); i += 23) {
            probes.add(times.get(i));
            probes.add(times.get(i).minusNanos(1));
            probes.add(times.get(i).plusMillis(500));
        }
        // What each probe must show, replayed from one read of the journal as written (one object per batch).
        List<JournalEntry> all = new ArrayList<>();
        new Journal(repo).read(0, T0.plusSeconds(100 * 3600), all::add);
        List<Map<String, FileEntry>> before = new ArrayList<>();
        for (Instant p : probes) {
            before.add(replay(all, p));
        }
        assertEquals(before.get(before.size() / 2), stateAt(probes.get(probes.size() / 2)), "the replay is right");

        Instant end = times.get(times.size() - 1).plusSeconds(3);
        DeferredDeletes deletes = new DeferredDeletes(repo.store(), Clock.systemUTC(), lock);
        JournalCompactor c = new JournalCompactor(repo, w, deletes, new CompactionPolicy(4),
                Clock.fixed(end, ZoneOffset.UTC));
        while (c.compact() > 0) {
            deletes.deleteReady();
        }
        deletes.deleteReady();
        int after = objects();
        JournalCover cover = new Journal(repo).cover();
        assertEquals(0, cover.superseded().size(), "every merged input was deleted");
        // Past days: one object each; the open day: at most 4 hours + its merged part; the hour likewise; the minute.
        assertTrue(after <= 2 + 5 + 5 + 5, "objects after compaction: " + after + " " + cover.objects());
        assertEquals(1500, cover.lastSeq());
        for (int i = 0; i < probes.size(); i++) {
            assertEquals(before.get(i), stateAt(probes.get(i)), "state at " + probes.get(i));
        }
    }

    @Test
    void aReaderWithoutALeaseListsAgainWhenItsObjectIsMergedAwayAndSeesEachChangeOnceInOrder() throws Exception {
        // A store that, the first time a journal object is opened, merges the journal and deletes the inputs at
        // once (a reader without a lease: nothing waits for it) before the open goes through.
        AtomicBoolean struck = new AtomicBoolean();
        Store racing = new ForwardingStore(store) {
            @Override
            public InputStream open(String key) throws IOException {
                if (key.contains(JournalObject.PREFIX) && struck.compareAndSet(false, true)) {
                    JournalWriter w = JournalWriter.open(repo, lock);
                    DeferredDeletes now = new DeferredDeletes(repo.store(), Clock.systemUTC(), lock);
                    new JournalCompactor(repo, w, now, new CompactionPolicy(4),
                            Clock.fixed(T0.plusSeconds(40 * 3600), ZoneOffset.UTC)).compact();
                    assertTrue(now.pendingObjects() > 0);
                    assertEquals(now.pendingObjects(), now.deleteReady());
                }
                return super.open(key);
            }
        };
        JournalWriter w = JournalWriter.open(repo, lock);
        journal(w, 400, 3, 2);
        List<JournalEntry> expected = new ArrayList<>();
        new Journal(repo).read(0, T0.plusSeconds(100 * 3600), expected::add);

        Repository reader = Repository.open(racing);
        List<JournalEntry> seen = new ArrayList<>();
        new Journal(reader).read(0, T0.plusSeconds(100 * 3600), seen::add);
        assertTrue(struck.get());
        assertEquals(expected, seen, "every change once, in batch order, although the journal was merged under it");
    }

    @Test
    void deletionWaitsForTheReadersThatWereThereAndNotForLaterOnes() throws Exception {
        JournalWriter w = JournalWriter.open(repo, lock);
        journal(w, 40, 0.2, 3);
        try (Lease early = Lease.reader(store, Clock.systemUTC(), "tidemark restore")) {
            DeferredDeletes deletes = new DeferredDeletes(repo.store(), Clock.systemUTC(), lock);
            new JournalCompactor(repo, w, deletes, new CompactionPolicy(4),
                    Clock.fixed(T0.plusSeconds(86_400 * 2), ZoneOffset.UTC)).compact();
            int pending = deletes.pendingObjects();
            assertTrue(pending >= 40, "pending " + pending);
            try (Lease late = Lease.reader(store, Clock.systemUTC(), "tidemark verify")) {
                assertEquals(0, deletes.deleteReady(), "a reader from before the merge holds the inputs");
                assertEquals(List.of("pid " + ProcessHandle.current().pid()),
                        deletes.blockingReaders().stream().map(s -> s.substring(0, s.indexOf(" on "))).toList());
                early.close();
                assertEquals(pending, deletes.deleteReady(), "a reader that came after the merge does not");
            }
        }
        assertEquals(1, objects(), "two days later: one object for the whole journal");
    }
}
