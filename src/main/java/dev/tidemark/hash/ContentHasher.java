package dev.tidemark.hash;

import java.security.SecureRandom;
import net.jpountz.xxhash.StreamingXXHash64;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Computes {@link ContentKey}s with the repository's two seeds. Thread-safe; {@link Stream}s are not and must be
 * closed (the JNI implementation holds native state).
 */
public final class ContentHasher {
    private static final XXHashFactory FACTORY = XXHashFactory.fastestInstance();

    private final long seedA;
    private final long seedB;
    private final XXHash64 xxh = FACTORY.hash64();

    public ContentHasher(long seedA, long seedB) {
        if (seedA == seedB) {
            throw new IllegalArgumentException("the two content-key seeds must differ");
        }
        this.seedA = seedA;
        this.seedB = seedB;
    }

    /** Two fresh random seeds for a new repository. */
    public static long[] randomSeeds() {
        SecureRandom r = new SecureRandom();
        long a = r.nextLong();
        long b;
        do {
            b = r.nextLong();
        } while (b == a);
        return new long[] {a, b};
    }

    /** The seed of the repository's chunker: the first key seed (per repository, like the keys). */
    public long chunkSeed() {
        return seedA;
    }

    public ContentKey hash(byte[] data, int off, int len) {
        return new ContentKey(xxh.hash(data, off, len, seedA), xxh.hash(data, off, len, seedB));
    }

    public ContentKey hash(byte[] data) {
        return hash(data, 0, data.length);
    }

    public Stream stream() {
        return new Stream(FACTORY.newStreamingHash64(seedA), FACTORY.newStreamingHash64(seedB));
    }

    /** Incremental hashing of content that does not fit in memory. */
    public static final class Stream implements AutoCloseable {
        private final StreamingXXHash64 a;
        private final StreamingXXHash64 b;

        private Stream(StreamingXXHash64 a, StreamingXXHash64 b) {
            this.a = a;
            this.b = b;
        }

        public void update(byte[] data, int off, int len) {
            a.update(data, off, len);
            b.update(data, off, len);
        }

        public ContentKey key() {
            return new ContentKey(a.getValue(), b.getValue());
        }

        public void reset() {
            a.reset();
            b.reset();
        }

        @Override
        public void close() {
            a.close();
            b.close();
        }
    }
}
