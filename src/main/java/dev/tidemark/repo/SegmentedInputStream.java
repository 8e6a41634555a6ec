package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads what {@link SegmentedOutputStream} wrote, one segment at a time, and at the end checks the raw bytes against
 * the expected content key: a mismatch or a malformed segment is a {@link DamageException} naming {@code what}.
 */
public final class SegmentedInputStream extends InputStream {
    private final InputStream in;
    private final ContentHasher.Stream hash;
    private final ContentKey expected;
    private final String what;
    private final byte[] hdr = new byte[BlobCodec.SEGMENT_HEADER];
    private final byte[] stored = new byte[BlobCodec.SEGMENT];
    private final byte[] raw = new byte[BlobCodec.SEGMENT];
    private byte[] cur;
    private int pos;
    private int len;
    private boolean eof;

    public SegmentedInputStream(InputStream in, ContentHasher hasher, ContentKey expected, String what) {
        this.in = in;
        this.hash = hasher.stream();
        this.expected = expected;
        this.what = what;
    }

    private boolean next() throws IOException {
        if (eof) {
            return false;
        }
        int n = in.readNBytes(hdr, 0, hdr.length);
        if (n == 0) {
            eof = true;
            ContentKey got = hash.key();
            if (!got.equals(expected)) {
                throw new DamageException(what + ": content does not match its name");
            }
            return false;
        }
        if (n < hdr.length) {
            throw new DamageException(what + ": truncated segment header");
        }
        BlobCodec.Segment seg = BlobCodec.Segment.parse(hdr, 0, what);
        int rawLen = seg.rawLength();
        int storedLen = seg.storedLength();
        if (in.readNBytes(stored, 0, storedLen) != storedLen) {
            throw new DamageException(what + ": truncated segment", new EOFException());
        }
        if (seg.codec() == BlobCodec.RAW) {
            cur = stored;
        } else {
            seg.inflate(stored, 0, raw, what);
            cur = raw;
        }
        hash.update(cur, 0, rawLen);
        pos = 0;
        len = rawLen;
        return true;
    }

    @Override
    public int read() throws IOException {
        if (pos == len && !next()) {
            return -1;
        }
        return cur[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int n) throws IOException {
        if (n == 0) {
            return 0;
        }
        if (pos == len && !next()) {
            return -1;
        }
        int k = Math.min(n, len - pos);
        System.arraycopy(cur, pos, b, off, k);
        pos += k;
        return k;
    }

    @Override
    public void close() throws IOException {
        hash.close();
        in.close();
    }
}
