package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads content by key: a {@link BlobLocator} (the index, or the packs' trailers) says where, one positional read fetches a small blob whole, a large one is
 * read a segment at a time. Every blob is checked against its key as it is decoded; content stored as a
 * {@link ChunkList} is read chunk by chunk and checked as a whole against the list's key of it. Thread-safe; close
 * after the last read.
 *
 * <p>Bounded: at most {@code maxOpenPacks} packs are open at once ({@link OpenPacks}).
 *
 * <p>Never broken by a compaction or prune running meanwhile: the index knows every copy of a blob, and a copy
 * whose pack is gone (moved by a repack) or damaged is passed over for the next one, as long as nothing of it was
 * handed out yet. If every copy is gone, the pack list is read again once (the blob's new pack is there: a repack
 * commits the new pack before deleting the old) and the read retried.
 */
public final class BlobReader implements Contents {
    private static final Logger LOG = LoggerFactory.getLogger(BlobReader.class);
    public static final int DEFAULT_OPEN_PACKS = 64;
    private static final ThreadLocal<byte[]> SMALL =
            ThreadLocal.withInitial(() -> new byte[BlobCodec.SEGMENT + BlobCodec.SEGMENT_HEADER]);

    private final Repository repo;
    private final ContentHasher hasher;
    private final BlobLocator index;
    private final OpenPacks packs;
    private long refreshes;

    public BlobReader(Repository repo, BlobLocator index) {
        this(repo, index, DEFAULT_OPEN_PACKS);
    }

    public BlobReader(Repository repo, BlobLocator index, int maxOpenPacks) {
        this.repo = repo;
        this.hasher = repo.hasher();
        this.index = index;
        this.packs = new OpenPacks(repo.store(), maxOpenPacks);
    }

    /** Where {@code key} is (its first copy), or a {@link DamageException} if the repository does not hold it. */
    @Override
    public BlobLocation locate(ContentKey key) throws IOException {
        List<BlobLocation> c = index.copies(key);
        if (c.isEmpty() && refresh()) {
            c = index.copies(key);
        }
        if (c.isEmpty()) {
            throw new DamageException("content " + key.shortHex() + " is not in the repository");
        }
        return c.get(0);
    }

    /** Streams the content of {@code key} into {@code sink}, verified. */
    public void read(ContentKey key, BlobCodec.Sink sink) throws IOException {
        read(key, null, sink);
    }

    /**
     * Streams the content of {@code key} into {@code sink}, verified, starting with copy {@code first} (from
     * {@link #locate}, or null) and going on to the others.
     */
    @Override
    public void read(ContentKey key, BlobLocation first, BlobCodec.Sink sink) throws IOException {
        read(key, first, false, sink);
    }

    /**
     * @param listBytes hand out a chunk list's own bytes instead of the content it stands for
     */
    private void read(ContentKey key, BlobLocation first, boolean listBytes, BlobCodec.Sink sink)
            throws IOException {
        read(key, first, null, listBytes, sink);
    }

    /**
     * @param failed what reading {@code first} already raised (it is not read again), or null to read it first
     */
    private void read(ContentKey key, BlobLocation first, IOException failed, boolean listBytes, BlobCodec.Sink sink)
            throws IOException {
        long[] handed = {0};
        BlobCodec.Sink counting = (buf, off, len) -> {
            handed[0] += len;
            sink.accept(buf, off, len);
        };
        IOException last = failed;
        if (first != null && failed == null) {
            try {
                copy(first, listBytes, counting); // the common case: the copy the caller located is there
                return;
            } catch (ObjectNotFoundException | DamageException e) {
                if (handed[0] > 0) {
                    throw e;
                }
                last = e;
            }
        }
        for (int round = 0; round < 2; round++) {
            for (BlobLocation c : index.copies(key)) {
                if (c.equals(first)) {
                    continue;
                }
                try {
                    copy(c, listBytes, counting);
                    return;
                } catch (ObjectNotFoundException | DamageException e) {
                    if (handed[0] > 0) {
                        throw e; // part of it went out already: the caller must start over
                    }
                    LOG.debug("{}: {}; trying another copy", c, e.getMessage());
                    last = e;
                }
            }
            if (round == 0 && !refresh()) {
                break; // nothing changed in the repository: no other copy to find
            }
            first = null; // after a refresh every copy the index knows is worth a try
        }
        if (last instanceof DamageException d) {
            throw d;
        }
        throw new DamageException("content " + key.shortHex() + " is not in the repository"
                + (last == null ? "" : " (" + last.getMessage() + ")"));
    }

    /** Reads the pack list again; true if the index learned or forgot a pack. */
    private synchronized boolean refresh() throws IOException {
        refreshes++;
        return index.refresh();
    }

    private void copy(BlobLocation loc, boolean listBytes, BlobCodec.Sink sink) throws IOException {
        if (listBytes) {
            readBlob(loc, sink);
        } else {
            readCopy(loc, sink);
        }
    }

    @Override
    public Repository repository() {
        return repo;
    }

    @Override
    public ChunkList listOf(ContentKey key) throws IOException {
        BlobLocation loc = locate(key);
        return loc.list() ? listAt(loc) : null;
    }

    @Override
    public ChunkList listAt(BlobLocation loc) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream((int) Math.min(loc.rawLength(), 1 << 20));
        read(loc.key(), loc, true, bytes::write);
        byte[] b = bytes.toByteArray();
        return ChunkList.decode(b, b.length, "chunk list " + loc.key().shortHex());
    }

    private void readCopy(BlobLocation loc, BlobCodec.Sink sink) throws IOException {
        if (!loc.list()) {
            readBlob(loc, sink);
            return;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream((int) Math.min(loc.rawLength(), 1 << 20));
        readBlob(loc, bytes::write);
        byte[] b = bytes.toByteArray();
        readChunks(loc.key(), ChunkList.decode(b, b.length, "chunk list " + loc.key().shortHex()), sink);
    }

    /** Streams the chunks of {@code list} into {@code sink}, checking the whole against the list. */
    private void readChunks(ContentKey listKey, ChunkList list, BlobCodec.Sink sink) throws IOException {
        long[] n = {0};
        try (ContentHasher.Stream h = hasher.stream()) {
            int i = 0;
            for (ChunkList.Chunk c : list.chunks()) {
                try {
                    read(c.key(), null, false, (b, o, l) -> {
                        h.update(b, o, l);
                        n[0] += l;
                        sink.accept(b, o, l);
                    });
                } catch (DamageException e) {
                    throw new DamageException("chunk " + i + " of " + list.chunks().size() + " of content "
                            + listKey.shortHex() + ": " + e.getMessage(), e);
                }
                i++;
            }
            if (n[0] != list.length() || !h.key().equals(list.whole())) {
                throw new DamageException("content " + listKey.shortHex() + ": its chunks do not add up to what the "
                        + "chunk list says");
            }
        }
    }

    /** Gaps between blobs a run may read over: dead bytes, or blobs nobody asked for. */
    private static final int RUN_GAP = 64 << 10;
    /** A run's span at most: one request to an object store, one buffer per reading thread. */
    public static final int RUN_MAX = 4 << 20;
    /** Each thread's buffer for runs, grown to {@link #RUN_MAX} at most; taken out while in use. */
    private static final ThreadLocal<byte[]> RUN_BUFFER = new ThreadLocal<>();

    /** One blob of a run handed out: its content, streamed into a sink. */
    public interface Blob {
        /** Streams the blob's content into {@code sink}, checked before a byte is handed out; once only. */
        void into(BlobCodec.Sink sink) throws IOException;
    }

    /** What a run hands each of its blobs to, in order; {@code index} is its place in the run. */
    public interface EachBlob {
        void accept(int index, Blob blob) throws IOException;
    }

    /**
     * Where the runs of {@code locs} (sorted by pack and offset) end: blobs {@code [ends[i-1], ends[i])} form run
     * {@code i}. A run is small data blobs of one pack that lie close together (at most {@value #RUN_GAP} bytes apart,
     * {@link #RUN_MAX} in all), or a single blob of any kind; a blob named twice (two files of the same content) is
     * in one run.
     */
    public static int[] runEnds(List<BlobLocation> locs) {
        int[] ends = new int[locs.size()];
        int n = 0;
        int i = 0;
        while (i < locs.size()) {
            BlobLocation first = locs.get(i);
            long end = first.offset() + first.storedLength();
            int j = i + 1;
            while (j < locs.size() && small(first) && small(locs.get(j))) {
                BlobLocation b = locs.get(j);
                if (!b.packId().equals(first.packId()) || b.offset() < first.offset() || b.offset() - end > RUN_GAP
                        || b.offset() + b.storedLength() - first.offset() > RUN_MAX) {
                    break;
                }
                end = Math.max(end, b.offset() + b.storedLength());
                j++;
            }
            ends[n++] = j;
            i = j;
        }
        return java.util.Arrays.copyOf(ends, n);
    }

    /**
     * Reads small data blobs in this order, those that lie one after the other in a pack (a chunked dump, written
     * in order) with one read per run instead of one per blob; each is checked against its key.
     */
    @Override
    public void readAll(List<BlobLocation> locs, BlobCodec.Sink sink) throws IOException {
        int from = 0;
        for (int to : runEnds(locs)) {
            readRun(locs.subList(from, to), (k, blob) -> blob.into(sink));
            from = to;
        }
    }

    /**
     * Hands out the blobs of one run (a range of {@link #runEnds}) in order, read with one request for the run's
     * whole span. A run that cannot be read (its pack moved meanwhile), or a blob in it that fails its check, is read
     * blob by blob as {@link #read} does, every other copy tried (and the pack list read again if none is left). A
     * blob {@code each} leaves unread costs nothing more.
     */
    public void readRun(List<BlobLocation> run, EachBlob each) throws IOException {
        BlobLocation first = run.get(0);
        if (run.size() == 1 || !small(first)) {
            for (int k = 0; k < run.size(); k++) {
                BlobLocation b = run.get(k);
                each.accept(k, sink -> read(b.key(), b, sink));
            }
            return;
        }
        long end = first.offset();
        for (BlobLocation b : run) {
            end = Math.max(end, b.offset() + b.storedLength());
        }
        int span = (int) (end - first.offset());
        byte[] buf = RUN_BUFFER.get();
        RUN_BUFFER.remove(); // a sink that reads another run on this thread gets a buffer of its own
        if (buf == null || buf.length < span) {
            buf = new byte[Math.max(span, buf == null ? 0 : Math.min(RUN_MAX, buf.length * 2))];
        }
        try {
            IOException unread = readSpan(first.packId(), first.offset(), buf, span);
            byte[] bytes = buf;
            for (int k = 0; k < run.size(); k++) {
                BlobLocation b = run.get(k);
                if (unread != null) { // blob by blob, every other copy tried
                    each.accept(k, sink -> read(b.key(), b, unread, false, sink));
                    continue;
                }
                each.accept(k, sink -> {
                    try {
                        BlobCodec.decodeSmall(bytes, (int) (b.offset() - first.offset()), (int) b.storedLength(),
                                b.rawLength(), b.key(), hasher, sink, "blob " + b.key().shortHex() + " in pack "
                                        + b.packId());
                    } catch (DamageException e) {
                        read(b.key(), b, e, false, sink); // nothing was handed out: the other copies
                    }
                });
            }
        } finally {
            RUN_BUFFER.set(buf);
        }
    }

    /**
     * Reads {@code len} bytes of a pack at {@code offset}; returns null, or why the pack could not be read (gone, or
     * shorter): its blobs are then read from their other copies.
     */
    private IOException readSpan(String packId, long offset, byte[] buf, int len) throws IOException {
        try {
            OpenPacks.Open o = packs.acquire(packId);
            try {
                if (offset + len > o.handle.size()) {
                    throw new DamageException("pack " + packId + ": a run of blobs lies past its end");
                }
                o.handle.readFully(offset, buf, 0, len);
                return null;
            } finally {
                packs.release(o);
            }
        } catch (ObjectNotFoundException | DamageException e) {
            LOG.debug("pack {}: {}; reading its blobs from other copies", packId, e.getMessage());
            return e;
        }
    }

    private static boolean small(BlobLocation b) {
        return !b.list() && b.rawLength() <= BlobCodec.SEGMENT
                && b.storedLength() <= BlobCodec.SEGMENT + BlobCodec.SEGMENT_HEADER;
    }

    private void readBlob(BlobLocation loc, BlobCodec.Sink sink) throws IOException {
        OpenPacks.Open o = packs.acquire(loc.packId());
        try {
            Store.ReadHandle h = o.handle;
            if (loc.offset() + loc.storedLength() > h.size()) {
                throw new DamageException(loc + ": lies past the end of the pack (" + h.size() + " bytes)");
            }
            String what = "blob " + loc.key().shortHex() + " in pack " + loc.packId();
            if (loc.rawLength() <= BlobCodec.SEGMENT
                    && loc.storedLength() <= BlobCodec.SEGMENT + BlobCodec.SEGMENT_HEADER) {
                // The common case (crops, configs, codes): one read, decoded in place, hashed in one call, checked
                // before a byte is handed out.
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
        } finally {
            packs.release(o);
        }
    }

    /** Packs opened so far (a pack closed and opened again counts twice). */
    public long packsOpened() {
        return packs.opened();
    }

    /** Times the pack list was read again because a blob's copies were gone. */
    public synchronized long refreshes() {
        return refreshes;
    }

    @Override
    public void close() throws IOException {
        packs.close();
    }
}
