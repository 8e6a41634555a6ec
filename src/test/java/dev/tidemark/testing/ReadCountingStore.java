package dev.tidemark.testing;

import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A decorator that records every positional read of the store below (key, offset, length) and every open. */
public final class ReadCountingStore extends ForwardingStore {
    /** One positional read. */
    public record Read(String key, long offset, int length) {
    }

    private final List<Read> reads = Collections.synchronizedList(new ArrayList<>());
    private final List<String> opens = Collections.synchronizedList(new ArrayList<>());
    private volatile ReadHook hook = r -> { };

    /** Runs before each read, once it is recorded: it may wait or fail (tests of readers on several threads). */
    public interface ReadHook {
        void before(Read r) throws IOException;
    }

    public ReadCountingStore(Store inner) {
        super(inner);
    }

    /** The reads so far, in order. */
    public List<Read> reads() {
        synchronized (reads) {
            return List.copyOf(reads);
        }
    }

    /** The reads so far of keys starting with {@code prefix}. */
    public List<Read> reads(String prefix) {
        return reads().stream().filter(r -> r.key().startsWith(prefix)).toList();
    }

    /** How many times {@code key} was asked to be opened for reading, found or not. */
    public long opens(String key) {
        synchronized (opens) {
            return opens.stream().filter(key::equals).count();
        }
    }

    /** Sets what runs before each read from now on. */
    public void beforeEachRead(ReadHook h) {
        this.hook = h;
    }

    public void reset() {
        reads.clear();
        opens.clear();
    }

    @Override
    public ReadHandle openForRead(String key) throws IOException {
        opens.add(key);
        ReadHandle h = inner.openForRead(key);
        return new ReadHandle() {
            @Override
            public long size() {
                return h.size();
            }

            @Override
            public void readFully(long offset, byte[] dst, int dstOff, int len) throws IOException {
                Read r = new Read(key, offset, len);
                reads.add(r);
                hook.before(r);
                h.readFully(offset, dst, dstOff, len);
            }

            @Override
            public void close() throws IOException {
                h.close();
            }
        };
    }
}
