package dev.tidemark.repo;

import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The packs a {@link BlobReader} has open, at most {@code max} at once: the least recently used ones are closed
 * when nobody is reading them, so a point whose files lie in 100,000 packs restores under a small
 * {@code ulimit -n}. Thread-safe.
 */
final class OpenPacks implements AutoCloseable {
    private final Store store;
    private final int max;
    private final Map<String, Open> open = new LinkedHashMap<>(16, 0.75f, true); // access order: LRU first
    private long opened;

    /** One open pack and the reads in progress on it. */
    static final class Open {
        final String packId;
        final Store.ReadHandle handle;
        int readers;

        Open(String packId, Store.ReadHandle handle) {
            this.packId = packId;
            this.handle = handle;
        }
    }

    OpenPacks(Store store, int max) {
        this.store = store;
        this.max = Math.max(1, max);
    }

    /** The pack, opened if it is not, marked as being read until {@link #release}. */
    synchronized Open acquire(String packId) throws IOException {
        Open o = open.get(packId);
        if (o == null) {
            o = new Open(packId, store.openForRead(PackFormat.keyOf(packId)));
            opened++;
            open.put(packId, o);
            evict();
        }
        o.readers++;
        return o;
    }

    synchronized void release(Open o) throws IOException {
        o.readers--;
        evict();
    }

    /** Closes least recently used packs that nobody is reading until at most {@code max} are open. */
    private void evict() throws IOException {
        Iterator<Open> it = open.values().iterator();
        while (open.size() > max && it.hasNext()) {
            Open o = it.next();
            if (o.readers == 0) {
                it.remove();
                o.handle.close();
            }
        }
    }

    /** Packs opened so far (a pack closed and opened again counts twice). */
    synchronized long opened() {
        return opened;
    }

    @Override
    public synchronized void close() throws IOException {
        IOException first = null;
        for (Open o : open.values()) {
            try {
                o.handle.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        open.clear();
        if (first != null) {
            throw first;
        }
    }
}
