package dev.tidemark.torture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tidemark.daemon.Running;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.scan.DirectoryListing;
import dev.tidemark.scan.Excludes;
import dev.tidemark.scan.FileStat;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Shell;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.tidemark.testing.CapturedLog;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trees that fight back: special files, names the JVM cannot name, names and paths at the system's limits, symlinks
 * that loop or lead out, a directory swapped for a symlink mid-scan, files that grow, shrink and vanish while read,
 * and a tree on a read-only mount. Every case: recorded exactly, or left out with a warning naming it (and exit 5
 * when a file the user may care about is left out), never a crash and never something from outside the tree. The
 * clock stepping back is {@code ClockStepTest}; hostile manifests are {@code HostileManifestTest}.
 */
class HostileSourcesTest {
    @TempDir
    Path tmp;

    @RegisterExtension
    final CapturedLog log = new CapturedLog();

    private List<String> warnings() {
        return log.messages(ch.qos.logback.classic.Level.WARN);
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    @Test
    void socketsFifosAndDevicesAreSkippedWithAWarningNamingEach() throws Exception {
        Env env = new Env(tmp, "t");
        Path t = env.tree("t");
        Files.writeString(t.resolve("ok.txt"), "ok");
        Shell.run("cd '" + t + "' && mkfifo fifo && python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('sock')\""
                + (root() ? " && mknod null-dev c 1 3" : ""));
        env.ok("init");
        Cli.Result r = env.ok("point");
        assertTrue(r.out().contains("1 files"), r.out());
        List<String> w = warnings();
        assertTrue(w.stream().anyMatch(s -> s.contains("fifo: a FIFO (named pipe)") && s.contains("skipped")), w.toString());
        assertTrue(w.stream().anyMatch(s -> s.contains("sock: a socket") && s.contains("skipped")), w.toString());
        if (root()) {
            assertTrue(w.stream().anyMatch(s -> s.contains("null-dev: a character device")), w.toString());
        }
        Path out = tmp.resolve("out");
        env.ok("restore", "latest", "--to", out.toString());
        try (var s = Files.list(out.resolve("t"))) {
            assertEquals(List.of("ok.txt"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aNameThatIsNotUtf8IsLeftOutNamedAndThePointSaysItIsIncomplete() throws Exception {
        Env env = new Env(tmp, "t");
        Path t = env.tree("t");
        Files.writeString(t.resolve("ok.txt"), "ok");
        Shell.run("cd '" + t + "' && printf 'latin-1' > \"$(printf 'caf\\351.txt')\"");
        env.ok("init");
        Cli.Result r = env.cli("point");
        assertEquals(5, r.code(), r.toString());
        assertTrue(r.err().contains("left out: t: caf") && r.err().contains(
                "file name is not valid UTF-8 and cannot be backed up; rename it"), r.toString());
        assertTrue(r.err().contains("is incomplete"), r.err());
        Path out = tmp.resolve("out");
        env.ok("restore", "latest", "--to", out.toString());
        assertEquals("ok", Files.readString(out.resolve("t/ok.txt")));
    }

    @Test
    void longNamesAndDeepPathsUpToTheSystemsLimitRestoreExactlyAndDeeperOnesAreNamed() throws Exception {
        Env env = new Env(tmp, "t");
        Path t = env.tree("t");
        String longAscii = "L".repeat(255);
        String longUtf8 = "é".repeat(127); // 254 bytes
        Files.writeString(t.resolve(longAscii), "ascii");
        Files.writeString(t.resolve(longUtf8), "utf8");
        // Deep, and still within PATH_MAX (4,096 bytes) for the source and for the (shorter) restore target.
        int levels = (4000 - t.toString().length()) / 2 - 10;
        Path deep = t.resolve("deep");
        StringBuilder rel = new StringBuilder("deep");
        for (int i = 0; i < levels; i++) {
            rel.append("/d");
        }
        Path dir = t;
        for (String name : rel.toString().split("/")) {
            dir = Files.createDirectory(dir.resolve(name)); // one level at a time: createDirectories is quadratic
        }
        Files.writeString(t.resolve(rel + "/leaf.txt"), "deep leaf");
        // Deeper than any path can name: 2,100 levels, made one directory at a time (Java needs whole paths).
        Shell.run("cd '" + t + "' && python3 -c \"import os\nfd=os.open('.', os.O_RDONLY)\nfor n in ['deeper']+['d']*2100:\n"
                + "    os.mkdir(n, dir_fd=fd); nfd=os.open(n, os.O_RDONLY, dir_fd=fd); os.close(fd); fd=nfd\n"
                + "f=os.open('beyond.txt', os.O_WRONLY|os.O_CREAT, dir_fd=fd); os.write(f, b'beyond'); os.close(f)\"");
        try {
            deepTreeTakesAPointAndRestores(env, rel.toString(), deep, longAscii, longUtf8);
        } finally {
            // rm walks by directory handles; JUnit's clean-up cannot reach below PATH_MAX and is quadratic above it
            Shell.run("rm -rf '" + t.resolve("deeper") + "' '" + deep + "' '" + tmp.resolve("o") + "'");
        }
    }

    private void deepTreeTakesAPointAndRestores(Env env, String rel, Path deep, String longAscii, String longUtf8)
            throws Exception {
        env.ok("init");
        Cli.Result r = env.cli("point");
        assertEquals(5, r.code(), "no crash, one thing left out: " + r);
        assertTrue(r.err().contains("left out: t: deeper/d/d/d") && r.err().contains("file name too long"), r.toString());

        Path out = tmp.resolve("o");
        Cli.Result restored = env.cli("restore", "latest", "--to", out.toString());
        assertEquals(0, restored.code(), restored.toString());
        assertEquals("ascii", Files.readString(out.resolve("t").resolve(longAscii)));
        assertEquals("utf8", Files.readString(out.resolve("t").resolve(longUtf8)));
        assertEquals("deep leaf", Files.readString(out.resolve("t").resolve(rel + "/leaf.txt")));
        assertTrue(Files.isDirectory(deep));
    }

    @Test
    void symlinksThatLoopOrLeadOutAreRecordedAsLinksAndNeverFollowed() throws Exception {
        Env env = new Env(tmp, "t");
        Path t = env.tree("t");
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("secret.txt"), "not in the tree");
        Files.createSymbolicLink(t.resolve("loop1"), Paths.get("loop2"));
        Files.createSymbolicLink(t.resolve("loop2"), Paths.get("loop1"));
        Files.createSymbolicLink(t.resolve("self"), Paths.get("."));
        Files.createSymbolicLink(t.resolve("up"), Paths.get(".."));
        Files.createSymbolicLink(t.resolve("out"), outside);
        env.ok("init");
        Cli.Result r = env.ok("point");
        assertTrue(r.out().contains("0 files"), r.out());
        Path out = tmp.resolve("restored");
        env.ok("restore", "latest", "--to", out.toString());
        for (String link : List.of("loop1", "loop2", "self", "up", "out")) {
            Path p = out.resolve("t").resolve(link);
            assertTrue(Files.isSymbolicLink(p), link);
            assertEquals(Files.readSymbolicLink(t.resolve(link)), Files.readSymbolicLink(p), link);
        }
        try (var s = Files.list(outside)) {
            assertEquals(List.of("secret.txt"), s.map(p -> p.getFileName().toString()).toList(), "nothing written outside");
        }
    }

    /** The guard itself, deterministically: a directory swapped for a symlink after it was seen lists as nothing. */
    @Test
    void aDirectorySwappedForASymlinkAfterItWasSeenIsNotFollowed() throws Exception {
        Path t = tmp.resolve("t");
        Path a = t.resolve("a");
        Files.createDirectories(a);
        Files.writeString(a.resolve("mine.txt"), "mine");
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("secret.txt"), "secret");
        FileStat seen = FileStat.lstat(a);
        Files.move(a, t.resolve("a.old"));
        Files.createSymbolicLink(a, outside);
        List<String> leftOut = new ArrayList<>();
        List<DirectoryListing.Child> children = DirectoryListing.list(a, seen, "a", new Excludes(List.of()),
                (p, why) -> leftOut.add(p + ": " + why));
        assertEquals(List.of(), children);
        assertEquals(1, leftOut.size(), leftOut.toString());
        assertTrue(leftOut.get(0).startsWith("a: was replaced while it was being read"), leftOut.toString());
    }

    /** The same race for real: points while a directory keeps being swapped for a symlink to a directory outside. */
    @Test
    void pointsWhileADirectoryIsSwappedForASymlinkNeverHoldWhatIsOutside() throws Exception {
        Env env = new Env(tmp, "t");
        Path t = env.tree("t");
        Path a = t.resolve("a");
        Files.createDirectories(a);
        for (int i = 0; i < 300; i++) {
            Files.writeString(a.resolve("mine-" + i + ".txt"), "mine " + i);
        }
        for (int d = 0; d < 100; d++) { // walked after the root's listing saw 'a' and before 'a' is walked
            Path before = Files.createDirectories(t.resolve("0-before-" + d));
            for (int i = 0; i < 10; i++) {
                Files.writeString(before.resolve("f" + i), "before " + d + " " + i);
            }
        }
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        for (int i = 0; i < 300; i++) {
            Files.writeString(outside.resolve("secret-" + i + ".txt"), "secret " + i);
        }
        env.ok("init");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger swaps = new AtomicInteger();
        Thread swapper = new Thread(() -> {
            Path parked = t.resolve(".a-parked");
            while (!stop.get()) {
                try {
                    Files.move(a, parked);
                    Files.createSymbolicLink(a, outside);
                    Thread.sleep(3); // half the time a symlink, half the time the directory
                    Files.delete(a);
                    Files.move(parked, a);
                    Thread.sleep(3);
                    swaps.incrementAndGet();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        });
        swapper.start();
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                Cli.Result r = env.cli("point", "--allow-empty");
                assertTrue(r.code() == 0 || r.code() == 5, r.toString());
                ids.add(r.out().lines().filter(l -> l.startsWith("restore point ")).findFirst().orElseThrow()
                        .split(" ")[2]);
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertTrue(swaps.get() > 12, "swaps: " + swaps.get());
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository repo = Repository.open(store);
            for (String id : ids) {
                java.util.Set<String> paths = stateOf(repo, id).keySet();
                assertTrue(paths.stream().noneMatch(p -> p.contains("secret")), id + ": " + paths);
            }
        }
    }

    /** What point {@code id} holds of tree "t", path by path. */
    private static Map<String, FileEntry> stateOf(Repository repo, String id) throws IOException {
        return Running.stateAt(repo, "t", new dev.tidemark.point.PointStore(repo).load(id).time());
    }

    /**
     * Files that grow, shrink and vanish while points read them. Byte i of every version is the same function of
     * i, so a state the file really had is a prefix of the pattern; a point must hold such a prefix, of the length
     * its manifest gives, or leave the file out, and never fail.
     */
    @Test
    void filesThatGrowShrinkOrVanishWhileReadAreStoredAsAStateTheyHadOrLeftOut() throws Exception {
        Env env = new Env(tmp, "t");
        Path t = env.tree("t");
        byte[] pattern = new byte[6 << 20];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i * 31 + (i >>> 9));
        }
        List<String> names = List.of("grows.bin", "shrinks.bin", "vanishes.bin");
        for (String n : names) {
            Files.write(t.resolve(n), pattern);
        }
        env.ok("init");
        AtomicBoolean stop = new AtomicBoolean();
        Thread changer = new Thread(() -> {
            Random r = new Random(5);
            while (!stop.get()) {
                try {
                    try (RandomAccessFile f = new RandomAccessFile(t.resolve("grows.bin").toFile(), "rw")) {
                        long len = f.length() >= pattern.length ? 0 : f.length();
                        f.setLength(len);
                        int add = (int) Math.min(pattern.length - len, 256 << 10);
                        f.seek(len);
                        f.write(pattern, (int) len, add);
                    }
                    try (RandomAccessFile f = new RandomAccessFile(t.resolve("shrinks.bin").toFile(), "rw")) {
                        long len = f.length() < (1 << 20) ? pattern.length : f.length() - r.nextInt(512 << 10);
                        if (len > f.length()) {
                            f.seek(f.length());
                            f.write(pattern, (int) f.length(), (int) (len - f.length()));
                        }
                        f.setLength(len);
                    }
                    Path v = t.resolve("vanishes.bin");
                    if (Files.exists(v)) {
                        Files.delete(v);
                    } else {
                        Files.write(v, java.util.Arrays.copyOf(pattern, 1 + r.nextInt(pattern.length - 1)));
                    }
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
        });
        changer.start();
        int stored = 0;
        try {
            for (int i = 0; i < 8; i++) {
                Cli.Result r = env.cli("point");
                // Left out when it changed at every attempt to read it, saying so: exit 5, and nothing else wrong.
                assertTrue(r.code() == 0 || r.code() == 5, r.toString());
                assertTrue(r.err().lines().filter(l -> l.startsWith("  left out: "))
                        .allMatch(l -> l.contains("kept changing while being read")), r.toString());
                String id = r.out().lines().filter(l -> l.startsWith("restore point ")).findFirst().orElseThrow()
                        .split(" ")[2];
                Path out = tmp.resolve("r" + i);
                env.ok("restore", id, "--to", out.toString());
                try (LocalDirStore store = new LocalDirStore(env.repo)) {
                    Map<String, FileEntry> m = stateOf(Repository.open(store), id);
                    for (String n : names) {
                        Path p = out.resolve("t").resolve(n);
                        FileEntry e = m.get(n);
                        assertEquals(e != null, Files.exists(p), n);
                        if (e == null) {
                            continue;
                        }
                        byte[] b = Files.readAllBytes(p);
                        assertEquals(e.size(), b.length, n + " in " + id + ": its length is the one recorded");
                        assertArrayEquals(java.util.Arrays.copyOf(pattern, b.length), b, n + " in " + id);
                        assertEquals(EntryType.FILE, e.type());
                        stored++;
                    }
                }
            }
        } finally {
            stop.set(true);
            changer.join();
        }
        assertTrue(stored >= 12, "files stored: " + stored);
    }

    /** A tree on a read-only mount: points work; a restore into it fails in one line per file, and nothing else. */
    @Test
    void aTreeOnAReadOnlyMountIsBackedUpAndARestoreIntoItSaysWhyItCannot() throws Exception {
        assumeTrue(root(), "needs root to mount");
        Path mnt = tmp.resolve("ro");
        Files.createDirectories(mnt);
        try {
            Shell.run("mount -t tmpfs -o size=8m tmpfs '" + mnt + "'");
        } catch (AssertionError e) {
            assumeTrue(false, "cannot mount here: " + e.getMessage());
        }
        try {
            Files.createDirectories(mnt.resolve("t"));
            for (int i = 0; i < 20; i++) {
                Files.writeString(mnt.resolve("t/f" + i + ".txt"), "file " + i);
            }
            Shell.run("mount -o remount,ro '" + mnt + "'");
            Files.createDirectories(tmp.resolve("env"));
            Env env = new Env(tmp.resolve("env"));
            env.trees.put("t", mnt.resolve("t"));
            env.writeConfig("");
            env.ok("init");
            env.ok("point");
            Cli.Result r = env.cli("restore", "latest", "--mirror", "--no-undo");
            assertTrue(r.code() != 0, r.toString());
            assertTrue(r.err().toLowerCase(java.util.Locale.ROOT).contains("read-only"), r.toString());
            assertTrue(r.err().lines().count() <= 25, "one line per problem at most:\n" + r.err());
            Path out = tmp.resolve("out");
            env.ok("restore", "latest", "--to", out.toString());
            assertEquals("file 7", Files.readString(out.resolve("t/f7.txt")));
        } finally {
            Shell.run("umount '" + mnt + "'");
        }
    }
}
