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
