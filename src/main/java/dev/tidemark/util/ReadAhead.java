package dev.tidemark.util;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * An input stream read ahead by a thread of its own, a few 1 MiB blocks deep: the reading, checking and decompressing
 * of a stored dump goes on while the server executes the statements already sent. An error of the source is thrown
 * to the reader after the whole blocks read before it (the block it cut short is not handed out); closing stops the
 * thread.
 */
public final class ReadAhead extends BlockInputStream {
    private static final int BUFFER = 1 << 20;
    private static final byte[] END = new byte[0];

    private final BlockingQueue<Object> queue;
    private final Thread thread;
    private volatile boolean closed;

    public ReadAhead(InputStream source, int buffers, String name) {
        this.queue = new ArrayBlockingQueue<>(Math.max(1, buffers));
        this.thread = new Thread(() -> pump(source), name);
        thread.setDaemon(true);
        thread.start();
    }

    private void pump(InputStream source) {
        try (source) {
            while (!closed) {
                byte[] b = source.readNBytes(BUFFER);
                if (b.length == 0) {
                    queue.put(END);
                    return;
                }
                queue.put(b);
            }
        } catch (IOException | RuntimeException e) {
            try {
                queue.put(e);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    protected byte[] nextBlock() throws IOException {
        Object o;
        try {
            o = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading ahead");
        }
        if (o instanceof IOException e) {
            queue.offer(o); // the same error again if asked again
            throw e;
        }
        if (o instanceof RuntimeException e) {
            queue.offer(o);
            throw e;
        }
        if (o == END) {
            queue.offer(END);
            return null;
        }
        return (byte[]) o;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        queue.clear();
    }
}
