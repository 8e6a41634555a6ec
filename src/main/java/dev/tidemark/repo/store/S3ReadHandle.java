package dev.tidemark.repo.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Positional reads of one S3 object by ranged GETs, shaped for a restore: it reads a pack's blobs in order, from
 * several threads at once, each asking for a few KiB.
 *
 * <p>A read near the start of the object, or just past a window already fetched, counts as going forward: it fetches
 * a window (256 KiB, doubling to 2 MiB while the reads keep going forward) and, once that arrives, the next window is
 * fetched in the background, so the network is busy while the blobs are decoded and written. Reads that fall in a
 * window, arrived or on its way, are served from it; other threads wait for a window in flight instead of asking for
 * the same bytes again. A read elsewhere (a single file out of a large pack) fetches just its bytes. Windows of all
 * handles together are bounded ({@value #BUDGET_MIB} MiB, at most {@value #WINDOWS} per handle): a new window
 * pushes out the oldest arrived ones, of whichever handle (a restore has moved on from the packs it read first);
 * when every window is still on its way, reads are exact. Thread-safe.
 */
final class S3ReadHandle implements Store.ReadHandle {
    static final int BUDGET_MIB = 32;
    static final int WINDOWS = 3;
    private static final int MIN_WINDOW = 256 << 10;
    private static final int MAX_WINDOW = 2 << 20;
    /** A read this far past a window still counts as going forward (blobs not wanted lie between). */
    private static final long FORWARD_GAP = 1 << 20;
    /** Arrived windows of all handles, oldest first, and the bytes of all windows; guarded by itself. */
    private static final java.util.ArrayDeque<Window> ARRIVED = new java.util.ArrayDeque<>();
    private static long held;
    private static final ExecutorService AHEAD = new ThreadPoolExecutor(0, 8, 10, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "s3-read-ahead");
                t.setDaemon(true);
                return t;
            });

    private final S3Store store;
    private final String key;
    private final long size;
    /** Oldest first. */
    private final List<Window> windows = new ArrayList<>(WINDOWS + 1);
    private int nextWindow = MIN_WINDOW;
    private boolean closed;

    /** A range of the object, fetched or on its way. Guarded by the handle. */
    private static final class Window {
        final long start;
        final int length;
        /** Null until it arrives, and again once pushed out (readers then ask for their own bytes). */
        volatile byte[] data;
        boolean failed;
        /** Its bytes no longer count against the budget; written under {@link #ARRIVED}, read without it. */
        volatile boolean released;

        Window(long start, int length) {
            this.start = start;
            this.length = length;
        }

        long end() {
            return start + length;
        }

        boolean covers(long offset, int len) {
            return offset >= start && offset + len <= end();
        }
    }

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
    public void readFully(long offset, byte[] dst, int dstOff, int len) throws IOException {
        if (offset < 0 || len < 0 || offset + len > size) {
            throw new java.io.EOFException(key + " in " + store.location() + ": " + len + " bytes at " + offset
                    + " asked of an object of " + size + " bytes");
        }
        Window w;
        boolean fetch = false;
        synchronized (this) {
            w = covering(offset, len);
            if (w == null && len < MAX_WINDOW && forward(offset)) {
                int want = (int) Math.min(Math.max(nextWindow, len), size - offset);
                if (reserve(want)) {
                    w = add(new Window(offset, want));
                    nextWindow = Math.min(MAX_WINDOW, nextWindow * 2);
                    fetch = true;
                }
            }
        }
        if (w == null) {
            store.readRange(key, offset, dst, dstOff, len);
            return;
        }
        if (fetch) {
            fill(w);
            aheadOf(w);
        }
        synchronized (this) {
            while (w.data == null && !w.failed && !released(w)) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("read of " + key + " interrupted");
                }
            }
            byte[] d = w.data;
            if (!w.failed && d != null) {
                System.arraycopy(d, (int) (offset - w.start), dst, dstOff, len);
                return;
            }
        }
        store.readRange(key, offset, dst, dstOff, len); // the window failed: ask for just these bytes (and fail here)
    }

    /** Fetches a window's bytes; on failure the window is marked so that its readers ask for their own bytes. */
    private void fill(Window w) {
        byte[] b = new byte[w.length];
        boolean ok = false;
        try {
            store.readRange(key, w.start, b, 0, w.length);
            ok = true;
        } catch (IOException | RuntimeException e) {
            // the readers waiting for it fetch exactly what they need and see the error themselves
        }
        synchronized (this) {
            if (ok && !closed) {
                w.data = b;
                synchronized (ARRIVED) {
                    if (!w.released) {
                        ARRIVED.addLast(w);
                    }
                }
            } else {
                w.failed = true;
                windows.remove(w);
                release(w);
            }
            notifyAll();
        }
    }

    /** Starts fetching the window after {@code w} in the background, unless the object ends or one is on its way. */
    private void aheadOf(Window w) {
        Window next;
        synchronized (this) {
            if (closed || w.failed || w.end() >= size || covering(w.end(), 1) != null) {
                return;
            }
            int want = (int) Math.min(nextWindow, size - w.end());
            if (!reserve(want)) {
                return;
            }
            next = add(new Window(w.end(), want));
            nextWindow = Math.min(MAX_WINDOW, nextWindow * 2);
        }
        AHEAD.execute(() -> fill(next));
    }

    private Window covering(long offset, int len) {
        for (int i = windows.size() - 1; i >= 0; i--) {
            Window w = windows.get(i);
            if (released(w)) {
                windows.remove(i); // pushed out for another handle's window
            } else if (w.covers(offset, len)) {
                return w;
            }
        }
        return null;
    }

    /** At the start of the object, or at most {@link #FORWARD_GAP} past the end of a window. */
    private boolean forward(long offset) {
        if (offset < FORWARD_GAP) {
            return true;
        }
        for (Window w : windows) {
            if (offset >= w.start && offset <= w.end() + FORWARD_GAP) {
                return true;
            }
        }
        return false;
    }

    /** Adds a window, dropping the oldest arrived ones beyond {@link #WINDOWS}. */
    private Window add(Window w) {
        windows.add(w);
        for (int i = 0; windows.size() > WINDOWS && i < windows.size() - 1; ) {
            Window old = windows.get(i);
            if (old.data != null || released(old)) {
                windows.remove(i);
                release(old);
            } else {
                i++;
            }
        }
        return w;
    }

    /** Every read checks its handle's windows: no lock shared by all handles on that path. */
    private static boolean released(Window w) {
        return w.released;
    }

    /** Takes a window's bytes off the budget and lets its memory go (readers holding it fall back to a GET). */
    private static void release(Window w) {
        synchronized (ARRIVED) {
            if (!w.released) {
                w.released = true;
                ARRIVED.remove(w);
                held -= w.length;
                w.data = null;
            }
        }
    }

    /** Room for a new window, pushing out the oldest arrived windows of any handle; false if all are in flight. */
    private static boolean reserve(int bytes) {
        long budget = (long) BUDGET_MIB << 20;
        synchronized (ARRIVED) {
            while (held + bytes > budget && !ARRIVED.isEmpty()) {
                Window old = ARRIVED.pollFirst();
                old.released = true;
                held -= old.length;
                old.data = null;
            }
            if (held + bytes > budget) {
                return false;
            }
            held += bytes;
            return true;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        // windows still on their way release their share when they arrive (fill sees the handle closed)
        windows.removeIf(w -> {
            if (w.data != null || released(w)) {
                release(w);
                return true;
            }
            return false;
        });
        notifyAll();
    }
}
