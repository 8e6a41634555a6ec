package dev.tidemark.testing;

import dev.tidemark.repo.BlobReader;
import dev.tidemark.repo.PackDirectory;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;

/** Reading and writing content in a test without an index: through the packs' trailers. */
public final class TestContents {
    private TestContents() {
    }

    /** A reader of everything in the repository's packs (read on first use). */
    public static BlobReader reader(Repository repo) {
        return new BlobReader(repo, new PackDirectory(repo));
    }

    /**
     * Bytes the content named by {@code ref} (a manifest's or dump's reference) occupies in packs: its blob, or its
     * chunk list and every chunk. What a point that rewrote it whole could have sent at most.
     */
    public static long storedBytes(Repository repo, String ref) throws java.io.IOException {
        java.util.Map<dev.tidemark.hash.ContentKey, Long> stored = new java.util.HashMap<>();
        for (String id : repo.packIds()) {
            for (dev.tidemark.repo.BlobLocation b : repo.readTrailer(id)) {
                stored.putIfAbsent(b.key(), b.storedLength());
            }
        }
        dev.tidemark.hash.ContentKey key = dev.tidemark.hash.ContentKey.parse(ref);
        long n = stored.getOrDefault(key, 0L);
        try (BlobReader r = reader(repo)) {
            dev.tidemark.repo.ChunkList list = r.listOf(key);
            if (list != null) {
                for (dev.tidemark.repo.ChunkList.Chunk c : list.chunks()) {
                    n += stored.getOrDefault(c.key(), 0L);
                }
            }
        }
        return n;
    }

    /** A pack writer that deduplicates nothing and tells nobody: flush it before naming what it wrote. */
    public static PackWriter packs(Repository repo) {
        return new PackWriter(repo.store(), repo.hasher(), repo.config().packSize(), k -> false, (id, blobs) -> { });
    }
}
