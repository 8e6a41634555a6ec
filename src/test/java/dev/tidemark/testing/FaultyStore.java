package dev.tidemark.testing;

import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** A decorator that fails the Nth commit of keys matching a predicate, as a full disk or a crash would. */
public final class FaultyStore extends ForwardingStore {
    private final Predicate<String> which;
    private final int failOn;
    private final AtomicInteger seen = new AtomicInteger();

    public FaultyStore(Store inner, Predicate<String> which, int failOn) {
        super(inner);
        this.which = which;
        this.failOn = failOn;
    }

    @Override
    protected void beforeCommit(String key, long bytes) throws IOException {
        if (which.test(key) && seen.incrementAndGet() == failOn) {
            throw new IOException("injected failure committing " + key);
        }
    }
}
