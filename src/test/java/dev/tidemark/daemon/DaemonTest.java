package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.FileEntry;
import dev.tidemark.journal.Journal;
import dev.tidemark.journal.JournalEntry;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Trees;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon against real directories, a real inotify watcher, a real repository and index. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DaemonTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private Env env(String... trees) throws IOException {
        Env env = new Env(tmp, trees);
        env.writeConfig(Running.fastConfig());
        env.ok("init");
        return env;
    }

    private static void write(Path p, String s) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s);
    }

    private static long dataBytes(Path repo) throws IOException {
        Path data = repo.resolve("data");
        if (!Files.exists(data)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(data)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** Restores the latest state of a tree through the CLI (a second process's view) and compares every byte. */
    private static void assertRestoresExactly(Env env, String tree) throws IOException {
        Path out = env.base.resolve("restore-" + System.nanoTime());
        env.ok("restore", "--at", Instant.now().toString(), "--tree", tree, "--to", out.toString());
        Trees.assertSame(env.tree(tree), out.resolve(tree));
    }

    @Test
    void createModifyDeleteRenameAreReplicatedAndAMoveCopiesNothing() throws Exception {
        Env env = env("t");
        Path t = env.tree("t");
        write(t.resolve("keep.txt"), "keep");
        write(t.resolve("old.txt"), "old");
        write(t.resolve("gone.txt"), "gone");
        write(t.resolve("dir/a.txt"), "a");
        try (Running r = new Running(env)) {
            write(t.resolve("new.txt"), "new");
            write(t.resolve("old.txt"), "modified");
            Files.delete(t.resolve("gone.txt"));
            Files.createSymbolicLink(t.resolve("link"), Path.of("keep.txt"));
            r.awaitReplicated("t", WAIT);

            // Moves: a big file and a directory. Their content is in the repository already.
            Trees.big(t.resolve("big.bin"), 7, 3 << 20);
            r.awaitReplicated("t", WAIT);
            long before = dataBytes(env.repo);
            Files.move(t.resolve("big.bin"), t.resolve("big-moved.bin"));
            Files.move(t.resolve("dir"), t.resolve("dir-moved"));
            r.awaitReplicated("t", WAIT);
            assertEquals(before, dataBytes(env.repo), "a move within the tree stored content again");
            assertRestoresExactly(env, "t");
        }
    }

    @Test
    void aNewDirectoryFilledImmediatelyIsReplicatedWhole() throws Exception {
        Env env = env("t");
        Path t = env.tree("t");
        try (Running r = new Running(env)) {
            // Files land in the new directories before their watches can exist.
            for (int i = 0; i < 300; i++) {
                write(t.resolve("new/sub" + (i % 7) + "/deeper/f" + i), "content " + i);
            }
            r.awaitReplicated("t", WAIT);
            assertRestoresExactly(env, "t");
        }
    }

    @Test
    void aBurstOfTwentyThousandCreatesOverflowsTheWatcherAndEveryFileIsStillReplicated() throws Exception {
        Env env = env("t");
        Path t = env.tree("t");
        Files.createDirectories(t.resolve("burst"));
        try (Running r = new Running(env)) {
            // The listener stalls on the first event, as a busy one would: the creates behind it overflow the
            // watch's event queue, and directory-watcher reports that only as an exception.
            r.daemon.pauseListenerOnce(Duration.ofSeconds(2));
            byte[] b = new byte[64];
            for (int i = 0; i < 20_000; i++) {
                b[0] = (byte) i;
                b[1] = (byte) (i >> 8);
                Files.write(t.resolve("burst/f" + i), b);
            }
            r.awaitReplicated("t", Duration.ofMinutes(3));
            long overflows = (Long) r.daemon.status().get("watcherOverflows");
            assertTrue(overflows >= 1, "the burst should have overflowed the watcher; the test did not exercise it");
            assertEquals(20_000, Running.stateAt(r.repo, "t", Instant.now()).keySet().stream()
                    .filter(p -> p.startsWith("burst/")).count());
        }
    }

    @Test
    void changesMadeWhileStoppedAreFoundAtStart() throws Exception {
        Env env = env("t");
        Path t = env.tree("t");
        for (int i = 0; i < 50; i++) {
            write(t.resolve("d" + (i % 5) + "/f" + i), "v1 " + i);
        }
        try (Running r = new Running(env)) {
            r.awaitReplicated("t", WAIT);
        }
        // Stopped: change things.
        write(t.resolve("d0/f0"), "v2, longer than before");
        Files.delete(t.resolve("d1/f1"));
        Trees.deleteRecursively(t.resolve("d2"));
        write(t.resolve("d9/new"), "new");
        int pointsBefore = new PointStore(dev.tidemark.repo.Repository.open(
                new dev.tidemark.repo.store.LocalDirStore(env.repo))).ids().size();
        try (Running r = new Running(env)) {
            r.awaitReplicated("t", WAIT);
            // Caught up through the journal: the latest point is recent, so no new point was needed.
            assertEquals(pointsBefore, new PointStore(r.repo).ids().size());
            assertRestoresExactly(env, "t");
        }
    }

    @Test
    void aFileModifiedWhileBeingCopiedIsStoredWholeNeverTorn() throws Exception {
        Env env = env("t");
        Path t = env.tree("t");
        Path f = t.resolve("growing.bin");
        byte[] v1 = new byte[3 << 20];
        byte[] v2 = new byte[4 << 20];
        new Random(1).nextBytes(v1);
        new Random(2).nextBytes(v2);
        AtomicBoolean raced = new AtomicBoolean();
        // The first read of the file, after its first megabyte, finds it rewritten underneath.
        dev.tidemark.scan.SourceFiles racing = p -> {
            InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
            if (!p.getFileName().toString().equals("growing.bin") || raced.get()) {
                return in;
            }
            return new java.io.FilterInputStream(in) {
                long read;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    read += Math.max(n, 0);
                    if (read >= (1 << 20) && raced.compareAndSet(false, true)) {
                        Files.write(p, v2);
                    }
                    return n;
                }
            };
        };
        try (Running r = new Running(env, racing)) {
            Files.write(f, v1);
            r.awaitReplicated("t", WAIT);
            assertTrue(raced.get(), "the test did not race the read");
            ContentKey k1 = dev.tidemark.repo.ChunkedWriter.nameOf(r.repo, v1);
            ContentKey k2 = dev.tidemark.repo.ChunkedWriter.nameOf(r.repo, v2);
            for (JournalEntry e : Running.journal(r.repo, "t")) {
                if (e.path().equals("growing.bin") && !e.isDelete()) {
                    assertTrue(e.entry().key().equals(k1) || e.entry().key().equals(k2),
                            "journal holds a version the file never had: " + e.entry());
                }
            }
            assertEquals(k2, Running.stateAt(r.repo, "t", Instant.now()).get("growing.bin").key());
            assertRestoresExactly(env, "t");
        }
    }

    @Test
    void aRemovedTreeRootIsAnAlarmNotAMassDeletion() throws Exception {
        Env env = env("a", "b");
        Path a = env.tree("a");
        for (int i = 0; i < 100; i++) {
            write(a.resolve("crops/" + i + ".jpg"), "crop " + i);
        }
        write(env.tree("b").resolve("x"), "x");
        try (Running r = new Running(env)) {
            Trees.deleteRecursively(a);
            r.awaitMode("a", Daemon.Mode.SUSPENDED, WAIT);
            // The other tree keeps replicating.
            write(env.tree("b").resolve("y"), "y");
            r.awaitReplicated("b", WAIT);
            // No deletion of a's files was recorded, and its state is still whole.
            for (JournalEntry e : Running.journal(r.repo, "a")) {
                assertFalse(e.isDelete(), "recorded a deletion: " + e.path());
            }
            assertEquals(100, Running.stateAt(r.repo, "a", Instant.now()).values().stream()
                    .filter(FileEntry::isFile).count());
            // status reports the alarm and exits 1; a point is refused while the tree is away.
            Cli.Result st = env.cli("status");
            assertEquals(1, st.code(), st.toString());
            assertTrue(st.out().contains("ALARM"), st.toString());
            Cli.Result pt = env.cli("point");
            assertEquals(1, pt.code(), pt.toString());
            assertTrue(pt.err().contains("unavailable"), pt.toString());
            // An empty directory in its place (an unmounted disk's mount point) does not bring it back.
            Files.createDirectories(a);
            Thread.sleep(2500);
            assertEquals(Daemon.Mode.SUSPENDED, r.daemon.mode("a"));
            // The disk comes back: the tree is followed again.
            for (int i = 0; i < 100; i++) {
                write(a.resolve("crops/" + i + ".jpg"), "crop " + i);
            }
            write(a.resolve("crops/new.jpg"), "new");
            r.awaitReplicated("a", WAIT);
            assertEquals(Daemon.Mode.WATCHING, r.daemon.mode("a"));
        }
    }

    @Test
    void restoreAtATimeBetweenTwoPointsBringsBackThatSecond() throws Exception {
        Env env = env("t");
        Path t = env.tree("t");
        write(t.resolve("doc.txt"), "version 1");
        write(t.resolve("other.txt"), "other");
        try (Running r = new Running(env)) {
            RestorePoint p1 = r.daemon.pointNow(List.of("p1")).get(60, TimeUnit.SECONDS);
            Thread.sleep(20);
            write(t.resolve("doc.txt"), "version 2");
            r.awaitReplicated("t", WAIT);
            Instant between = Instant.now();
            Thread.sleep(20);
            write(t.resolve("doc.txt"), "version 3, the bad one");
            Files.delete(t.resolve("other.txt"));
            r.awaitReplicated("t", WAIT);
            Cli.Result p2 = env.ok("point", "-t", "p2"); // through the control socket
            assertTrue(p2.out().contains("by the running daemon"), p2.toString());
            assertTrue(new PointStore(r.repo).resolve("p2").time().isAfter(between));

            Path out = tmp.resolve("at-between");
            env.ok("restore", "--at", between.toString(), "--to", out.toString());
            assertEquals("version 2", Files.readString(out.resolve("t/doc.txt")));
            assertEquals("other", Files.readString(out.resolve("t/other.txt")));
            Path atP1 = tmp.resolve("at-p1");
            env.ok("restore", "--at", p1.time().toString(), "--to", atP1.toString());
            assertEquals("version 1", Files.readString(atP1.resolve("t/doc.txt")));
            Path latest = tmp.resolve("latest");
            env.ok("restore", "p2", "--to", latest.toString());
            assertEquals("version 3, the bad one", Files.readString(latest.resolve("t/doc.txt")));
            assertFalse(Files.exists(latest.resolve("t/other.txt")));
        }
    }

    @Test
    void aTreeWhoseWatchIsLostIsPolledAndStillReplicated() throws Exception {
        Env env = new Env(tmp, "t");
        env.writeConfig(Running.fastConfig().replace("\"maxDelay\": \"2s\"", "\"maxDelay\": \"2s\", \"poll\": \"1s\""));
        env.ok("init");
        Path t = env.tree("t");
        write(t.resolve("a"), "a");
        try (Running r = new Running(env)) {
            r.daemon.simulateWatchLost("t", new IOException("User limit of inotify watches reached"));
            r.awaitMode("t", Daemon.Mode.POLLING, WAIT);
            write(t.resolve("b/c"), "polled");
            Files.delete(t.resolve("a"));
            r.awaitReplicated("t", WAIT);
        }
    }

    @Test
    void excludedFilesStayOut() throws Exception {
        Env env = new Env(tmp, "t");
        env.writeConfig(Running.fastConfig() + "  \"exclude\": [\"*.tmp\", \".part\"],\n");
        env.ok("init");
        Path t = env.tree("t");
        try (Running r = new Running(env)) {
            write(t.resolve("save.tmp"), "half written");
            write(t.resolve("keep.txt"), "kept");
            Files.move(t.resolve("save.tmp"), t.resolve("saved.txt"));
            write(t.resolve("other.tmp"), "never");
            long deadline = System.nanoTime() + WAIT.toNanos();
            Map<String, FileEntry> s;
            do {
                Thread.sleep(100);
                s = Running.stateAt(r.repo, "t", Instant.now());
            } while (!(s.containsKey("keep.txt") && s.containsKey("saved.txt")) && System.nanoTime() < deadline);
            assertTrue(s.containsKey("saved.txt") && s.containsKey("keep.txt"), s.keySet().toString());
            assertFalse(s.containsKey("other.tmp") || s.containsKey("save.tmp"), s.keySet().toString());
        }
    }

    @Test
    void pointAndStatusTalkToTheRunningDaemon() throws Exception {
        Env env = env("t");
        write(env.tree("t").resolve("a"), "a");
        try (Running r = new Running(env)) {
            Cli.Result st = env.ok("status", "--json");
            assertTrue(st.out().contains("\"mode\":\"watching\""), st.toString());
            Cli.Result pt = env.ok("point", "-t", "before-upgrade");
            assertTrue(pt.out().contains("by the running daemon"), pt.toString());
            RestorePoint p = new PointStore(r.repo).resolve("before-upgrade");
            assertEquals(1, p.totals().files());
        }
        Cli.Result down = env.cli("status");
        assertEquals(1, down.code(), down.toString());
        assertTrue(down.out().contains("not running"), down.toString());
    }

    @Test
    void theJournalHoldsExactBytesOfEveryVersion() throws Exception {
        Env env = env("t");
        Path t = env.tree("t");
        try (Running r = new Running(env)) {
            write(t.resolve("f"), "one");
            r.awaitReplicated("t", WAIT);
            Instant afterOne = Instant.now();
            Thread.sleep(20);
            write(t.resolve("f"), "two!");
            r.awaitReplicated("t", WAIT);
            Path out = tmp.resolve("one");
            env.ok("restore", "--at", afterOne.toString(), "--to", out.toString());
            assertArrayEquals("one".getBytes(), Files.readAllBytes(out.resolve("t/f")));
        }
    }

    @Test
    void verifyChecksTheJournalAndNamesADamagedObject() throws Exception {
        Env env = env("t");
        Path t = env.tree("t");
        try (Running r = new Running(env)) {
            write(t.resolve("f"), "journaled content");
            r.awaitReplicated("t", WAIT);
        }
        Cli.Result ok = env.ok("verify");
        assertTrue(ok.out().contains("journal objects") && ok.out().contains("no damage"), ok.toString());
        Path seg;
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository repo = Repository.open(store);
            seg = env.repo.resolve(repo.objectKey(new Journal(repo).cover().objects().get(0).key()));
        }
        byte[] b = Files.readAllBytes(seg);
        b[b.length - 2] ^= 0x20;
        Files.write(seg, b);
        Cli.Result bad = env.cli("verify");
        assertEquals(3, bad.code(), bad.toString());
        assertTrue(bad.out().contains(seg.getFileName().toString()), bad.toString());
    }

    @Test
    void aFileWrittenContinuouslyIsCopiedAtLeastEveryMaxDelay() throws Exception {
        Env env = env("t"); // settle 100 ms, maxDelay 2 s
        Path log = env.tree("t").resolve("app.log");
        try (Running r = new Running(env)) {
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            int n = 0;
            // An append every 30 ms: the file never settles for 100 ms.
            while (System.nanoTime() < end) {
                Files.writeString(log, "line " + n++ + "\n", java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
                Thread.sleep(30);
            }
            long versions = Running.journal(r.repo, "t").stream()
                    .filter(e -> e.path().equals("app.log") && !e.isDelete()).count();
            // 5 s of writing with maxDelay 2 s: copied at about 2 s and 4 s, before the writer stopped.
            assertTrue(versions >= 2, "copied " + versions + " times while being written, expected 2");
            r.awaitReplicated("t", WAIT);
            assertRestoresExactly(env, "t");
        }
    }
}
