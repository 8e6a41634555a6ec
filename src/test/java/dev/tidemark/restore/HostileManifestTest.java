package dev.tidemark.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestWriter;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.Totals;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whatever a manifest says, restore writes nothing outside its target. */
class HostileManifestTest {
    @TempDir
    Path tmp;

    @Test
    void dotDotAndAbsolutePathsAndSymlinkedDirectoriesCannotEscapeTheTarget() throws Exception {
        Env env = new Env(tmp, "t");
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        byte[] evil = "evil".getBytes(StandardCharsets.UTF_8);
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Files.createDirectories(env.repo);
            Repository repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
            ContentKey key = repo.hasher().hash(evil);
            try (PackWriter pw = new PackWriter(store, repo.hasher(), 1 << 20, k -> false, (id, blobs) -> { })) {
                pw.add(key, evil.length, BlobCodec.encode(evil, 0, evil.length, false));
                pw.flush();
            }
            long t = System.currentTimeMillis() * 1_000_000L;
            String manifestKey;
            try (dev.tidemark.repo.PackWriter mwPacks = dev.tidemark.testing.TestContents.packs(repo);
                 ManifestWriter mw = new ManifestWriter(repo, mwPacks, "t")) {
                mw.add(dir(".", t));
                mw.add(new FileEntry(outside.resolve("absolute.txt").toString(), EntryType.FILE, evil.length, t, t,
                        0644, 0, 0, 5, key, null));
                mw.add(new FileEntry("../escape.txt", EntryType.FILE, evil.length, t, t, 0644, 0, 0, 1, key, null));
                mw.add(new FileEntry("link", EntryType.SYMLINK, 0, t, t, 0777, 0, 0, 2, null, outside.toString()));
                mw.add(new FileEntry("link/evil.txt", EntryType.FILE, evil.length, t, t, 0644, 0, 0, 3, key, null));
                mw.add(new FileEntry("ok.txt", EntryType.FILE, evil.length, t, t, 0644, 0, 0, 4, key, null));
                manifestKey = mw.finish();
                mwPacks.flush();
            }
            PointStore points = new PointStore(repo);
            Instant now = Instant.now();
            try (WriterLock lock = WriterLock.acquire(store, Clock.systemUTC(), "test")) {
                points.save(new RestorePoint(RestorePoint.FORMAT, points.newId(now), now, "h", List.of(),
                        List.of(new TreeSnapshot("t", env.tree("t").toString(), manifestKey, Totals.ZERO)),
                        Totals.ZERO, 0, 0L, null), lock);
            }
        }

        Path target = tmp.resolve("target");
        Cli.Result r = env.cli("restore", "latest", "--to", target.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("unsafe path"), r.toString());
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(0, s.count(), "nothing was written through the symlink");
        }
        assertFalse(Files.exists(target.resolve("escape.txt")));
        assertFalse(Files.exists(tmp.resolve("escape.txt")));
        assertTrue(Files.isSymbolicLink(target.resolve("t/link")));
        assertEquals("evil", Files.readString(target.resolve("t/ok.txt")), "the sane entries are restored");
    }

    private static FileEntry dir(String path, long t) {
        return new FileEntry(path, EntryType.DIR, 0, t, t, 0755, 0, 0, 9, null, null);
    }
}
