package dev.tidemark.repo.store;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Positional reads of one S3 object by ranged GETs. While the reads go forward through the object (a restore reads
 * a pack's blobs in order) each GET fetches a window ahead, doubling from 256 KiB to 4 MiB, and later reads are
 * served from it; a read elsewhere fetches just what it asks. Windows held by all handles together are bounded
 * ({@value #BUDGET_MIB} MiB), so a reader with many packs open stays small. Thread-safe.
 */
final class S3ReadHandle implements Store.ReadHandle {
    static final int BUDGET_MIB = 64;
    private static final int MIN_WINDOW = 256 << 10;
    private static final int MAX_WINDOW = 4 << 20;
    /** A read this far past the last one still counts as going forward (blobs not wanted lie between). */
    private static final long FORWARD_GAP = 1 << 20;
    private static final AtomicLong HELD = new AtomicLong();

    private final S3Store store;
    private final String key;
    private final long size;
    private byte[] window;
    private long windowStart;
    private int windowLength;
    private long lastEnd = -1;
    private int nextWindow = MIN_WINDOW;

    S3ReadHandle(S3Store store, String key, long size) {
        this.store = store;
        this.key = key;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public synchronized void readFully(long offset, byte[] dst, int dstOff, int len) throws IOException {
        if (offset < 0 || len < 0 || offset + len > size) {
            throw new java.io.EOFException(key + " in " + store.location() + ": " + len + " bytes at " + offset
                    + " asked of an object of " + size + " bytes");
        }
        if (window != null && offset >= windowStart && offset + len <= windowStart + windowLength) {
            System.arraycopy(window, (int) (offset - windowStart), dst, dstOff, len);
            lastEnd = offset + len;
            return;
        }
        boolean forward = lastEnd >= 0 && offset >= lastEnd && offset - lastEnd <= FORWARD_GAP;
        lastEnd = offset + len;
        if (!forward || len >= nextWindow) {
            nextWindow = MIN_WINDOW;
            store.readRange(key, offset, dst, dstOff, len);
            return;
        }
        int want = (int) Math.min(nextWindow, size - offset);
        if (!reserve(want)) {
            store.readRange(key, offset, dst, dstOff, len);
            return;
        }
        byte[] w = new byte[want];
        try {
            store.readRange(key, offset, w, 0, want);
        } catch (IOException e) {
            HELD.addAndGet(-want);
            throw e;
        }
        drop();
        window = w;
        windowStart = offset;
        windowLength = want;
        nextWindow = Math.min(MAX_WINDOW, nextWindow * 2);
        System.arraycopy(window, 0, dst, dstOff, len);
    }

    private static boolean reserve(int bytes) {
        long budget = (long) BUDGET_MIB << 20;
        while (true) {
            long held = HELD.get();
            if (held + bytes > budget) {
                return false;
            }
            if (HELD.compareAndSet(held, held + bytes)) {
                return true;
            }
        }
    }

    private void drop() {
        if (window != null) {
            HELD.addAndGet(-window.length);
            window = null;
        }
    }

    @Override
    public synchronized void close() {
        drop();
    }
}
