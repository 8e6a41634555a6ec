package dev.tidemark.testing;

import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A decorator that counts objects and bytes committed, per key prefix ("data", "manifests", "points", ...). */
public final class CountingStore implements Store {
    private final Store inner;
    private final Map<String, AtomicLong> objects = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> bytes = new ConcurrentHashMap<>();

    public CountingStore(Store inner) {
        this.inner = inner;
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
    public Upload upload() throws IOException {
        Upload u = inner.upload();
        return new Upload() {
            @Override
            public java.io.OutputStream stream() {
                return u.stream();
            }

            @Override
            public long written() {
                return u.written();
            }

            @Override
            public void commit(String key) throws IOException {
                long n = u.written();
                u.commit(key);
                objects.computeIfAbsent(prefix(key), k -> new AtomicLong()).incrementAndGet();
                bytes.computeIfAbsent(prefix(key), k -> new AtomicLong()).addAndGet(n);
            }

            @Override
            public void close() throws IOException {
                u.close();
            }
        };
    }

    @Override
    public byte[] get(String key) throws IOException {
        return inner.get(key);
    }

    @Override
    public InputStream open(String key) throws IOException {
        return inner.open(key);
    }

    @Override
    public ReadHandle openForRead(String key) throws IOException {
        return inner.openForRead(key);
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        return inner.size(key);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return inner.list(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
        inner.delete(key);
    }

    @Override
    public int removeStrayTemporaries() throws IOException {
        return inner.removeStrayTemporaries();
    }

    @Override
    public String location() {
        return inner.location();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
