package dev.tidemark.prune;

import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Copies blobs out of packs into new ones, for compaction and prune: one source pack at a time, front to back, each
 * blob's stored bytes copied as they are and decoded on the way, so damage is never carried into a new pack. New
 * packs are committed (durable) before the listener hears of them; the caller deletes the old packs only after
 * {@link #flush}.
 */
public final class Repacker implements AutoCloseable {
    private final Store store;
    private final PackWriter out;

    public Repacker(Repository repo, PackWriter.Listener listener) {
        this.store = repo.store();
        // Every blob is written: the point of a repack is a second copy, so "the repository has it" must not stop it.
        this.out = new PackWriter(store, repo.hasher(), repo.config().packSize(), k -> false, listener);
    }

    /**
     * Copies {@code blobs}, all in pack {@code packId}; returns the ones that are damaged there (not copied).
     */
    public List<BlobLocation> copy(String packId, List<BlobLocation> blobs) throws IOException {
        List<BlobLocation> sorted = new ArrayList<>(blobs);
        sorted.sort(Comparator.comparingLong(BlobLocation::offset));
        List<BlobLocation> damaged = new ArrayList<>();
        String key = PackFormat.keyOf(packId);
        try (Store.ReadHandle h = store.openForRead(key)) {
            for (BlobLocation b : sorted) {
                String what = "blob " + b.key().shortHex() + " in pack " + key;
                if (b.offset() + b.storedLength() > h.size()) {
                    damaged.add(b);
                    continue;
                }
                long[] pos = {b.offset()};
                long end = b.offset() + b.storedLength();
                BlobCodec.Source src = (dst, off, len) -> {
                    if (pos[0] + len > end) {
                        throw new DamageException(what + ": truncated");
                    }
                    h.readFully(pos[0], dst, off, len);
                    pos[0] += len;
                };
                try {
                    out.copyStored(b.key(), b.rawLength(), b.storedLength(), b.list(), src, what);
                } catch (DamageException e) {
                    damaged.add(b);
                }
            }
        }
        return damaged;
    }

    /** Commits the last new pack: every blob copied so far is durable and the listener has heard of it. */
    public void flush() throws IOException {
        out.flush();
    }

    public long bytesWritten() {
        return out.storedBytes();
    }

    public long packsWritten() {
        return out.packsWritten();
    }

    /** Discards a pack that was not flushed. */
    @Override
    public void close() throws IOException {
        out.close();
    }
}
