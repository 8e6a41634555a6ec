package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A point asked for waits for the watchers to go quiet ({@link ChangeQueue#awaitQuiet}), so that changes made just
 * before it arrive first. Only lower bounds on time are asserted: a busy machine may be late, never early.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ChangeQueueTest {
    private static final long MS = 1_000_000L;

    @Test
    void aPointWaitsUntilTheLastChangeIsAQuietPeriodOld() throws Exception {
        ChangeQueue q = new ChangeQueue(500 * MS, 5_000 * MS);
        AtomicLong lastOfferedBefore = new AtomicLong();
        Thread watcher = new Thread(() -> {
            for (int i = 0; i < 10; i++) {
                lastOfferedBefore.set(System.nanoTime());
                q.offer("t", "f" + i);
                sleep(20);
            }
        });
        long since = System.nanoTime();
        watcher.start();
        assertTrue(q.awaitQuiet(since, 100 * MS, 10_000 * MS), "the events stopped: quiet");
        long returned = System.nanoTime();
        watcher.join();
        assertTrue(returned - lastOfferedBefore.get() >= 100 * MS,
                "returned " + (returned - lastOfferedBefore.get()) / MS + " ms after the last event");
        org.junit.jupiter.api.Assertions.assertEquals(10, q.size(), "every change is there when it returns");
    }

    @Test
    void withNoEventItStillWaitsAQuietPeriodFromTheAsking() throws Exception {
        ChangeQueue q = new ChangeQueue(500 * MS, 5_000 * MS);
        Thread.sleep(150); // the queue's last event (its creation) is old: the asking is what counts
        long since = System.nanoTime();
        assertTrue(q.awaitQuiet(since, 100 * MS, 10_000 * MS));
        assertTrue(System.nanoTime() - since >= 100 * MS, "a change made just before asking has time to arrive");
    }

    @Test
    void aTreeThatNeverGoesQuietIsWaitedForAtMostTheLimit() throws Exception {
        ChangeQueue q = new ChangeQueue(500 * MS, 5_000 * MS);
        AtomicBoolean busy = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            for (int i = 0; busy.get(); i++) {
                q.offer("t", "f" + (i % 50));
                sleep(10);
            }
        });
        watcher.start();
        try {
            long since = System.nanoTime();
            assertFalse(q.awaitQuiet(since, 100 * MS, 400 * MS), "never quiet");
            assertTrue(System.nanoTime() - since >= 400 * MS, "waited the limit");
        } finally {
            busy.set(false);
            watcher.join();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
