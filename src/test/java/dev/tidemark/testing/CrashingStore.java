package dev.tidemark.testing;

import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A decorator that dies at the Nth change to the store (a commit or a delete) and stays dead: that change and every
 * later one fail, as if the process had been killed right there. Counting with {@code failAt} 0 (never) tells how
 * many changes a run makes, so a test can crash it at every one of them.
 */
public final class CrashingStore extends ForwardingStore {
    private final int failAt;
    private final AtomicInteger changes = new AtomicInteger();
    private volatile boolean dead;

    public CrashingStore(Store inner, int failAt) {
        super(inner);
        this.failAt = failAt;
    }

    /** Changes seen so far (the failed one included). */
    public int changes() {
        return changes.get();
    }

    public boolean dead() {
        return dead;
    }

    private void change(String what) throws IOException {
        if (dead || changes.incrementAndGet() == failAt) {
            dead = true;
            throw new IOException("crash injected at change " + failAt + " (" + what + ")");
        }
    }

    @Override
    protected void beforeCommit(String key, long bytes) throws IOException {
        change("commit " + key);
    }

    @Override
    public void delete(String key) throws IOException {
        change("delete " + key);
        super.delete(key);
    }
}
