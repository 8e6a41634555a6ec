package dev.tidemark.point;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fast key scan finds exactly the keys the full parser reads, whatever the paths hold. */
class ManifestKeysTest {
    @TempDir
    Path tmp;

    @Test
    void theScanFindsExactlyTheKeysTheParserReads() throws Exception {
        Files.createDirectories(tmp.resolve("repo"));
        try (LocalDirStore store = new LocalDirStore(tmp.resolve("repo"))) {
            Repository repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
            Random r = new Random(3);
            List<FileEntry> entries = new ArrayList<>();
            entries.add(new FileEntry(".", EntryType.DIR, 0, 1, 1, 0755, 0, 0, 1, null, null));
            // Names that try to look like a key field, a path longer than the scan's buffer, links, directories.
            String[] tricky = {"\"key\":\"0123456789abcdef0123456789abcdef\"", "a\"key\":\"", "plain", "é\\\"x\n",
                "k".repeat(300_000)};
            for (int i = 0; i < 5_000; i++) {
                String name = String.format("d%02d/%05d-%s", i % 37, i, tricky[i % tricky.length]);
                if (i % 11 == 0) {
                    entries.add(new FileEntry(name, EntryType.SYMLINK, 0, 1, 1, 0777, 0, 0, i, null,
                            "\"key\":\"" + "f".repeat(32)));
                } else if (i % 13 == 0) {
                    entries.add(new FileEntry(name, EntryType.DIR, 0, 1, 1, 0755, 0, 0, i, null, null));
                } else {
                    entries.add(new FileEntry(name, EntryType.FILE, i, 1, 1, 0644, 0, 0, i,
                            new ContentKey(r.nextLong(), r.nextLong()), null));
                }
            }
            entries.sort((a, b) -> PathOrder.compare(a.path(), b.path()));
            String key;
            try (dev.tidemark.repo.PackWriter wPacks = dev.tidemark.testing.TestContents.packs(repo);
                 ManifestWriter w = new ManifestWriter(repo, wPacks, "t")) {
                for (FileEntry e : entries) {
                    w.add(e);
                }
                key = w.finish();
                wPacks.flush();
            }
            List<ContentKey> parsed = new ArrayList<>();
            try (ManifestReader m = new ManifestReader(dev.tidemark.testing.TestContents.reader(repo), key)) {
                for (FileEntry e = m.nextOrNull(); e != null; e = m.nextOrNull()) {
                    if (e.key() != null) {
                        parsed.add(e.key());
                    }
                }
            }
            List<ContentKey> scanned = new ArrayList<>();
            assertEquals(parsed.size(), ManifestKeys.scan(dev.tidemark.testing.TestContents.reader(repo), key, scanned::add));
            assertEquals(parsed, scanned);
        }
    }
}
