package dev.tidemark.util;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named daemon threads: background work must never keep the JVM alive after a command has finished. */
public final class Threads {
    private Threads() {
    }

    /**
     * Waits until every thread of {@code pool} (already shut down) has finished, however long that takes, saying so
     * every 10 seconds. Its threads use native handles (RocksDB, open packs) that the caller closes next: closing
     * them under a running thread crashes the JVM, so there is no time limit here. An interrupt is kept for the
     * caller and the wait goes on.
     */
    public static void awaitTermination(java.util.concurrent.ExecutorService pool, String what) {
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    break;
                }
                org.slf4j.LoggerFactory.getLogger(Threads.class).warn("waiting for {} to finish", what);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Work that may throw an {@link java.io.IOException}. */
    @FunctionalInterface
    public interface IoWork {
        void run() throws java.io.IOException;
    }

    /** Stack for walks that recurse once per directory level: 2,048 levels (a 4,096-byte path) with room to spare. */
    static final long DEEP_STACK = 256L << 20;

    /**
     * Runs {@code work} on a thread of its own with a deep stack and waits for it: a tree walk recurses once per
     * level, and a tree 2,000 levels deep overflowed the default 1 MiB stack (a StackOverflowError instead of a
     * point). The stack is address space, committed only as deep as the walk goes.
     */
    public static void onDeepStack(String name, IoWork work) throws java.io.IOException {
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(null, () -> {
            try {
                work.run();
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, name, DEEP_STACK);
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the walk holds native handles: wait for it, keep the interrupt
                t.interrupt();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable e = failure[0];
        if (e instanceof java.io.IOException io) {
            throw io;
        } else if (e instanceof RuntimeException re) {
            throw re;
        } else if (e instanceof Error err) {
            throw err;
        } else if (e != null) {
            throw new java.io.IOException(e);
        }
    }

    /** A factory of daemon threads named {@code name}, or {@code name-N} when {@code numbered}. */
    public static ThreadFactory daemon(String name, boolean numbered) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, numbered ? name + "-" + n.incrementAndGet() : name);
            t.setDaemon(true);
            return t;
        };
    }
}
