package dev.tidemark.util;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named daemon threads: background work must never keep the JVM alive after a command has finished. */
public final class Threads {
    private Threads() {
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
