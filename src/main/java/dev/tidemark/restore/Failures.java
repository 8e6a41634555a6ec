package dev.tidemark.restore;

import dev.tidemark.TidemarkException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What went wrong in one tree's restore: counted, the first {@value #MAX_REPORTED} kept for the summary and the log
 * file (the command says each one once, on its own standard error, when the tree is done), and a restore that does
 * nothing but fail (a full disk) given up. Thread-safe: the pool's threads report here.
 */
final class Failures {
    /** The log file only: the command reports failures itself. */
    private static final Logger FILE_ONLY = LoggerFactory.getLogger("tidemark.trace");
    private static final int MAX_REPORTED = 50;
    private static final int GIVE_UP_AFTER = 200;

    private final String tree;
    private final List<String> kept = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong count = new AtomicLong();

    Failures(String tree) {
        this.tree = tree;
    }

    void add(String what) {
        long n = count.incrementAndGet();
        if (kept.size() < MAX_REPORTED) {
            kept.add(what);
        }
        if (n <= MAX_REPORTED) {
            FILE_ONLY.error("restore {}: {}", tree, what);
        } else if (n == MAX_REPORTED + 1) {
            FILE_ONLY.error("restore {}: more failures follow; only the count is reported from here", tree);
        }
    }

    /** Gives up when failing is all the restore does: it would only repeat the same error. */
    void giveUpIfAllFail(long files) {
        long n = count.get();
        if (n >= GIVE_UP_AFTER && n >= files / 2) {
            throw TidemarkException.failed("restore " + tree + " stopped after " + n + " failures; the first: "
                    + (kept.isEmpty() ? "?" : kept.get(0)));
        }
    }

    long count() {
        return count.get();
    }

    /** The first {@value #MAX_REPORTED}. */
    List<String> first() {
        synchronized (kept) {
            return List.copyOf(kept);
        }
    }
}
