package dev.tidemark.daemon;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What the watchers saw and the daemon has not handled yet. Watcher threads only add to it; the daemon's one worker
 * takes from it.
 *
 * <p>Events are coalesced per path: a path is due once no event has touched it for {@code settle}, or once its first
 * event is {@code maxDelay} old (a file written continuously is still copied that often). Duplicate events cost
 * nothing. Subtree rescans (after an overflow, a watcher error, a new directory) are kept apart and coalesced too.
 */
final class ChangeQueue {
    /** A path that may have changed, with the times of its first and last event ({@link System#nanoTime}). */
    record Change(String tree, String path, long first, long last) {
    }

    /** A directory to compare with the index, everything below it included. */
    record Rescan(String tree, String dir) {
    }

    private final long settle;
    private final long maxDelay;
    private final Map<String, Change> pending = new LinkedHashMap<>();
    private final Set<Rescan> rescans = new LinkedHashSet<>();
    private boolean wake;
    /** When the waiting worker means to look again ({@link System#nanoTime}); an earlier due change wakes it. */
    private long plannedWake;
    private boolean waiting;
    /** When a watcher last reported anything ({@link System#nanoTime}). */
    private long lastEvent = System.nanoTime();

    ChangeQueue(long settleNanos, long maxDelayNanos) {
        this.settle = settleNanos;
        this.maxDelay = maxDelayNanos;
    }

    synchronized void offer(String tree, String path) {
        long now = System.nanoTime();
        lastEvent = now;
        pending.merge(tree + '\0' + path, new Change(tree, path, now, now),
                (old, n) -> new Change(tree, path, old.first(), now));
        if (waiting && now + settle - plannedWake < 0) {
            notifyAll();
        }
    }

    synchronized void rescan(String tree, String dir) {
        lastEvent = System.nanoTime();
        rescans.add(new Rescan(tree, dir));
        notifyAll();
    }

    /** Wakes the worker now (a request, a stop). */
    synchronized void wake() {
        wake = true;
        notifyAll();
    }

    synchronized List<Rescan> takeRescans() {
        List<Rescan> out = new ArrayList<>(rescans);
        rescans.clear();
        return out;
    }

    /** Up to {@code max} due changes (all pending ones if {@code all}), oldest first. */
    synchronized List<Change> takeDue(boolean all, int max) {
        long now = System.nanoTime();
        List<Change> out = new ArrayList<>();
        Iterator<Change> it = pending.values().iterator();
        while (it.hasNext() && out.size() < max) {
            Change c = it.next();
            if (all || now - c.last() >= settle || now - c.first() >= maxDelay) {
                out.add(c);
                it.remove();
            }
        }
        return out;
    }

    synchronized int size() {
        return pending.size();
    }

    /** Drops what is pending for a tree (it is suspended: its rescan on return covers it). */
    synchronized void dropTree(String tree) {
        pending.values().removeIf(c -> c.tree().equals(tree));
        rescans.removeIf(r -> r.tree().equals(tree));
    }

    /**
     * Waits until the watchers have been quiet for {@code quietNanos} since {@code since} (a {@link System#nanoTime}),
     * at most {@code maxNanos} after {@code since}: the file system reports a change a few milliseconds after it is
     * made (the kernel, the JDK's watch service and the watcher's thread pass it on in turn), longer on a busy
     * machine, so a point asked for just after a change waits for it to arrive. Returns false if the trees never
     * went quiet (a busy tree: the point has what arrived by then). Any thread but the worker.
     */
    synchronized boolean awaitQuiet(long since, long quietNanos, long maxNanos) throws InterruptedException {
        long limit = since + maxNanos;
        while (true) {
            long now = System.nanoTime();
            long quietAt = Math.max(lastEvent, since) + quietNanos;
            if (now - quietAt >= 0) {
                return true;
            }
            if (now - limit >= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(quietAt, limit) - now);
        }
    }

    /** Waits until something may be due, at most {@code maxWaitNanos}. */
    synchronized void await(long maxWaitNanos) throws InterruptedException {
        if (wake || !rescans.isEmpty()) {
            wake = false;
            return;
        }
        long wait = maxWaitNanos;
        long now = System.nanoTime();
        for (Change c : pending.values()) {
            long due = Math.min(c.last() + settle, c.first() + maxDelay) - now;
            wait = Math.min(wait, due);
        }
        if (wait > 0) {
            plannedWake = now + wait;
            waiting = true;
            try {
                TimeUnit.NANOSECONDS.timedWait(this, wait);
            } finally {
                waiting = false;
            }
        }
        wake = false;
    }
}
