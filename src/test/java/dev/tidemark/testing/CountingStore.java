package dev.tidemark.testing;

import dev.tidemark.repo.store.Store;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A decorator that counts objects and bytes committed, per key prefix ("data", "manifests", "points", ...). */
public final class CountingStore extends ForwardingStore {
    private final Map<String, AtomicLong> objects = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> bytes = new ConcurrentHashMap<>();

    public CountingStore(Store inner) {
        super(inner);
    }

    private static String prefix(String key) {
        int slash = key.indexOf('/');
        return slash < 0 ? key : key.substring(0, slash);
    }

    public long objects(String prefix) {
        return objects.getOrDefault(prefix, new AtomicLong()).get();
    }

    public long bytes(String prefix) {
        return bytes.getOrDefault(prefix, new AtomicLong()).get();
    }

    public void reset() {
        objects.clear();
        bytes.clear();
    }

    @Override
    protected void afterCommit(String key, long n) {
        objects.computeIfAbsent(prefix(key), k -> new AtomicLong()).incrementAndGet();
        bytes.computeIfAbsent(prefix(key), k -> new AtomicLong()).addAndGet(n);
    }
}
