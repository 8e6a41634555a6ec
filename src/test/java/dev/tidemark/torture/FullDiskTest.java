package dev.tidemark.torture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Shell;
import dev.tidemark.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk under the repository and under the state directory (a small tmpfs, as root): the command fails with
 * one line saying so, exit 1, nothing half-written (the repository verifies, no temp file is left, earlier points
 * restore), and once there is room again the next point goes through and restores exactly. The full restore target
 * is {@code RoundTripTest.aRestoreOntoAFullDiskCountsWhatLandedAndSaysEachFailureOnce}.
 */
class FullDiskTest {
    @TempDir
    Path tmp;

    /** A tmpfs of {@code mib} MiB at {@code dir}; the test is skipped where mounting is not allowed. */
    private static void mount(Path dir, int mib) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount");
        Files.createDirectories(dir);
        try {
            Shell.run("mount -t tmpfs -o size=" + mib + "m tmpfs '" + dir + "'");
        } catch (AssertionError e) {
            assumeTrue(false, "cannot mount here: " + e.getMessage());
        }
    }

    private static void grow(Path dir, int mib) throws Exception {
        Shell.run("mount -o remount,size=" + mib + "m '" + dir + "'");
    }

    private static void umount(Path dir) throws Exception {
        Shell.run("umount -l '" + dir + "'");
    }

    private static void fill(Path tree, int files, int size, long seed) throws Exception {
        Random r = new Random(seed);
        for (int i = 0; i < files; i++) {
            Trees.write(tree.resolve("crop-" + seed + "-" + i + ".jpg"), r, size);
        }
    }

    private static long tempFiles(Path repo) throws Exception {
        try (Stream<Path> s = Files.walk(repo)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    @Test
    void aFullRepositoryDiskFailsThePointInOneLineAndTheNextPointGoesThroughOnceThereIsRoom() throws Exception {
        Path mnt = tmp.resolve("repo-disk");
        mount(mnt, 6);
        try {
            Env env = new Env(tmp.resolve("env"), "facedata");
            env.repository = mnt.resolve("repo").toString();
            env.writeConfig("");
            fill(env.tree("facedata"), 20, 100_000, 1); // 2 MB: fits
            env.ok("init");
            env.ok("point", "--tag", "fits");
            fill(env.tree("facedata"), 60, 100_000, 2); // 6 MB more: does not

            Cli.Result full = env.cli("point");
            assertEquals(1, full.code(), full.toString());
            String err = full.err().strip();
            assertEquals(1, err.lines().count(), "one line: " + err);
            assertTrue(err.contains("No space left on device") || err.contains("no space left"), err);
            assertTrue(err.contains(mnt.toString()), "the message names where: " + err);
            assertEquals(0, tempFiles(mnt.resolve("repo")), "no temp file is left behind");
            Cli.Result verify = env.cli("verify", "--read-data");
            assertEquals(0, verify.code(), "nothing half-written: " + verify);
            Path first = tmp.resolve("first");
            env.ok("restore", "fits", "--to", first.toString());
            assertEquals(20, Trees.count(first.resolve("facedata")), "the point before is whole");

            grow(mnt, 64);
            env.ok("point", "--tag", "room");
            Path out = tmp.resolve("out");
            env.ok("restore", "room", "--to", out.toString());
            Trees.assertSame(env.tree("facedata"), out.resolve("facedata"));
            env.ok("verify", "--read-data");
        } finally {
            umount(mnt);
        }
    }

    @Test
    void aFullStateDiskFailsThePointInOneLineAndTheIndexRecovers() throws Exception {
        Path mnt = tmp.resolve("state-disk");
        mount(mnt, 16);
        try {
            Env env = new Env(tmp.resolve("env"), "facedata");
            Files.createDirectories(env.base);
            Path state = mnt.resolve("state");
            String config = Files.readString(env.configFile).replace(env.state.toString(), state.toString());
            Files.writeString(env.configFile, config);
            Random r = new Random(3);
            for (int i = 0; i < 3_000; i++) {
                Path p = env.tree("facedata").resolve("p" + (i % 300)).resolve("face-" + i + "-" + Long.toHexString(
                        r.nextLong()) + ".jpg");
                Files.createDirectories(p.getParent());
                Files.writeString(p, "crop " + i);
            }
            env.ok("init");
            // The disk full but for 8 KiB: the index cannot take the records of 3,000 files.
            Path filler = mnt.resolve("filler");
            long free = Files.getFileStore(mnt).getUsableSpace();
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(filler.toFile(), "rw")) {
                byte[] block = new byte[1 << 16];
                for (long left = free - (8 << 10); left > 0; left -= block.length) {
                    f.write(block, 0, (int) Math.min(block.length, left));
                }
            }
            Cli.Result full = env.cli("point");
            assertTrue(full.code() != 0, full.toString());
            String err = full.err().strip();
            assertTrue(err.lines().count() <= 2, "a line or two: " + err);
            assertTrue(err.toLowerCase(java.util.Locale.ROOT).contains("space"), err);
            assertTrue(full.out().isEmpty() || !full.out().contains("committed"), full.toString());
            assertEquals(0, env.cli("verify").code(), "the repository is sound");

            Files.delete(filler);
            env.ok("point");
            Path out = tmp.resolve("out");
            env.ok("restore", "latest", "--to", out.toString());
            Trees.assertSame(env.tree("facedata"), out.resolve("facedata"));
        } finally {
            umount(mnt);
        }
    }
}
