package dev.tidemark.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.index.IndexSync;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.BlobReader;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reader is not broken by a blob moving to another pack behind its back (a compaction or prune meanwhile). */
class BlobReaderTest {
    @TempDir
    Path tmp;

    private LocalDirStore store;
    private Repository repo;
    private final byte[] content = "a face crop, more or less".repeat(20).getBytes(StandardCharsets.UTF_8);
    private ContentKey key;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(tmp.resolve("repo"));
        store = new LocalDirStore(tmp.resolve("repo"));
        repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
        key = repo.hasher().hash(content);
    }

    /** Writes the blob into a new pack of its own and returns the pack's id; {@code index} learns it if given. */
    private String pack(Index index) throws Exception {
        List<String> ids = new ArrayList<>();
        try (PackWriter pw = new PackWriter(store, repo.hasher(), Repository.DEFAULT_PACK_SIZE, k -> false,
                (id, blobs) -> {
                    ids.add(id);
                    if (index != null) {
                        index.addPack(id, blobs);
                    }
                })) {
            pw.add(key, content.length, BlobCodec.encode(content, 0, content.length, true));
            // A second, different blob makes each pack's bytes (and so its name) differ.
            byte[] other = ("other " + ids.size() + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
            pw.add(repo.hasher().hash(other), other.length, BlobCodec.encode(other, 0, other.length, false));
            pw.flush();
        }
        return ids.get(0);
    }

    private byte[] read(BlobReader r) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.read(key, (b, off, len) -> out.write(b, off, len));
        return out.toByteArray();
    }

    @Test
    void aDeletedCopyIsPassedOverForAnotherAndAMovedBlobIsFoundByListingThePacksAgain() throws Exception {
        try (Index index = Index.open(tmp.resolve("index"), repo.id());
             BlobReader reader = new BlobReader(repo, index.locator(repo), 2)) {
            String first = pack(index);
            pack(index);
            assertEquals(2, index.copies(key).size(), "the index knows both copies");
            store.delete(PackFormat.keyOf(first));
            assertArrayEquals(content, read(reader));
            assertEquals(0, reader.refreshes(), "the second copy was known: no listing needed");

        }
        try (Index index = Index.open(tmp.resolve("index"), repo.id());
             BlobReader reader = new BlobReader(repo, index.locator(repo), 2)) {
            // The blob moves again, to a pack the index has not seen (another process repacked), and the old one goes.
            String third = pack(null);
            for (BlobLocation known : index.copies(key)) {
                store.delete(PackFormat.keyOf(known.packId()));
            }
            assertArrayEquals(content, read(reader));
            assertEquals(1, reader.refreshes());
            assertEquals(List.of(third), index.copies(key).stream().map(BlobLocation::packId).toList());
        }
        try (Index index = Index.open(tmp.resolve("index"), repo.id());
             BlobReader reader = new BlobReader(repo, index.locator(repo), 2)) {
            store.delete(PackFormat.keyOf(index.copies(key).get(0).packId()));
            DamageException e = assertThrows(DamageException.class, () -> read(reader));
            assertEquals(true, e.getMessage().contains("not in the repository"), e.getMessage());
        }
    }

    @Test
    void aDamagedCopyIsPassedOverWhenNothingOfItWasHandedOut() throws Exception {
        try (Index index = Index.open(tmp.resolve("index"), repo.id());
             BlobReader reader = index.reader(repo)) {
            String first = pack(index);
            pack(index);
            BlobLocation loc = index.copies(key).get(0);
            assertEquals(first, loc.packId());
            try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("repo").resolve(PackFormat.keyOf(first))
                    .toFile(), "rw")) {
                long at = loc.offset() + loc.storedLength() - 3;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x40);
            }
            assertArrayEquals(content, read(reader), "read from the intact copy");
            IndexSync.syncPacks(repo, index);
        }
    }
}
