package dev.tidemark.repo.crypto;

import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.store.Store;
import java.io.IOException;

/**
 * Positional reads of plaintext: the segments a read touches are read and opened. The last {@value #KEPT}
 * opened segments are kept: a restore's threads read neighbouring blobs of one pack at once, and each blob is
 * a few KiB of a 64 KiB segment.
 */
final class OpeningHandle implements Store.ReadHandle {
    private static final int KEPT = 8;
    private final SegmentCipher cipher;
    private final String key;
    private final Store.ReadHandle h;
    private final byte[] header = new byte[SegmentCipher.HEADER];
    /** Whether {@link #header} was read and checked; it is read with the first read (guarded by this). */
    private boolean headerRead;
    /** Reads from the object's start are on their way and bring the header with them (guarded by this). */
    private int headerComing;
    private final long size;
    private final long segments;
    /** Segment number to plaintext, least recently used first; guarded by this. */
    private final java.util.LinkedHashMap<Long, byte[]> kept = new java.util.LinkedHashMap<>(16, 0.75f, true);

    OpeningHandle(SegmentCipher cipher, String key, Store.ReadHandle h) throws IOException {
        this.cipher = cipher;
        this.key = key;
        this.h = h;
        this.size = SegmentCipher.plainSize(h.size());
        if (size < 0) {
            throw new DamageException(key + ": " + h.size() + " bytes is not the size of an encrypted object");
        }
        this.segments = Math.max(1, (size + SegmentCipher.SEGMENT - 1) / SegmentCipher.SEGMENT);
    }

    @Override
    public long size() {
        return size;
    }

    private synchronized byte[] kept(long n) {
        return kept.get(n);
    }

    private byte[] segment(long n) throws IOException {
        byte[] p = kept(n);
        if (p != null) {
            return p;
        }
        readHeader();
        long at = SegmentCipher.HEADER + n * SegmentCipher.SEALED;
        int sealedLen = (int) Math.min(SegmentCipher.SEALED, h.size() - at);
        byte[] sealed = new byte[sealedLen];
        h.readFully(at, sealed, 0, sealedLen);
        byte[] plain = new byte[sealedLen - SegmentCipher.TAG];
        cipher.open(header, n, n == segments - 1, sealed, 0, sealedLen, plain, 0, key);
        keep(n, plain);
        return plain;
    }

    /**
     * Reads the header on its own, unless a read from the object's start has brought it already or is on its way
     * (then it waits for that one): not when the handle is opened, since a restore's first read of a pack is a run
     * from its start, which brings it along, and a read of 16 bytes alone would start an object store's read-ahead
     * that the run does not use (two requests, ~0.75 MiB, per pack read by several threads at once).
     */
    private synchronized void readHeader() throws IOException {
        while (!headerRead && headerComing > 0) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("read of " + key + " interrupted");
            }
        }
        if (!headerRead) {
            h.readFully(0, header, 0, SegmentCipher.HEADER);
            SegmentCipher.checkHeader(header, key);
            headerRead = true;
        }
    }

    private synchronized void headerFrom(byte[] sealed) throws DamageException {
        if (!headerRead) {
            System.arraycopy(sealed, 0, header, 0, SegmentCipher.HEADER);
            SegmentCipher.checkHeader(header, key);
            headerRead = true;
        }
    }

    private synchronized void keep(long n, byte[] plain) {
        kept.put(n, plain);
        if (kept.size() > KEPT) {
            kept.remove(kept.keySet().iterator().next());
        }
    }

    @Override
    public void readFully(long offset, byte[] dst, int dstOff, int len) throws IOException {
        if (offset < 0 || len < 0 || offset + len > size) {
            throw new java.io.EOFException(key + ": " + len + " bytes at " + offset + " asked of an object of "
                    + size + " bytes");
        }
        // Segments at the start that are opened already (a run often starts in the segment the last one ended in)
        // are served from memory; then, if two or more are left, they are read at once.
        while (len > 0) {
            long n = offset / SegmentCipher.SEGMENT;
            byte[] plain = kept(n);
            if (plain == null) {
                break;
            }
            int in = (int) (offset - n * SegmentCipher.SEGMENT);
            int take = Math.min(len, plain.length - in);
            System.arraycopy(plain, in, dst, dstOff, take);
            offset += take;
            dstOff += take;
            len -= take;
        }
        if (len == 0) {
            return;
        }
        long first = offset / SegmentCipher.SEGMENT;
        long last = (offset + len - 1) / SegmentCipher.SEGMENT;
        if (last > first) {
            // A run of blobs (a restore's): every segment it touches in one read of the object below (one
            // request to an object store), the whole ones opened straight into dst, the partial ones at either
            // end through a buffer (and kept: the next run often starts in the segment this one ends in).
            boolean withHeader;
            synchronized (this) {
                withHeader = first == 0 && !headerRead;
                if (withHeader) {
                    headerComing++;
                }
            }
            if (!withHeader) {
                readHeader();
            }
            long at = withHeader ? 0 : SegmentCipher.HEADER + first * SegmentCipher.SEALED;
            int skip = withHeader ? SegmentCipher.HEADER : 0;
            int sealedLen = (int) (Math.min(h.size(), SegmentCipher.HEADER + (last + 1) * SegmentCipher.SEALED)
                    - at);
            byte[] sealed = Scratch.take(sealedLen);
            try {
                h.readFully(at, sealed, 0, sealedLen);
                if (withHeader) {
                    headerFrom(sealed);
                }
            } finally {
                if (withHeader) {
                    synchronized (this) {
                        headerComing--;
                        notifyAll(); // those waiting read the header themselves if this read failed
                    }
                }
            }
            long end = offset + len;
            int out = dstOff;
            for (long n = first; n <= last; n++) {
                int from = skip + (int) ((n - first) * SegmentCipher.SEALED);
                int l = Math.min(SegmentCipher.SEALED, sealedLen - from);
                long start = n * SegmentCipher.SEGMENT;
                int plainLen = l - SegmentCipher.TAG;
                if (start >= offset && start + plainLen <= end) {
                    out += cipher.open(header, n, n == segments - 1, sealed, from, l, dst, out, key);
                    continue;
                }
                byte[] plain = new byte[plainLen];
                cipher.open(header, n, n == segments - 1, sealed, from, l, plain, 0, key);
                keep(n, plain);
                int in = (int) Math.max(0, offset - start);
                int take = (int) (Math.min(start + plainLen, end) - (start + in));
                System.arraycopy(plain, in, dst, out, take);
                out += take;
            }
            return;
        }
        byte[] plain = segment(first);
        System.arraycopy(plain, (int) (offset - first * SegmentCipher.SEGMENT), dst, dstOff, len);
    }

    @Override
    public void close() throws IOException {
        h.close();
    }

    /**
     * One buffer per thread for the sealed bytes of a run read below (up to 4 MiB in a restore), reused instead of
     * a new array per run: those went to the old generation and cost full collections. Not kept above 8 MiB.
     */
    private static final class Scratch {
        private static final int KEEP = 8 << 20;
        private static final ThreadLocal<byte[]> BUF = new ThreadLocal<>();

        static byte[] take(int len) {
            byte[] b = BUF.get();
            if (b != null && b.length >= len) {
                return b;
            }
            b = new byte[len];
            if (len <= KEEP) {
                BUF.set(b);
            }
            return b;
        }
    }
}
