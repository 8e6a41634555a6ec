package dev.tidemark.testing;

import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** A decorator that fails the Nth commit of keys matching a predicate, as a full disk or a crash would. */
public final class FaultyStore implements Store {
    private final Store inner;
    private final Predicate<String> which;
    private final int failOn;
    private final AtomicInteger seen = new AtomicInteger();

    public FaultyStore(Store inner, Predicate<String> which, int failOn) {
        this.inner = inner;
        this.which = which;
        this.failOn = failOn;
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
                if (which.test(key) && seen.incrementAndGet() == failOn) {
                    throw new IOException("injected failure committing " + key);
                }
                u.commit(key);
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
