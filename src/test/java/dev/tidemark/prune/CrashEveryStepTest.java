package dev.tidemark.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.check.Checker;
import dev.tidemark.config.Retention;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.journal.CompactionPolicy;
import dev.tidemark.journal.Journal;
import dev.tidemark.journal.JournalCompactor;
import dev.tidemark.journal.JournalEntry;
import dev.tidemark.journal.JournalWriter;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.repo.store.Store;
import dev.tidemark.testing.CrashingStore;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.History;
import dev.tidemark.testing.Trees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash at every change compaction and prune make to the store (the change fails and so does everything after
 * it, as when the process is killed there): afterwards the repository verifies, every kept point restores as it did
 * before, the journal reads the same, and the next run converges.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CrashEveryStepTest {
    @TempDir
    Path tmp;

    /** What a crashed process leaves: its lock, stale for anyone else (its pid is gone). */
    private static void clearDeadLocks(Path repo) throws IOException {
        try (LocalDirStore store = new LocalDirStore(repo)) {
            store.delete(store.list(WriterLock.PREFIX));
        }
    }

    private static void quietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // the store is dead: closing may fail, as it would in a killed process
        }
    }

    /** Runs a prune (forget already done) against {@code store}; returns normally or with the crash. */
    private static void prune(Store store, Path state) throws IOException {
        Repository repo = Repository.open(store);
        WriterLock lock = WriterLock.acquire(store, Clock.systemUTC(), "tidemark prune");
        Index index = Index.open(state.resolve("index"), repo.id());
        try {
            PrunePlan plan = new Pruner(repo, index, Clock.systemUTC(), Progress.Mode.OFF).plan(
                    new Pruner.Options(new Retention.MaxUnused(0, -1), Long.MAX_VALUE, null));
            new PruneRun(plan, repo, index, lock, new DeferredDeletes(repo.store(), Clock.systemUTC(), lock)).runAll();
        } finally {
            index.close();
            quietly(lock);
        }
    }

    @Test
    void pruneCrashedAtEveryChangeLosesNothingAndTheNextPruneConverges() throws Exception {
        History h = History.build(tmp.resolve("h"), 150, 5, 0.25, 48 << 10, 7);
        h.env.ok("forget", "--keep-last", "2");
        Map<String, Path> before = h.restore(tmp.resolve("before"), h.points.subList(3, 5));
        Path pristine = h.copyTo(tmp.resolve("pristine"));

        // How many changes a prune makes here.
        Env count = new Env(tmp.resolve("count"), "t");
        History.copyTree(pristine, count.base);
        CrashingStore counter = new CrashingStore(new LocalDirStore(count.repo), 0);
        prune(counter, count.state);
        int changes = counter.changes();
        assertTrue(changes > 10, "a prune with work to do: " + changes + " changes");
        System.out.println("prune: crashing at each of its " + changes + " changes");

        for (int i = 1; i <= changes; i++) {
            Env e = new Env(tmp.resolve("trial-" + i), "t");
            History.copyTree(pristine, e.base);
            CrashingStore crashing = new CrashingStore(new LocalDirStore(e.repo), i);
            try {
                prune(crashing, e.state);
            } catch (IOException | RuntimeException expected) {
                // the crash
            }
            assertTrue(crashing.dead(), "trial " + i + " crashed");
            clearDeadLocks(e.repo);
            History.assertWholeAndConverging(e, before, "trial " + i);
            Trees.deleteRecursively(e.base);
        }
    }

    /** Builds a daemon-like repository: one small pack and one journal batch per change, over two hours. */
    private static List<JournalEntry> daemonHistory(Path repoDir, int batches) throws IOException {
        Files.createDirectories(repoDir);
        List<JournalEntry> all = new ArrayList<>();
        try (LocalDirStore store = new LocalDirStore(repoDir);
             WriterLock lock = WriterLock.acquire(store, Clock.systemUTC(), "test")) {
            Repository repo = Repository.init(store, Clock.systemUTC(), 1 << 20);
            JournalWriter w = JournalWriter.open(repo, lock);
            long t = FileEntry.nanos(Instant.parse("2026-11-21T08:50:00Z"));
            for (int b = 0; b < batches; b++) {
                byte[] content = ("crop " + b + " ").repeat(200 + b).getBytes(StandardCharsets.UTF_8);
                ContentKey k = repo.hasher().hash(content);
                try (PackWriter pw = new PackWriter(store, repo.hasher(), 1 << 20, x -> false, (id, bl) -> { })) {
                    pw.add(k, content.length, BlobCodec.encode(content, 0, content.length, true));
                    pw.flush();
                }
                t += 180_000_000_000L; // every 3 minutes
                FileEntry e = new FileEntry("faces/" + (b % 7) + ".jpg", EntryType.FILE, content.length, t, t, 0644, 0,
                        0, b, k, null);
                JournalEntry je = JournalEntry.put(t, "t", e);
                w.append(List.of(je));
                all.add(je);
            }
        }
        return all;
    }

    private static List<String> journal(Store store) throws IOException {
        List<String> out = new ArrayList<>();
        new Journal(Repository.open(store)).read(0, Instant.parse("2026-11-22T00:00:00Z"),
                e -> out.add(e.seq() + " " + e.timeNanos() + " " + e.path() + " " + e.entry().key()));
        return out;
    }

    /** Compaction as the daemon runs it, against {@code store}. */
    private static void compact(Store store, Path state) throws IOException {
        Repository repo = Repository.open(store);
        WriterLock lock = WriterLock.acquire(store, Clock.systemUTC(), "tidemark run");
        Index index = Index.open(state.resolve("index"), repo.id());
        try {
            dev.tidemark.index.IndexSync.syncPacks(repo, index);
            DeferredDeletes deletes = new DeferredDeletes(repo.store(), Clock.systemUTC(), lock);
            new JournalCompactor(repo, JournalWriter.open(repo, lock), deletes, new CompactionPolicy(4),
                    Clock.fixed(Instant.parse("2026-11-21T12:00:00Z"), ZoneOffset.UTC)).compact();
            PackCompactor packs = new PackCompactor(repo, index, deletes, lock, 4);
            packs.load();
            packs.compact();
            deletes.deleteReady();
        } finally {
            index.close();
            quietly(lock);
        }
    }

    @Test
    void compactionCrashedAtEveryChangeKeepsEveryJournaledVersionAndConverges() throws Exception {
        Path pristine = tmp.resolve("pristine");
        daemonHistory(pristine.resolve("repo"), 40);
        List<String> expected;
        try (LocalDirStore store = new LocalDirStore(pristine.resolve("repo"))) {
            expected = journal(store);
        }
        assertEquals(40, expected.size());
        Path count = tmp.resolve("count");
        History.copyTree(pristine, count);
        CrashingStore counter = new CrashingStore(new LocalDirStore(count.resolve("repo")), 0);
        compact(counter, count.resolve("state"));
        int changes = counter.changes();
        assertTrue(changes > 20, "compaction with work to do: " + changes + " changes");
        System.out.println("compaction: crashing at each of its " + changes + " changes");
        int objectsAfterClean;
        try (LocalDirStore store = new LocalDirStore(count.resolve("repo"))) {
            objectsAfterClean = dev.tidemark.testing.RepoKeys.journalObjects(store) + store.list("data/").size();
            assertEquals(expected, journal(store));
        }
        assertTrue(objectsAfterClean < 30, "80 objects compacted to " + objectsAfterClean);

        for (int i = 1; i <= changes; i++) {
            Path trial = tmp.resolve("trial-" + i);
            History.copyTree(pristine, trial);
            CrashingStore crashing = new CrashingStore(new LocalDirStore(trial.resolve("repo")), i);
            try {
                compact(crashing, trial.resolve("state"));
            } catch (IOException | RuntimeException expectedCrash) {
                // the crash
            }
            assertTrue(crashing.dead(), "trial " + i + " crashed");
            clearDeadLocks(trial.resolve("repo"));
            try (LocalDirStore store = new LocalDirStore(trial.resolve("repo"))) {
                assertEquals(expected, journal(store), "trial " + i + ": every change once, in order");
                Checker.Report r = new Checker(Repository.open(store), Progress.Mode.OFF).check(true);
                assertTrue(r.ok(), "trial " + i + ": " + r.damage());
            }
            compact(new LocalDirStore(trial.resolve("repo")), trial.resolve("state"));
            try (LocalDirStore store = new LocalDirStore(trial.resolve("repo"))) {
                assertEquals(expected, journal(store), "trial " + i + " after the next compaction");
                int objects = dev.tidemark.testing.RepoKeys.journalObjects(store) + store.list("data/").size();
                assertTrue(objects <= objectsAfterClean + 2, "trial " + i + ": converged to " + objects
                        + " objects (a clean run: " + objectsAfterClean + ")");
                Checker.Report r = new Checker(Repository.open(store), Progress.Mode.OFF).check(true);
                assertTrue(r.ok(), "trial " + i + " after the next compaction: " + r.damage() + " " + r.affected());
            }
            Trees.deleteRecursively(trial);
        }
    }
}
