package dev.tidemark.repo;

import dev.tidemark.hash.ContentKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where blobs are, learned from the packs' trailers (two ranged reads per pack) and held in memory: for readers
 * that have no index ({@code show}, {@code diff}, {@code db export}, {@code verify}). Read on first use. A damaged
 * trailer leaves its pack out (verify reports it).
 */
public final class PackDirectory implements BlobLocator {
    private final Repository repo;
    private Map<ContentKey, List<BlobLocation>> blobs;
    private Set<String> packs = Set.of();

    public PackDirectory(Repository repo) {
        this.repo = repo;
    }

    @Override
    public synchronized List<BlobLocation> copies(ContentKey key) throws IOException {
        if (blobs == null) {
            refresh();
        }
        return blobs.getOrDefault(key, List.of());
    }

    @Override
    public synchronized boolean refresh() throws IOException {
        List<String> ids = repo.packIds();
        Set<String> now = new HashSet<>(ids);
        if (blobs != null && now.equals(packs)) {
            return false;
        }
        Map<ContentKey, List<BlobLocation>> m = new HashMap<>();
        for (String id : ids) {
            List<BlobLocation> trailer;
            try {
                trailer = repo.readTrailer(id);
            } catch (DamageException | dev.tidemark.repo.store.ObjectNotFoundException e) {
                continue;
            }
            for (BlobLocation b : trailer) {
                m.computeIfAbsent(b.key(), k -> new ArrayList<>(1)).add(b);
            }
        }
        blobs = m;
        packs = now;
        return true;
    }
}
