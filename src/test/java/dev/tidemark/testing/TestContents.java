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
        long n = 0;
        java.util.ArrayDeque<dev.tidemark.hash.ContentKey> todo = new java.util.ArrayDeque<>();
        todo.add(dev.tidemark.hash.ContentKey.parse(ref));
        try (BlobReader r = reader(repo)) {
            while (!todo.isEmpty()) {
                dev.tidemark.hash.ContentKey key = todo.poll();
                n += stored.getOrDefault(key, 0L);
                dev.tidemark.repo.ChunkList list = r.listOf(key);
                if (list != null) {
                    list.chunks().forEach(c -> todo.add(c.key()));
                }
            }
        }
        return n;
    }

    /** The chunks that hold the content named by {@code ref}, in order, groups of chunks followed. */
    public static java.util.List<dev.tidemark.hash.ContentKey> leaves(Repository repo, String ref)
            throws java.io.IOException {
        java.util.List<dev.tidemark.hash.ContentKey> out = new java.util.ArrayList<>();
        try (BlobReader r = reader(repo)) {
            leaves(r, dev.tidemark.hash.ContentKey.parse(ref), out);
        }
        return out;
    }

    private static void leaves(BlobReader r, dev.tidemark.hash.ContentKey key,
                               java.util.List<dev.tidemark.hash.ContentKey> out) throws java.io.IOException {
        dev.tidemark.repo.ChunkList list = r.listOf(key);
        if (list == null) {
            out.add(key);
            return;
        }
        for (dev.tidemark.repo.ChunkList.Chunk c : list.chunks()) {
            leaves(r, c.key(), out);
        }
    }

    /** A pack writer that deduplicates nothing and tells nobody: flush it before naming what it wrote. */
    public static PackWriter packs(Repository repo) {
        return new PackWriter(repo.store(), repo.hasher(), repo.config().packSize(), k -> false, (id, blobs) -> { });
    }
}
