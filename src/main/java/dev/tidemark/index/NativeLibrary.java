package dev.tidemark.index;

import org.rocksdb.RocksDB;

/** RocksDB's native library: loaded once, ahead of the index when a command asks for a head start. */
public final class NativeLibrary {
    /** The thread loading RocksDB's native library ahead of an index being opened ({@link #preload}), or null. */
    private static Thread preloading;
    /** What that thread's load threw, if anything. */
    private static volatile Throwable preloadFailure;

    private NativeLibrary() {
    }

    /**
     * Starts loading RocksDB's native library on a thread of its own, beside the command line's and the config's
     * parsing and the repository's first requests: mapping and relocating it took ~70 ms of a point's main thread.
     * The index waits for it when it opens. Only a head start: every command works without it.
     */
    public static synchronized void preload() {
        if (preloading != null) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                RocksDB.loadLibrary();
            } catch (Throwable e) {
                preloadFailure = e;
            }
        }, "tidemark-index-preload");
        t.setDaemon(true);
        preloading = t;
        t.start();
    }

    /**
     * Loads RocksDB's native library (once; RocksDB remembers). Not in a static initializer: a failure there (the
     * library is unpacked into the temp directory, which can be full or failing: the fault torture's EIO on
     * unlink) would be an ExceptionInInitializerError with a stack trace instead of one line.
     */
    static void load() {
        Thread t;
        synchronized (NativeLibrary.class) {
            t = preloading;
        }
        if (t != null) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw dev.tidemark.TidemarkException.failed("interrupted while loading RocksDB's native library");
            }
        }
        // A failed preload is reported, not retried: RocksDB stays "loading" for good after some failures, and a
        // second caller would wait for it forever.
        Throwable failed = preloadFailure;
        try {
            if (failed == null) {
                RocksDB.loadLibrary();
            }
        } catch (RuntimeException | LinkageError e) {
            failed = e;
        }
        if (failed != null) {
            Throwable why = failed.getCause() != null ? failed.getCause() : failed;
            throw dev.tidemark.TidemarkException.failed("cannot load RocksDB's native library for the index ("
                    + why.getMessage() + "); is the temp directory (" + System.getProperty("java.io.tmpdir")
                    + ") writable, with room?");
        }
    }
}
