package dev.tidemark.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Random trees through point and restore come back identical in bytes, mtimes, modes and links. */
class RoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void randomTreesWithOddNamesEmptyThingsLinksDeepPathsAndA100MegabyteFile() throws Exception {
        Env env = new Env(tmp, "faces", "qr");
        Trees.random(env.tree("faces"), 1, 400);
        Trees.random(env.tree("qr"), 2, 150);
        Trees.big(env.tree("qr").resolve("big-视频.bin"), 3, 100L << 20);
        Files.write(env.tree("qr").resolve("empty-file"), new byte[0]);
        Trees.mtime(env.tree("qr").resolve("big-视频.bin"), java.time.Instant.parse("2021-03-04T05:06:07.123456789Z"));

        env.ok("init");
        Cli.Result point = env.ok("point", "--tag", "first");
        assertTrue(point.out().contains("restore point"), point.out());

        Path out = tmp.resolve("restored");
        Cli.Result r = env.ok("restore", "latest", "--to", out.toString());
        assertTrue(r.out().contains("restored tree faces"), r.out());
        Trees.assertSame(env.tree("faces"), out.resolve("faces"));
        Trees.assertSame(env.tree("qr"), out.resolve("qr"));
        assertTrue(Files.isSymbolicLink(out.resolve("faces/link-relative")), "symlinks are restored as links");
        assertEquals(env.tree("qr").resolve("empty-dir"), Files.readSymbolicLink(out.resolve("qr/link-absolute")));
    }

    @Test
    void restoreRefusesANonEmptyTargetAndMirrorMakesItExact() throws Exception {
        Env env = new Env(tmp, "facedata");
        Path src = env.tree("facedata");
        Trees.random(src, 5, 120);
        env.ok("init");
        env.ok("point");

        Path target = tmp.resolve("target");
        Files.createDirectories(target.resolve("facedata/stale-dir/deeper"));
        Files.writeString(target.resolve("facedata/stale.jpg"), "crop with no row");
        Files.writeString(target.resolve("facedata/stale-dir/deeper/x"), "x");

        Cli.Result refused = env.cli("restore", "latest", "--to", target.toString());
        assertEquals(2, refused.code(), refused.toString());
        assertTrue(refused.err().contains("is not empty") && refused.err().contains("--mirror"), refused.err());
        assertTrue(Files.exists(target.resolve("facedata/stale.jpg")), "a refused restore touches nothing");

        Cli.Result dry = env.ok("restore", "latest", "--to", target.toString(), "--mirror", "--dry-run");
        assertTrue(dry.out().contains("would remove 2 extra entries"), dry.out());
        assertTrue(Files.exists(target.resolve("facedata/stale.jpg")), "a dry run touches nothing");

        env.ok("restore", "latest", "--to", target.toString(), "--mirror");
        assertFalse(Files.exists(target.resolve("facedata/stale.jpg")));
        assertFalse(Files.exists(target.resolve("facedata/stale-dir")));
        Trees.assertSame(src, target.resolve("facedata"));
    }

    @Test
    void disasterRestoreWithoutToPutsTheTreeBackExactlyWithMirror() throws Exception {
        Env env = new Env(tmp, "facedata");
        Path src = env.tree("facedata");
        Trees.random(src, 6, 80);
        env.ok("init");
        env.ok("point");
        Path snapshot = tmp.resolve("expected");
        env.ok("restore", "latest", "--to", snapshot.toString());

        // The photo app keeps working: new crops, deleted crops, a crop turned into a directory.
        Random r = new Random(9);
        Trees.write(src.resolve("new-crop.jpg"), r, 5000);
        Path victim = Trees.files(src).get(3);
        Files.delete(victim);
        Files.createDirectories(victim);
        Files.writeString(victim.resolve("inside"), "now a dir");

        Cli.Result refused = env.cli("restore", "latest");
        assertEquals(2, refused.code(), refused.toString());

        env.ok("restore", "latest", "--mirror");
        Trees.assertSame(snapshot.resolve("facedata"), src);
    }

    /** Files are written a window at a time, the windows growing: every file lands, across the windows' edges. */
    @Test
    void moreFilesThanTwoWindowsAllLand() throws Exception {
        Env env = new Env(tmp, "facedata");
        Path src = env.tree("facedata");
        int files = FileWindows.FIRST_WINDOW * 3 + 1; // windows of 4096 and 8192 files, then one
        Random r = new Random(11);
        for (int i = 0; i < files; i++) {
            Path p = src.resolve("p" + (i % 97)).resolve("crop" + i + ".jpg");
            Files.createDirectories(p.getParent());
            Trees.write(p, r, 20 + r.nextInt(400));
        }
        env.ok("init");
        env.ok("point");
        Path out = tmp.resolve("out");
        Cli.Result res = env.ok("restore", "latest", "--to", out.toString(), "--no-sync");
        Trees.assertSame(src, out.resolve("facedata"));
        assertTrue(res.out().contains(String.valueOf(files).replaceAll("(\\d)(?=(\\d{3})+$)", "$1,")), res.out());
    }

    @Test
    void pathFilterRestoresOnlyMatchingEntriesWithTheirParents() throws Exception {
        Env env = new Env(tmp, "qr");
        Path src = env.tree("qr");
        Files.createDirectories(src.resolve("config"));
        Files.writeString(src.resolve("config/settings.json"), "{\"default_error_correction\":\"H\"}");
        Files.createDirectories(src.resolve("output/qrcodes"));
        Trees.write(src.resolve("output/qrcodes/a.png"), new Random(1), 300);
        Trees.write(src.resolve("output/qrcodes/b.png"), new Random(2), 300);
        Trees.write(src.resolve("uploads/u.png"), new Random(3), 300);
        env.ok("init");
        env.ok("point");
        Path out = tmp.resolve("out");
        env.ok("restore", "latest", "--to", out.toString(), "--path", "output/**", "--path", "config");
        assertTrue(Files.exists(out.resolve("qr/config/settings.json")));
        assertTrue(Files.exists(out.resolve("qr/output/qrcodes/a.png")));
        assertFalse(Files.exists(out.resolve("qr/uploads")), "uploads were not asked for");
    }

    @Test
    void aRestoredFileIsNeverLeftHalfWrittenOrOutsideTheTarget() throws Exception {
        Env env = new Env(tmp, "t");
        Trees.random(env.tree("t"), 8, 30);
        env.ok("init");
        env.ok("point");
        Path out = tmp.resolve("o");
        env.ok("restore", "latest", "--to", out.toString());
        try (var s = Files.walk(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(Restorer.TEMP_PREFIX)),
                    "no temp files remain");
        }
        // The absolute symlink was restored as a link; nothing was written through it into the source.
        assertTrue(Files.isSymbolicLink(out.resolve("t/link-absolute")));
        try (var s = Files.list(env.tree("t").resolve("empty-dir"))) {
            assertEquals(0, s.count());
        }
    }

    /**
     * A restore in place first takes a point of what is there (a file never backed up was deleted silently before),
     * says what it will remove and how to go back, and going back brings it all again; --no-undo takes none.
     */
    @Test
    void anInPlaceRestoreTakesAnUndoPointFirstAndItBringsBackWhatWasReplaced() throws Exception {
        Env env = new Env(tmp, "qr");
        Path src = env.tree("qr");
        Files.writeString(src.resolve("settings.json"), "{\"v\": 1}");
        env.ok("init");
        env.ok("point", "--tag", "old");
        Files.writeString(src.resolve("settings.json"), "{\"v\": 2}");
        Files.writeString(src.resolve("never-backed-up.png"), "made after the last point");
        Path before = tmp.resolve("before");
        Process cp = new ProcessBuilder("cp", "-a", src.toString(), before.toString()).start();
        assertEquals(0, cp.waitFor());

        Cli.Result r = env.ok("restore", "old", "--mirror");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("undo point (\\S+) holds the trees as they were "
                + "before this restore; to go back: tidemark restore (\\S+) --mirror").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals(m.group(1), m.group(2));
        assertTrue(r.out().contains("tree qr: the restore removes 1 entries the point does not have (kept in the "
                + "undo point): never-backed-up.png\n"), r.out());
        assertFalse(Files.exists(src.resolve("never-backed-up.png")), "the restore itself did what it was asked");
        assertEquals("{\"v\": 1}", Files.readString(src.resolve("settings.json")));

        env.ok("restore", m.group(1), "--mirror", "--no-undo");
        Trees.assertSame(before, src);
        assertEquals(2, env.ok("points", "--json").out().split("\"id\"").length - 1, "--no-undo took no point");
    }

    /**
     * A restore onto a disk that fills up: the summary counts the files that landed (it counted every file tried:
     * "294 files" when 44 landed), each failure is reported once and names its reason without a Java class name,
     * and the exit code is 1. Needs a small file system: a 1 MiB tmpfs, mounted as root.
     */
    @Test
    void aRestoreOntoAFullDiskCountsWhatLandedAndSaysEachFailureOnce() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "mounting a small tmpfs needs root");
        Env env = new Env(tmp, "facedata");
        Path src = env.tree("facedata");
        Random r = new Random(4);
        for (int i = 0; i < 300; i++) {
            Trees.write(src.resolve("crop-" + i + ".jpg"), r, 8000);
        }
        env.ok("init");
        env.ok("point");
        Path small = tmp.resolve("small-disk");
        Files.createDirectories(small);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString())
                .redirectErrorStream(true).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0, "tmpfs cannot be mounted here");
        try {
            Cli.Result res = env.cli("restore", "latest", "--to", small.toString(), "--no-sync");
            assertEquals(1, res.code(), res.toString());
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("restored tree facedata of [^:]+: (\\d+) files")
                    .matcher(res.out());
            assertTrue(m.find(), res.out());
            long landed;
            try (java.util.stream.Stream<Path> s = Files.list(small.resolve("facedata"))) {
                landed = s.filter(p -> p.getFileName().toString().startsWith("crop-")).count();
            }
            assertTrue(landed > 0 && landed < 300, "the disk filled part-way: " + landed);
            assertEquals(landed, Long.parseLong(m.group(1)), "the summary counts what landed");
            assertTrue(res.err().contains((300 - landed) + " entries could not be restored"), res.err());
            assertFalse(res.out().contains("FAILED"), "failures are not printed a second time: " + res.out());
            String oneFailure = res.err().lines().filter(l -> l.toLowerCase().contains("not restored: no space left on device"))
                    .findFirst().orElseThrow(() -> new AssertionError("no failure named: " + res.err()));
            assertEquals(1, res.err().lines().filter(oneFailure::equals).count(), "each failure once");
            assertFalse(res.err().contains("Exception"), res.err());
        } finally {
            new ProcessBuilder("umount", small.toString()).start().waitFor();
        }
    }
}
