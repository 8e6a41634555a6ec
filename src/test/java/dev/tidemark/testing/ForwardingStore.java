package dev.tidemark.testing;

import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.OptionalLong;

/** Base of test decorators: forwards everything; subclasses hook {@link #beforeCommit} and {@link #afterCommit}. */
public abstract class ForwardingStore implements Store {
    protected final Store inner;

    protected ForwardingStore(Store inner) {
        this.inner = inner;
    }

    /** Called before an upload is committed; throw to make the commit fail. */
    protected void beforeCommit(String key, long bytes) throws IOException {
    }

    /** Called after an upload was committed. */
    protected void afterCommit(String key, long bytes) {
    }

    @Override
    public Upload upload() throws IOException {
        Upload u = inner.upload();
        return new Upload() {
            @Override
            public OutputStream stream() {
                return u.stream();
            }

            @Override
            public long written() {
                return u.written();
            }

            @Override
            public void commit(String key) throws IOException {
                long n = u.written();
                beforeCommit(key, n);
                u.commit(key);
                afterCommit(key, n);
            }

            @Override
            public boolean commitIfAbsent(String key) throws IOException {
                long n = u.written();
                beforeCommit(key, n);
                boolean made = u.commitIfAbsent(key);
                if (made) {
                    afterCommit(key, n);
                }
                return made;
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
    public void delete(java.util.Collection<String> keys) throws IOException {
        for (String k : keys) {
            delete(k); // one by one, through the hook subclasses may override
        }
    }

    @Override
    public int removeStrayTemporaries() throws IOException {
        return inner.removeStrayTemporaries();
    }

    @Override
    public boolean createsOnlyIfAbsent() {
        return inner.createsOnlyIfAbsent();
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
