package dev.tidemark.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.config.Config;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.scan.SourceFiles;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Points;
import dev.tidemark.testing.Trees;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files rewritten in place, front to back, while points are taken. Every 4-byte word holds the number of the version
 * that wrote it, so any state the file is in at one instant reads as "version v+1 up to some offset, version v after
 * it": non-increasing, at most two versions. A read the writer overtook looks different (an older front, a newer
 * back, or three versions). Whatever the timing, a point must hold a state the file really had, or nothing.
 */
class TornReadTest {
    @TempDir
    Path tmp;

    @Test
    void filesRewrittenDuringAPointAreNeverStoredTorn() throws Exception {
        Env env = new Env(tmp, "t");
        Path small = env.tree("t").resolve("small.bin");
        Path large = env.tree("t").resolve("large.bin");
        int smallSize = 2 << 20;
        int largeSize = 24 << 20;
        Files.write(small, new byte[smallSize]);
        Files.write(large, new byte[largeSize]);
        env.ok("init");
        Config config = env.config();

        AtomicBoolean stop = new AtomicBoolean();
        Thread smallWriter = rewriter(small, smallSize, 64 << 10, stop);
        Thread largeWriter = rewriter(large, largeSize, 1 << 20, stop);
        int stored = 0;
        int reported = 0;
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            for (int i = 0; i < 8; i++) {
                var out = Points.take(config, store, Clock.systemUTC());
                stored += out.point().totals().files();
                reported += out.point().totals().unreadable();
                Path dest = tmp.resolve("r" + i);
                env.ok("restore", out.point().id(), "--to", dest.toString());
                for (String name : new String[] {"small.bin", "large.bin"}) {
                    Path p = dest.resolve("t").resolve(name);
                    if (Files.exists(p)) {
                        byte[] b = Files.readAllBytes(p);
                        assertEquals(name.equals("small.bin") ? smallSize : largeSize, b.length, name + " length");
                        assertInstantState(b, name + " in point " + out.point().id());
                    }
                }
            }
        } finally {
            stop.set(true);
            smallWriter.join();
            largeWriter.join();
        }
        assertTrue(stored + reported >= 16, "each file was stored or reported: stored " + stored + ", reported "
                + reported);
    }

    /**
     * Deterministic: the first read of each file is interrupted halfway by a rewrite. The scanner must notice and
     * store the new version whole (small files are read into memory, large ones streamed twice).
     */
    @Test
    void aRewriteHalfwayThroughTheReadIsDetectedAndTheFileReadAgain() throws Exception {
        Env env = new Env(tmp, "t");
        Path small = env.tree("t").resolve("small.bin");
        Path large = env.tree("t").resolve("large.bin");
        Files.write(small, filled(100_000, 1));
        Files.write(large, filled(20 << 20, 1));
        env.ok("init");
        java.util.Set<Path> interrupted = java.util.concurrent.ConcurrentHashMap.newKeySet();
        SourceFiles racing = changingHalfway(interrupted,
                p -> Files.write(p, filled((int) Files.size(p), 2))); // same size, new bytes
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            var out = Points.take(env.config(), store, Clock.systemUTC(), racing);
            assertEquals(2, interrupted.size(), "both reads were interrupted");
            assertEquals(2, out.point().totals().files());
            assertEquals(0, out.point().totals().unreadable());
        }
        Path dest = tmp.resolve("r");
        env.ok("restore", "latest", "--to", dest.toString());
        for (String name : new String[] {"small.bin", "large.bin"}) {
            byte[] b = Files.readAllBytes(dest.resolve("t").resolve(name));
            for (byte x : b) {
                assertEquals(2, x, name + " holds the new version whole");
            }
        }
    }

    /**
     * A small file is read to the size its lstat said and no further: one that grows while read (appended to after
     * half of it was read) or shrinks (cut to a third) must still be seen changed and stored as it ends up, whole.
     */
    @Test
    void aFileThatGrowsOrShrinksWhileReadIsReadAgainWhole() throws Exception {
        Env env = new Env(tmp, "t");
        Path grows = env.tree("t").resolve("grows.log");
        Path shrinks = env.tree("t").resolve("shrinks.log");
        Files.write(grows, filled(90_000, 1));
        Files.write(shrinks, filled(90_000, 1));
        env.ok("init");
        java.util.Set<Path> changed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        SourceFiles racing = changingHalfway(changed, p -> {
            if (p.equals(grows)) {
                Files.write(p, filled(10_000, 1), StandardOpenOption.APPEND);
            } else {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                    ch.truncate(30_000);
                }
            }
        });
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            // An hour on, so both files are older than the racy margin: read once, then the lstat decides.
            Clock later = Clock.offset(Clock.systemUTC(), java.time.Duration.ofHours(1));
            var out = Points.take(env.config(), store, later, racing);
            assertEquals(2, changed.size(), "both files changed while read");
            assertEquals(2, out.point().totals().files());
            assertEquals(0, out.point().totals().unreadable());
        }
        Path dest = tmp.resolve("r");
        env.ok("restore", "latest", "--to", dest.toString());
        assertEquals(100_000, Files.size(dest.resolve("t/grows.log")));
        assertEquals(30_000, Files.size(dest.resolve("t/shrinks.log")));
        Trees.assertSame(env.tree("t"), dest.resolve("t"));
    }

    /** The photo app deletes a crop between the walk seeing it and the scanner opening it: not an error. */
    @Test
    void aFileDeletedJustBeforeItIsReadIsLeftOutWithoutAProblem() throws Exception {
        Env env = new Env(tmp, "t");
        Path doomed = env.tree("t").resolve("doomed.jpg");
        Files.write(doomed, filled(5000, 7));
        Files.write(env.tree("t").resolve("kept.jpg"), filled(5000, 8));
        env.ok("init");
        SourceFiles deleting = p -> {
            if (p.getFileName().toString().equals("doomed.jpg")) {
                Files.deleteIfExists(p);
            }
            return SourceFiles.DEFAULT.open(p);
        };
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            var out = Points.take(env.config(), store, Clock.systemUTC(), deleting);
            assertEquals(1, out.point().totals().files());
            assertEquals(0, out.point().totals().unreadable());
            assertTrue(out.problems().isEmpty(), out.problems().toString());
        }
    }

    /** What a file undergoes while it is read. */
    private interface Change {
        void apply(Path p) throws java.io.IOException;
    }

    /**
     * Source files read 8 KiB at a time, each changed by {@code change} once half of it has been read (as its size
     * was then), the first time it is read; {@code changed} collects them.
     */
    private static SourceFiles changingHalfway(java.util.Set<Path> changed, Change change) {
        return p -> new java.io.FilterInputStream(SourceFiles.DEFAULT.open(p)) {
            final long half = Files.size(p) / 2;
            long read;

            @Override
            public int read(byte[] b, int off, int len) throws java.io.IOException {
                int n = super.read(b, off, Math.min(len, 8192));
                read += Math.max(n, 0);
                if (read >= half && changed.add(p)) {
                    change.apply(p);
                }
                return n;
            }
        };
    }

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    /** Non-increasing versions, at most two of them, one apart. */
    static void assertInstantState(byte[] b, String what) {
        ByteBuffer bb = ByteBuffer.wrap(b);
        int first = bb.getInt(0);
        int prev = first;
        for (int i = 0; i < b.length; i += 4) {
            int v = bb.getInt(i);
            if (v > prev || first - v > 1) {
                throw new AssertionError(what + " is torn: version " + v + " at offset " + i + " after " + prev
                        + " (first " + first + ")");
            }
            prev = v;
        }
    }

    /** Rewrites a file in place, front to back, over and over, in pieces of {@code piece} bytes. */
    private static Thread rewriter(Path file, int size, int piece, AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocate(size);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                for (int v = 1; !stop.get(); v++) {
                    b.clear();
                    while (b.hasRemaining()) {
                        b.putInt(v);
                    }
                    for (int off = 0; off < size; off += piece) {
                        ch.write(ByteBuffer.wrap(b.array(), off, piece), off);
                    }
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
