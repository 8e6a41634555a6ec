package dev.tidemark.point;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A manifest read as lines gives the same paths, types and sizes as parsing it, and copies byte for byte. */
class ManifestLinesTest {
    @TempDir
    Path tmp;

    @Test
    void linesAgreeWithTheParsedEntriesAndACopyIsTheSameManifest() throws Exception {
        Files.createDirectories(tmp.resolve("repo"));
        try (LocalDirStore store = new LocalDirStore(tmp.resolve("repo"))) {
            Repository repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
            // Names that need escapes in JSON, non-ASCII, and long ones: the slow path and the fast path.
            TreeSet<String> paths = new TreeSet<>(PathOrder::compare);
            paths.addAll(List.of("a\"quote", "back\\slash", "tab\there", "照片/人脸.jpg", "😀/smile", "ctl\u0001x",
                    "plain/file.jpg", "x".repeat(3000), "d", "d/link"));
            List<FileEntry> entries = new ArrayList<>();
            entries.add(new FileEntry(FileEntry.ROOT, EntryType.DIR, 0, 1, 2, 0755, 0, 0, 3, null, null));
            long n = 0;
            for (String p : paths) {
                n++;
                entries.add(p.equals("d") ? new FileEntry(p, EntryType.DIR, 0, n, n, 0700, 1, 1, n, null, null)
                        : p.endsWith("link") ? new FileEntry(p, EntryType.SYMLINK, 0, n, n, 0777, 1, 1, n, null, "../a\"b")
                        : new FileEntry(p, EntryType.FILE, n * 1000 + 7, n, n, 0644, 1, 1, n, new ContentKey(n, n), null));
            }
            String key;
            try (dev.tidemark.repo.PackWriter wPacks = dev.tidemark.testing.TestContents.packs(repo);
                 ManifestWriter w = new ManifestWriter(repo, wPacks, "t")) {
                for (FileEntry e : entries) {
                    w.add(e);
                }
                key = w.finish();
                wPacks.flush();
            }
            String copy;
            try (ManifestLines lines = new ManifestLines(dev.tidemark.testing.TestContents.reader(repo), key);
                 dev.tidemark.repo.PackWriter wPacks = dev.tidemark.testing.TestContents.packs(repo);
                 ManifestWriter w = new ManifestWriter(repo, wPacks, "t")) {
                for (FileEntry e : entries) {
                    ManifestLines.Line l = lines.next();
                    assertEquals(e.path(), l.path());
                    assertEquals(e.type(), l.type());
                    assertEquals(e.size(), l.size());
                    w.addLine(l);
                }
                assertNull(lines.next());
                copy = w.finish();
                wPacks.flush();
            }
            assertEquals(key, copy, "a manifest copied line by line is the same manifest");
        }
    }

    @Test
    void aDamagedManifestIsDamage() throws Exception {
        Files.createDirectories(tmp.resolve("repo"));
        try (LocalDirStore store = new LocalDirStore(tmp.resolve("repo"))) {
            Repository repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
            String key;
            try (dev.tidemark.repo.PackWriter wPacks = dev.tidemark.testing.TestContents.packs(repo);
                 ManifestWriter w = new ManifestWriter(repo, wPacks, "t")) {
                w.add(new FileEntry(FileEntry.ROOT, EntryType.DIR, 0, 1, 2, 0755, 0, 0, 3, null, null));
                key = w.finish();
                wPacks.flush();
            }
            Path f;
            try (var s = Files.walk(tmp.resolve("repo").resolve("data"))) {
                f = s.filter(Files::isRegularFile).findFirst().orElseThrow();
            }
            byte[] b = Files.readAllBytes(f);
            b[12] ^= 0x40; // inside the manifest's only blob (its segment header is 9 bytes)
            Files.write(f, b);
            assertThrows(DamageException.class, () -> {
                try (ManifestLines lines = new ManifestLines(dev.tidemark.testing.TestContents.reader(repo), key)) {
                    while (lines.next() != null) {
                        // read to the end: the content key is checked there
                    }
                }
            });
        }
    }
}
