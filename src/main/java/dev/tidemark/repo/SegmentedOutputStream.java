package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a stream in {@link BlobCodec} segments (each LZ4 or raw, whichever is smaller) and computes the content key
 * of the raw bytes. Used for manifests, so every compressed thing in the repository has one format. Does not close
 * the stream it writes to.
 */
public final class SegmentedOutputStream extends OutputStream {
    private final OutputStream out;
    private final ContentHasher.Stream hash;
    private final byte[] buf = new byte[BlobCodec.SEGMENT];
    private final byte[] scratch = BlobCodec.newScratch();
    private int fill;
    private long raw;
    private boolean closed;

    public SegmentedOutputStream(OutputStream out, ContentHasher hasher) {
        this.out = out;
        this.hash = hasher.stream();
    }

    @Override
    public void write(int b) throws IOException {
        if (fill == buf.length) {
            segment();
        }
        buf[fill++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (fill == buf.length) {
                segment();
            }
            int n = Math.min(len, buf.length - fill);
            System.arraycopy(b, off, buf, fill, n);
            fill += n;
            off += n;
            len -= n;
        }
    }

    private void segment() throws IOException {
        if (fill == 0) {
            return;
        }
        hash.update(buf, 0, fill);
        raw += fill;
        try {
            BlobCodec.writeSegment(out, buf, 0, fill, scratch);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        fill = 0;
    }

    /** Writes the last segment and returns the content key of everything written. */
    public ContentKey finish() throws IOException {
        segment();
        out.flush();
        return hash.key();
    }

    public long rawLength() {
        return raw + fill;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            hash.close();
        }
    }
}
