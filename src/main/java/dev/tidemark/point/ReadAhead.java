package dev.tidemark.point;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Entries read on a thread of their own, a few thousand ahead of the caller: reading a manifest (checking,
 * decompressing, parsing) and writing one (encoding, compressing, hashing) then take two cores instead of one after
 * the other. Memory: at most {@value #BATCHES} batches of {@value #BATCH} entries.
 */
public final class ReadAhead implements Entries {
    private static final int BATCH = 1024;
    private static final int BATCHES = 8;
    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(BATCHES);
    private final Thread reader;
    private volatile boolean closed;
    private Iterator<FileEntry> current = Collections.emptyIterator();
    private boolean done;

    public ReadAhead(Entries source, String name) {
        reader = new Thread(() -> {
            try (source) {
                List<FileEntry> batch = new ArrayList<>(BATCH);
                for (FileEntry e = source.nextOrNull(); e != null && !closed; e = source.nextOrNull()) {
                    batch.add(e);
                    if (batch.size() == BATCH) {
                        hand(batch);
                        batch = new ArrayList<>(BATCH);
                    }
                }
                hand(batch);
                hand(END);
            } catch (Throwable t) {
                try {
                    hand(t);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "tidemark-read-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    private void hand(Object o) throws InterruptedException {
        while (!closed) {
            if (queue.offer(o, 100, TimeUnit.MILLISECONDS)) {
                return;
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public FileEntry nextOrNull() throws IOException {
        while (!current.hasNext()) {
            if (done) {
                return null;
            }
            Object o;
            try {
                o = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading entries");
            }
            if (o == END) {
                done = true;
                return null;
            }
            if (o instanceof Throwable t) {
                done = true;
                if (t instanceof IOException io) {
                    throw io;
                }
                if (t instanceof RuntimeException re) {
                    throw re;
                }
                if (t instanceof Error err) {
                    throw err;
                }
                throw new UncheckedIOException(new IOException(t));
            }
            current = ((List<FileEntry>) o).iterator();
        }
        return current.next();
    }

    /** Stops the reader (if it is still reading) and waits for it: its source is closed by then. */
    @Override
    public void close() throws IOException {
        closed = true;
        queue.clear();
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping a reader");
        }
    }
}
