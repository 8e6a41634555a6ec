package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.journal.Journal;
import dev.tidemark.journal.JournalEntry;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Points;
import dev.tidemark.testing.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's restore points: sealed from the journal, and what a restart journals. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DaemonPointTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private Env env() throws IOException {
        Env env = new Env(tmp, "t");
        env.writeConfig(Running.fastConfig());
        env.ok("init");
        return env;
    }

    private static void write(Path p, String s) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s);
    }

    private static List<FileEntry> manifest(Repository repo, TreeSnapshot t) throws IOException {
        List<FileEntry> out = new ArrayList<>();
        try (ManifestReader r = new ManifestReader(dev.tidemark.testing.TestContents.reader(repo), t.manifest())) {
            for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                out.add(e);
            }
        }
        return out;
    }

    /** The entries of {@code x} that {@code y} does not have (for a failure's message). */
    private static List<FileEntry> only(List<FileEntry> x, List<FileEntry> y) {
        Set<FileEntry> in = new java.util.HashSet<>(y);
        return x.stream().filter(e -> !in.contains(e)).toList();
    }

    @Test
    void aRestartJournalsExactlyWhatChangedWhileStopped() throws Exception {
        Env env = env();
        Path t = env.tree("t");
        for (int i = 0; i < 40; i++) {
            write(t.resolve("d" + (i % 8) + "/f" + i), "v1 " + i);
        }
        Files.createDirectories(t.resolve("empty"));
        Files.createSymbolicLink(t.resolve("link"), Path.of("d0/f0"));
        try (Running r = new Running(env)) {
            r.awaitReplicated("t", WAIT);
        }
        long before;
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            before = new Journal(Repository.open(store)).lastSeq();
        }
        // Stopped: a symlink and an empty directory go, one file changes.
        Files.delete(t.resolve("link"));
        Files.delete(t.resolve("empty"));
        write(t.resolve("d3/f3"), "v2, longer");
        try (Running r = new Running(env)) {
            r.awaitReplicated("t", WAIT); // "extra link" or "extra empty" until their deletions are journaled
            Set<String> journaled = new TreeSet<>();
            new Journal(r.repo).readAfter(before, e -> journaled.add((e.isDelete() ? "del " : "put ") + e.path()));
            // Exactly the differences: not every directory again. The root's mtime changed with its entries.
            assertEquals(new TreeSet<>(List.of("del empty", "del link", "put d3/f3", "put .")), journaled);
        }
    }

    @Test
    void aPointFromTheJournalEqualsAWalkedPointOfTheSameMomentEntryForEntry() throws Exception {
        Env env = env();
        Path t = env.tree("t");
        Trees.random(t, 7, 300);
        Files.createSymbolicLink(t.resolve("link"), Path.of("nowhere"));
        RestorePoint fromJournal;
        try (Running r = new Running(env)) {
            r.awaitReplicated("t", WAIT);
            // Changes of every kind, then a point asked of the daemon at once (some still settling, some not yet
            // reported by the file system: the point waits for them, ChangeQueueTest).
            List<Path> files = Trees.files(t);
            for (int i = 0; i < files.size(); i += 10) {
                Files.writeString(files.get(i), "changed " + i);
            }
            for (int i = 5; i < files.size(); i += 25) {
                Files.deleteIfExists(files.get(i));
            }
            write(t.resolve("new/deep/er/file"), "new");
            Files.createDirectories(t.resolve("new/empty"));
            Files.createSymbolicLink(t.resolve("new/link"), Path.of("../link"));
            Files.delete(t.resolve("link"));
            Files.move(t.resolve("new/deep"), t.resolve("moved"));
            fromJournal = r.daemon.pointNow(List.of("test")).get(60, TimeUnit.SECONDS);
            assertEquals(RestorePoint.JOURNAL, fromJournal.sealed(), "a running daemon's point is sealed from the journal");
            assertEquals(fromJournal.id(), r.daemon.status().get("lastPoint"));
        }
        // The daemon is stopped; nothing changed since its point. A walk must find exactly the same.
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository repo = Repository.open(store);
            RestorePoint walked = Points.take(env.config(), store, Clock.systemUTC()).point();
            assertEquals(RestorePoint.WALK, walked.sealed());
            List<FileEntry> a = manifest(repo, fromJournal.tree("t"));
            List<FileEntry> b = manifest(repo, walked.tree("t"));
            assertEquals(b.size(), a.size(), () -> "entries; only walked: " + only(b, a) + ", only journaled: "
                    + only(a, b));
            for (int i = 0; i < a.size(); i++) {
                assertEquals(b.get(i), a.get(i), "entry " + i);
            }
            assertEquals(walked.totals().files(), fromJournal.totals().files());
            assertEquals(walked.totals().bytes(), fromJournal.totals().bytes());
            assertEquals(walked.totals().dirs(), fromJournal.totals().dirs());
            assertTrue(fromJournal.totals().readFiles() > 0 && fromJournal.totals().readFiles() < 100,
                    "read = files the journal changed: " + fromJournal.totals());
        }
        Path out = tmp.resolve("out");
        env.ok("restore", fromJournal.id(), "--to", out.toString(), "--no-sync");
        Trees.assertSame(t, out.resolve("t"));
    }

    @Test
    void requestsArrivingDuringShutdownFailFastAndNoneHangs() throws Exception {
        Env env = env();
        Files.writeString(env.tree("t").resolve("f"), "x");
        Running r = new Running(env);
        List<java.util.concurrent.CompletableFuture<?>> asked = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread client = new Thread(() -> {
            while (!done.get()) {
                asked.add(r.daemon.submit(() -> 1));
                Thread.onSpinWait();
            }
        });
        client.start();
        Thread.sleep(200);
        r.close(); // stop, and wait for run() to return
        done.set(true);
        client.join();
        long refused = 0;
        for (java.util.concurrent.CompletableFuture<?> f : asked) {
            try {
                f.get(10, TimeUnit.SECONDS); // a TimeoutException here is a client left hanging
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause().getMessage().contains("the daemon is stopping"), e.getCause().getMessage());
                refused++;
            }
        }
        assertTrue(refused > 0, "some requests came after the stop");
        java.util.concurrent.CompletableFuture<RestorePoint> late = r.daemon.pointNow(List.of());
        assertTrue(late.isCompletedExceptionally(), "a point asked of a stopped daemon fails at once");
    }
}
