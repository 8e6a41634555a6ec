package dev.tidemark.repo;

import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The repository's store as one host sees it (format 5): a host's own objects ({@link HostSpace#SPACED}: journal,
 * horizon, binlog) are read and written under its space, everything else (packs, points, locks) as it is. So the
 * journal and binlog code needs no notion of hosts: {@code journal/0/…} is this host's journal.
 *
 * <p>Keys come back from {@link #list} relative to the space. For the owner of the objects left outside
 * {@code hosts/} by the upgrade from format 3 ({@link HostSpace#legacy}), reads look in its space first and then
 * outside, lists merge both, deletes remove both; writes always go into the space.
 */
final class HostStore implements Store {
    private final Store inner;
    private final HostSpace space;

    HostStore(Store inner, HostSpace space) {
        this.inner = inner;
        this.space = space;
    }

    Store inner() {
        return inner;
    }

    HostSpace space() {
        return space;
    }

    /** Whether this space's record is known to exist (written before the space's first object). */
    private volatile boolean claimed;

    private String mapped(String key) throws IOException {
        if (!HostSpace.spaced(key)) {
            return key;
        }
        if (!claimed) {
            space.claim(inner, java.time.Instant.now());
            claimed = true;
        }
        return space.key(key);
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
                u.commit(mapped(key));
            }

            @Override
            public boolean commitIfAbsent(String key) throws IOException {
                return u.commitIfAbsent(mapped(key));
            }

            @Override
            public void close() throws IOException {
                u.close();
            }
        };
    }

    @Override
    public void put(String key, byte[] data) throws IOException {
        inner.put(mapped(key), data);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] data) throws IOException {
        return inner.putIfAbsent(mapped(key), data);
    }

    /** A read of a host's own object: in its space, then (for the legacy owner) where format 3 kept it. */
    private interface Read<T> {
        T at(String key) throws IOException;
    }

    private <T> T read(String key, Read<T> read) throws IOException {
        if (!HostSpace.spaced(key)) {
            return read.at(key);
        }
        try {
            return read.at(space.key(key));
        } catch (ObjectNotFoundException e) {
            if (!space.legacy()) {
                throw e;
            }
            return read.at(key);
        }
    }

    @Override
    public byte[] get(String key) throws IOException {
        return read(key, inner::get);
    }

    @Override
    public InputStream open(String key) throws IOException {
        return read(key, inner::open);
    }

    @Override
    public ReadHandle openForRead(String key) throws IOException {
        return read(key, inner::openForRead);
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        if (!HostSpace.spaced(key)) {
            return inner.size(key);
        }
        OptionalLong s = inner.size(space.key(key));
        return s.isPresent() || !space.legacy() ? s : inner.size(key);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        if (!HostSpace.spaced(prefix)) {
            return inner.list(prefix);
        }
        Set<String> out = new LinkedHashSet<>();
        for (String k : inner.list(space.key(prefix))) {
            out.add(k.substring(space.prefix().length()));
        }
        if (space.legacy()) {
            out.addAll(inner.list(prefix));
        }
        List<String> sorted = new ArrayList<>(out);
        java.util.Collections.sort(sorted);
        return sorted;
    }

    @Override
    public void delete(String key) throws IOException {
        delete(List.of(key));
    }

    @Override
    public void delete(Collection<String> keys) throws IOException {
        List<String> real = new ArrayList<>();
        for (String k : keys) {
            if (HostSpace.spaced(k)) {
                real.add(space.key(k));
                if (space.legacy()) {
                    real.add(k);
                }
            } else {
                real.add(k);
            }
        }
        inner.delete(real);
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
