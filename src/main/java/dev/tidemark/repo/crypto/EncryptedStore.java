package dev.tidemark.repo.crypto;

import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;

/**
 * A {@link Store} that encrypts every object it writes and authenticates every byte it reads ({@link SegmentCipher}),
 * over another store, which sees only ciphertext. Two kinds of object pass through as they are: the {@code version}
 * file (it says the repository is encrypted) and the wrapped keys under {@code keys/}. Sizes and positional reads
 * are in plaintext terms, so everything above it works unchanged.
 */
public final class EncryptedStore implements Store {
    public static final String KEYS_PREFIX = "keys/";
    private final Store inner;
    private final SegmentCipher cipher;
    private final byte[] masterKey;

    public EncryptedStore(Store inner, byte[] masterKey) {
        this.inner = inner;
        this.masterKey = masterKey.clone();
        this.cipher = new SegmentCipher(masterKey);
    }

    /** The master key (to seal it under another password: {@code tidemark key add}). */
    public byte[] masterKey() {
        return masterKey.clone();
    }

    /** The store underneath, which holds ciphertext. */
    public Store inner() {
        return inner;
    }

    static boolean plain(String key) {
        return key.equals("version") || key.startsWith(KEYS_PREFIX);
    }

    @Override
    public Upload upload() throws IOException {
        return new SealingUpload(inner.upload());
    }

    @Override
    public void put(String key, byte[] data) throws IOException {
        if (plain(key)) {
            inner.put(key, data);
        } else {
            Store.super.put(key, data);
        }
    }

    @Override
    public boolean putIfAbsent(String key, byte[] data) throws IOException {
        return plain(key) ? inner.putIfAbsent(key, data) : Store.super.putIfAbsent(key, data);
    }

    @Override
    public byte[] get(String key) throws IOException {
        byte[] sealed = inner.get(key);
        if (plain(key)) {
            return sealed;
        }
        long size = SegmentCipher.plainSize(sealed.length);
        if (size < 0 || size > Integer.MAX_VALUE - 64) {
            throw new DamageException(key + ": " + sealed.length + " bytes is not the size of an encrypted object");
        }
        byte[] header = java.util.Arrays.copyOf(sealed, SegmentCipher.HEADER);
        SegmentCipher.checkHeader(header, key);
        byte[] out = new byte[(int) size];
        long segments = Math.max(1, (size + SegmentCipher.SEGMENT - 1) / SegmentCipher.SEGMENT);
        int in = SegmentCipher.HEADER;
        int at = 0;
        for (long n = 0; n < segments; n++) {
            int len = (int) Math.min(SegmentCipher.SEALED, sealed.length - in);
            at += cipher.open(header, n, n == segments - 1, sealed, in, len, out, at, key);
            in += len;
        }
        return out;
    }

    @Override
    public InputStream open(String key) throws IOException {
        if (plain(key)) {
            return inner.open(key);
        }
        ReadHandle h = openForRead(key);
        return new InputStream() {
            private long pos;
            private final byte[] one = new byte[1];

            @Override
            public int read() throws IOException {
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos >= h.size()) {
                    return -1;
                }
                int n = (int) Math.min(len, Math.min(h.size() - pos, SegmentCipher.SEGMENT));
                h.readFully(pos, b, off, n);
                pos += n;
                return n;
            }

            @Override
            public void close() throws IOException {
                h.close();
            }
        };
    }

    @Override
    public ReadHandle openForRead(String key) throws IOException {
        ReadHandle h = inner.openForRead(key);
        if (plain(key)) {
            return h;
        }
        try {
            return new OpeningHandle(cipher, key, h);
        } catch (IOException | RuntimeException e) {
            h.close();
            throw e;
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        OptionalLong s = inner.size(key);
        if (s.isEmpty() || plain(key)) {
            return s;
        }
        long p = SegmentCipher.plainSize(s.getAsLong());
        if (p < 0) {
            throw new DamageException(key + ": " + s.getAsLong() + " bytes is not the size of an encrypted object");
        }
        return OptionalLong.of(p);
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
    public void delete(Collection<String> keys) throws IOException {
        inner.delete(keys);
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

    /** An upload sealed segment by segment as it is written; the last segment is sealed at commit. */
    private final class SealingUpload implements Upload {
        private final Upload up;
        private final byte[] header = SegmentCipher.newHeader();
        private final byte[] buf = new byte[SegmentCipher.SEGMENT];
        private final byte[] out = new byte[SegmentCipher.SEALED];
        private int filled;
        private long segment;
        private long written;
        private boolean headerWritten;
        private final OutputStream stream = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    if (filled == buf.length) {
                        sealSegment(false);
                    }
                    int take = Math.min(len, buf.length - filled);
                    System.arraycopy(b, off, buf, filled, take);
                    filled += take;
                    off += take;
                    len -= take;
                    written += take;
                }
            }
        };

        SealingUpload(Upload up) {
            this.up = up;
        }

        private void sealSegment(boolean last) throws IOException {
            if (!headerWritten) {
                up.stream().write(header);
                headerWritten = true;
            }
            int n = cipher.seal(header, segment, last, buf, 0, filled, out, 0);
            up.stream().write(out, 0, n);
            segment++;
            filled = 0;
        }

        @Override
        public OutputStream stream() {
            return stream;
        }

        @Override
        public long written() {
            return written;
        }

        private void finish(String key) throws IOException {
            if (plain(key)) {
                throw new IllegalArgumentException(key + " is kept unencrypted: write it to the store underneath");
            }
            sealSegment(true);
        }

        @Override
        public void commit(String key) throws IOException {
            finish(key);
            up.commit(key);
        }

        @Override
        public boolean commitIfAbsent(String key) throws IOException {
            finish(key);
            return up.commitIfAbsent(key);
        }

        @Override
        public void close() throws IOException {
            up.close();
        }
    }
}
