package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Packs blobs into pack files of about {@code targetSize} bytes. Thread-safe: many scanner threads add blobs, one
 * pack is open at a time, and a full pack is committed by the thread that filled it while others go on writing into
 * the next one.
 *
 * <p>Commit order: a pack is committed (durable, visible) before {@link Listener#packCommitted} tells the index
 * about its blobs, so the index never names content the repository does not hold.
 *
 * <p>Deduplication: a key is claimed in {@code pending} before it is written, so two threads that find the same new
 * content write it once.
 */
public final class PackWriter implements AutoCloseable {
    /** Told about each committed pack, in the committing thread. */
    public interface Listener {
        void packCommitted(String packId, List<BlobLocation> blobs) throws IOException;
    }

    /** Whether the repository already holds a key (the index). */
    public interface Presence {
        boolean has(ContentKey key) throws IOException;
    }

    public enum Result { ADDED, PRESENT }

    private static final int STAGE = 1 << 20;
    private static final ThreadLocal<byte[]> COPY_BUFFER =
            ThreadLocal.withInitial(() -> new byte[BlobCodec.SEGMENT + BlobCodec.SEGMENT_HEADER]);

    private final Store store;
    private final ContentHasher hasher;
    private final long targetSize;
    private final Presence presence;
    private final Listener listener;
    private final Set<ContentKey> pending = ConcurrentHashMap.newKeySet();
    private OpenPack open;
    private boolean closed;

    private final AtomicLong packs = new AtomicLong();
    private final AtomicLong storedBytes = new AtomicLong();
    private final AtomicLong deadBytes = new AtomicLong();

    public PackWriter(Store store, ContentHasher hasher, long targetSize, Presence presence, Listener listener) {
        this.store = store;
        this.hasher = hasher;
        this.targetSize = targetSize;
        this.presence = presence;
        this.listener = listener;
    }

    /** True if the repository holds {@code key} or a pack being written will. */
    public boolean has(ContentKey key) throws IOException {
        return pending.contains(key) || presence.has(key);
    }

    /** True while {@code key} is in a pack not yet committed (and indexed). */
    public boolean isPending(ContentKey key) {
        return pending.contains(key);
    }

    /**
     * Claims {@code key} for writing: true if the repository does not hold it and no other thread is writing it.
     * The caller must then {@link #addClaimed} it or {@link #release} it. One index lookup for new content.
     */
    public boolean claim(ContentKey key) throws IOException {
        if (!pending.add(key)) {
            return false;
        }
        if (presence.has(key)) {
            pending.remove(key);
            return false;
        }
        return true;
    }

    /** Gives up a claim without writing. */
    public void release(ContentKey key) {
        pending.remove(key);
    }

    /** Adds a blob already encoded by {@link BlobCodec#encode}. */
    public Result add(ContentKey key, long rawLength, byte[] encoded) throws IOException {
        if (!claim(key)) {
            return Result.PRESENT;
        }
        addClaimed(key, rawLength, encoded);
        return Result.ADDED;
    }

    /** Adds a blob this thread has {@link #claim claimed}. */
    public void addClaimed(ContentKey key, long rawLength, byte[] encoded) throws IOException {
        addClaimed(key, rawLength, encoded, false);
    }

    /** Adds a blob this thread has {@link #claim claimed}; {@code list}: it is a {@link ChunkList}. */
    public void addClaimed(ContentKey key, long rawLength, byte[] encoded, boolean list) throws IOException {
        addClaimed(key, rawLength, encoded, encoded.length, list);
    }

    /**
     * Adds a blob this thread has {@link #claim claimed}, its stored bytes the first {@code encodedLength} of
     * {@code encoded} (copied before this returns: the buffer is the caller's again).
     */
    public void addClaimed(ContentKey key, long rawLength, byte[] encoded, int encodedLength, boolean list)
            throws IOException {
        OpenPack full = null;
        try {
            synchronized (this) {
                OpenPack p = ensureOpen();
                long off = p.offset;
                p.write(encoded, 0, encodedLength);
                p.entries.add(new BlobLocation(key, null, off, encodedLength, rawLength, list));
                if (p.offset >= targetSize) {
                    full = detach();
                }
            }
        } catch (IOException | RuntimeException e) {
            pending.remove(key);
            throw e;
        }
        storedBytes.addAndGet(encodedLength);
        if (full != null) {
            commit(full);
        }
    }

    /**
     * Copies a blob's stored bytes (its {@link BlobCodec} segments, as another pack holds them) into the open pack
     * unchanged, decoding them on the way to check them against {@code key}. Damage is a {@link DamageException};
     * the bytes already written then stay as dead bytes. Used by compaction and prune.
     */
    public Result copyStored(ContentKey key, long rawLength, long storedLength, boolean list, BlobCodec.Source stored,
                             String what) throws IOException {
        if (!pending.add(key)) {
            return Result.PRESENT;
        }
        OpenPack full = null;
        IOException failed = null;
        synchronized (this) {
            OpenPack p;
            try {
                p = ensureOpen();
            } catch (IOException | RuntimeException e) {
                pending.remove(key);
                throw e;
            }
            long start = p.offset;
            try {
                if (rawLength <= BlobCodec.SEGMENT && storedLength <= BlobCodec.SEGMENT + BlobCodec.SEGMENT_HEADER) {
                    // The common case: read whole into one reused buffer, checked before a byte is written.
                    byte[] buf = COPY_BUFFER.get();
                    stored.readFully(buf, 0, (int) storedLength);
                    BlobCodec.decodeSmall(buf, 0, (int) storedLength, rawLength, key, hasher, (b, o, l) -> { }, what);
                    p.write(buf, 0, (int) storedLength);
                } else {
                    BlobCodec.Source tee = (dst, off, len) -> {
                        stored.readFully(dst, off, len);
                        p.write(dst, off, len);
                    };
                    BlobCodec.decode(tee, storedLength, rawLength, key, hasher, (b, o, l) -> { }, what);
                }
                p.entries.add(new BlobLocation(key, null, start, p.offset - start, rawLength, list));
            } catch (IOException e) {
                failed = e;
                deadBytes.addAndGet(p.offset - start);
                pending.remove(key);
            }
            if (p.offset >= targetSize) {
                full = detach();
            }
        }
        if (full != null) {
            commit(full); // the other blobs in it are good
        }
        if (failed != null) {
            throw failed;
        }
        storedBytes.addAndGet(storedLength);
        return Result.ADDED;
    }

    /** Commits the open pack, if it holds anything. After this every added blob is durable and indexed. */
    public void flush() throws IOException {
        OpenPack p;
        synchronized (this) {
            p = detach();
        }
        if (p != null) {
            commit(p);
        }
    }

    public long packsWritten() {
        return packs.get();
    }

    public long storedBytes() {
        return storedBytes.get();
    }

    public long deadBytes() {
        return deadBytes.get();
    }

    private OpenPack ensureOpen() throws IOException {
        if (closed) {
            throw new IllegalStateException("pack writer is closed");
        }
        if (open == null) {
            open = new OpenPack(store.upload(), hasher.stream());
        }
        return open;
    }

    private OpenPack detach() {
        OpenPack p = open;
        open = null;
        return p;
    }

    private void commit(OpenPack p) throws IOException {
        try {
            if (p.entries.isEmpty()) {
                return; // only dead bytes: nothing worth keeping
            }
            byte[] trailer = PackFormat.trailer(p.entries);
            p.write(trailer, 0, trailer.length);
            byte[] footer = PackFormat.footer(trailer);
            p.write(footer, 0, footer.length);
            p.drain();
            String id = p.hash.key().hex();
            p.upload.commit(PackFormat.keyOf(id));
            List<BlobLocation> located = new ArrayList<>(p.entries.size());
            for (BlobLocation b : p.entries) {
                located.add(b.at(id, b.offset()));
            }
            listener.packCommitted(id, located);
            packs.incrementAndGet();
            for (BlobLocation b : p.entries) {
                pending.remove(b.key());
            }
        } finally {
            p.close();
        }
    }

    /**
     * After a failed {@link #flush}: forgets every blob that was added but not committed, so that adding it again
     * writes it again (instead of being told another writer has it in hand).
     */
    public void discardPending() throws IOException {
        OpenPack p;
        synchronized (this) {
            p = detach();
            pending.clear();
        }
        if (p != null) {
            p.close();
        }
    }

    /** Discards the open pack if {@link #flush} was not called: its blobs were never promised to anyone. */
    @Override
    public void close() throws IOException {
        OpenPack p;
        synchronized (this) {
            closed = true;
            p = detach();
        }
        if (p != null) {
            p.close();
        }
    }

    private static final class OpenPack {
        final Store.Upload upload;
        final ContentHasher.Stream hash;
        final List<BlobLocation> entries = new ArrayList<>();
        final OutputStream out;
        long offset;

        OpenPack(Store.Upload upload, ContentHasher.Stream hash) {
            this.upload = upload;
            this.hash = hash;
            this.out = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    OpenPack.this.write(b, off, len);
                }
            };
        }

        OutputStream stream() {
            return out;
        }

        /** Bytes are gathered here and written and hashed a MiB at a time: two calls per MiB, not per blob. */
        private final byte[] stage = new byte[STAGE];
        private int staged;

        void write(byte[] b, int off, int len) throws IOException {
            if (staged + len > stage.length) {
                drain();
            }
            if (len >= stage.length) {
                upload.stream().write(b, off, len);
                hash.update(b, off, len);
            } else {
                System.arraycopy(b, off, stage, staged, len);
                staged += len;
            }
            offset += len;
        }

        /** Writes and hashes what is staged: before the pack's key is taken or it is committed. */
        void drain() throws IOException {
            if (staged > 0) {
                upload.stream().write(stage, 0, staged);
                hash.update(stage, 0, staged);
                staged = 0;
            }
        }

        void close() throws IOException {
            hash.close();
            upload.close();
        }
    }
}
