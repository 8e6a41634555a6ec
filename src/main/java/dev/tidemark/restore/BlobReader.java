package dev.tidemark.restore;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads blobs by content key: the index says where, one positional read fetches a small blob whole, a large one is
 * read a segment at a time. Every blob is checked against its key as it is decoded. Pack handles are opened once and
 * shared by threads. Close after the last read.
 */
public final class BlobReader implements AutoCloseable {
    private static final ThreadLocal<byte[]> SMALL =
            ThreadLocal.withInitial(() -> new byte[BlobCodec.SEGMENT + BlobCodec.SEGMENT_HEADER]);

    private final Store store;
    private final ContentHasher hasher;
    private final Index index;
    private final Map<String, Store.ReadHandle> handles = new ConcurrentHashMap<>();

    public BlobReader(Store store, ContentHasher hasher, Index index) {
        this.store = store;
        this.hasher = hasher;
        this.index = index;
    }

    /** Where {@code key} is, or a {@link DamageException} if the repository does not hold it. */
    public BlobLocation locate(ContentKey key) throws IOException {
        BlobLocation loc = index.findBlob(key);
        if (loc == null) {
            throw new DamageException("content " + key.shortHex() + " is not in the repository");
        }
        return loc;
    }

    private Store.ReadHandle handle(String packId) throws IOException {
        Store.ReadHandle h = handles.get(packId);
        if (h != null) {
            return h;
        }
        synchronized (handles) {
            h = handles.get(packId);
            if (h == null) {
                h = store.openForRead(PackFormat.keyOf(packId));
                handles.put(packId, h);
            }
            return h;
        }
    }

    /** Streams the content of {@code key} into {@code sink}, verified. */
    public void read(ContentKey key, BlobCodec.Sink sink) throws IOException {
        read(locate(key), sink);
    }

    public void read(BlobLocation loc, BlobCodec.Sink sink) throws IOException {
        Store.ReadHandle h = handle(loc.packId());
        if (loc.offset() + loc.storedLength() > h.size()) {
            throw new DamageException(loc + ": lies past the end of the pack (" + h.size() + " bytes)");
        }
        String what = "blob " + loc.key().shortHex() + " in pack " + loc.packId();
        if (loc.rawLength() <= BlobCodec.SEGMENT && loc.storedLength() <= BlobCodec.SEGMENT + BlobCodec.SEGMENT_HEADER) {
            // The common case (crops, configs, codes): one read, decoded in place, hashed in one call.
            byte[] buf = SMALL.get();
            int n = (int) loc.storedLength();
            h.readFully(loc.offset(), buf, 0, n);
            BlobCodec.decodeSmall(buf, 0, n, loc.rawLength(), loc.key(), hasher, sink, what);
            return;
        }
        long[] pos = {loc.offset()};
        long end = loc.offset() + loc.storedLength();
        BlobCodec.Source src = (dst, off, len) -> {
            if (pos[0] + len > end) {
                throw new DamageException(what + ": truncated");
            }
            h.readFully(pos[0], dst, off, len);
            pos[0] += len;
        };
        BlobCodec.decode(src, loc.storedLength(), loc.rawLength(), loc.key(), hasher, sink, what);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Store.ReadHandle h : handles.values()) {
            try {
                h.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        handles.clear();
        if (first != null) {
            throw first;
        }
    }
}
