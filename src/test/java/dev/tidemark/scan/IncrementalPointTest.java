package dev.tidemark.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.config.Config;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.CountingStore;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Points;
import dev.tidemark.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A counting store proves that a point sends only what changed. */
class IncrementalPointTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondPointAfterOnePercentChangesSendsOnlyTheChangedContent() throws Exception {
        Env env = new Env(tmp, "facedata");
        Path src = env.tree("facedata");
        Random r = new Random(11);
        for (int i = 0; i < 2000; i++) {
            Trees.write(src.resolve(String.format("%03d/crop-%05d.jpg", i % 64, i)), r, 1000 + r.nextInt(9000));
        }
        // Files modified long ago: the index trusts them on the next point.
        Instant old = Instant.parse("2026-01-01T00:00:00Z");
        for (Path p : Trees.files(src)) {
            Trees.mtime(p, old);
        }
        env.ok("init");
        Config config = env.config();
        CountingStore store = new CountingStore(new LocalDirStore(env.repo));

        // Points are taken "30 s later" than the files were written, as in real use, so their records are trusted
        // (a file changed within 2 s of being read is read again next time: see racyFilesAreReadAgain).
        Clock later = Clock.offset(Clock.systemUTC(), java.time.Duration.ofSeconds(30));
        var first = Points.take(config, store, later);
        assertEquals(2000, first.point().totals().newFiles());
        long firstData = store.bytes("data");
        assertTrue(firstData > first.point().totals().bytes(), "the first point sends everything");

        // Change 1 % of the files.
        List<Path> files = Trees.files(src);
        long changedBytes = 0;
        for (int i = 0; i < 20; i++) {
            Path p = files.get(i * 100);
            int n = 1000 + r.nextInt(9000);
            Trees.write(p, r, n);
            changedBytes += n;
        }
        store.reset();
        var second = Points.take(config, store, later);

        assertEquals(20, second.point().totals().newFiles(), "only the changed files are new");
        assertEquals(20, second.point().totals().readFiles(), "only the changed files are read");
        assertEquals(changedBytes, second.point().totals().newBytes());
        long sent = store.bytes("data");
        // The changes are spread over the tree, so the manifest's chunks may all be new: at most the whole manifest.
        long manifest = dev.tidemark.testing.TestContents.storedBytes(
                dev.tidemark.repo.Repository.open(new LocalDirStore(env.repo)), second.point().trees().get(0).manifest());
        long overhead = 20L * BlobCodec.SEGMENT_HEADER + 64 + 20L * 40 + 64 * 40;
        assertTrue(sent >= changedBytes && sent <= changedBytes + manifest + overhead,
                "sent " + sent + " bytes of packs for " + changedBytes + " changed bytes and a manifest of " + manifest);
        assertEquals(2, store.objects("data"), "one pack of content, one of the manifest's chunks");
        assertEquals(1, store.objects("points"));

        // A third point with nothing changed sends no content and reuses the manifest.
        store.reset();
        var third = Points.take(config, store, later);
        assertEquals(0, third.point().totals().newFiles());
        assertEquals(0, third.point().totals().readFiles(), "nothing changed, nothing read");
        assertEquals(0, store.bytes("data"));
        assertEquals(0, store.objects("manifests"), "an unchanged tree's manifest is not written again");
        assertEquals(second.point().trees().get(0).manifest(), third.point().trees().get(0).manifest());
    }

    @Test
    void movedAndCopiedFilesAreNotStoredAgain() throws Exception {
        Env env = new Env(tmp, "t");
        Path src = env.tree("t");
        Trees.write(src.resolve("a/one.bin"), new Random(1), 50_000);
        env.ok("init");
        Config config = env.config();
        CountingStore store = new CountingStore(new LocalDirStore(env.repo));
        Points.take(config, store, Clock.systemUTC());
        Files.createDirectories(src.resolve("b"));
        Files.move(src.resolve("a/one.bin"), src.resolve("b/moved.bin"));
        Files.copy(src.resolve("b/moved.bin"), src.resolve("b/copy.bin"));
        store.reset();
        var p = Points.take(config, store, Clock.systemUTC());
        assertEquals(0, p.point().totals().newFiles());
        long manifest = dev.tidemark.testing.TestContents.storedBytes(
                dev.tidemark.repo.Repository.open(new LocalDirStore(env.repo)), p.point().trees().get(0).manifest());
        assertTrue(store.bytes("data") <= manifest + 200, "only the new manifest is sent: " + store.bytes("data"));
        assertEquals(2, p.point().totals().files());
    }
}
