package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * The stored form of one blob: a sequence of segments, each at most {@link #SEGMENT} raw bytes and each either
 * raw or LZ4-compressed, whichever is smaller by a useful margin. Segments keep memory bounded for large files and
 * let compression switch off for the incompressible parts (JPEG crops) without a second pass.
 *
 * <pre>segment := u8 codec (0 raw, 1 lz4) | u32 rawLength | u32 storedLength | storedLength bytes</pre>
 *
 * A blob of rawLength 0 has no segments.
 */
public final class BlobCodec {
    public static final int SEGMENT = 1 << 20;
    public static final int SEGMENT_HEADER = 9;
    static final byte RAW = 0;
    static final byte LZ4 = 1;

    private static final LZ4Factory LZ4_FACTORY = LZ4Factory.fastestInstance();
    private static final LZ4Compressor COMPRESSOR = LZ4_FACTORY.fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4_FACTORY.safeDecompressor();

    private BlobCodec() {
    }

    /** Upper bound of the stored size of {@code rawLength} bytes. */
    public static long maxStoredLength(long rawLength) {
        long segments = (rawLength + SEGMENT - 1) / SEGMENT;
        return rawLength + segments * SEGMENT_HEADER;
    }

    /** This thread's buffer for {@link #encodeInto}: a header and the largest compressed segment. */
    private static final ThreadLocal<byte[]> OUT = ThreadLocal.withInitial(
            () -> new byte[SEGMENT_HEADER + COMPRESSOR.maxCompressedLength(SEGMENT)]);

    /** Encodes one blob held in memory. A blob of one segment (the usual crop or config file) is built in place. */
    public static byte[] encode(byte[] raw, int off, int len, boolean tryCompress) {
        if (len > 0 && len <= SEGMENT) {
            byte[] out = OUT.get();
            return java.util.Arrays.copyOf(out, encodeInto(raw, off, len, tryCompress, out));
        }
        return encodeSegments(raw, off, len, tryCompress);
    }

    /**
     * Encodes a blob of one segment (1 to {@value #SEGMENT} bytes) into {@code out} from its start, compressed only
     * if that saves at least 1/32; returns the encoded length. {@code out} is at least {@link #encodeBuffer}'s size.
     * The same bytes as {@link #encode}, without a new array per blob (a first point of 60,000 crops allocated
     * 360 MB that way, collected young).
     */
    public static int encodeInto(byte[] raw, int off, int len, boolean tryCompress, byte[] out) {
        if (len <= 0 || len > SEGMENT) {
            throw new IllegalArgumentException("encodeInto takes one segment, 1 to " + SEGMENT + " bytes: " + len);
        }
        if (tryCompress && len >= 64) {
            int c = COMPRESSOR.compress(raw, off, len, out, SEGMENT_HEADER, out.length - SEGMENT_HEADER);
            if (c < len - (len >>> 5)) {
                ByteBuffer.wrap(out).put(LZ4).putInt(len).putInt(c);
                return SEGMENT_HEADER + c;
            }
        }
        ByteBuffer.wrap(out).put(RAW).putInt(len).putInt(len);
        System.arraycopy(raw, off, out, SEGMENT_HEADER, len);
        return SEGMENT_HEADER + len;
    }

    /** This thread's buffer for {@link #encodeInto}; what it holds is valid until this thread's next encode. */
    public static byte[] encodeBuffer() {
        return OUT.get();
    }

    private static byte[] encodeSegments(byte[] raw, int off, int len, boolean tryCompress) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 16, maxStoredLength(len)));
        byte[] scratch = tryCompress ? new byte[COMPRESSOR.maxCompressedLength(Math.min(len, SEGMENT))] : null;
        for (int pos = 0; pos < len; pos += SEGMENT) {
            int n = Math.min(SEGMENT, len - pos);
            writeSegment(out, raw, off + pos, n, scratch);
        }
        return out.toByteArray();
    }

    /**
     * Writes one segment; {@code scratch} (at least {@code maxCompressedLength(n)}) enables compression, null
     * disables it. Compression is kept only if it saves at least 1/32 of the segment.
     */
    public static void writeSegment(OutputStream out, byte[] raw, int off, int n, byte[] scratch) {
        try {
            if (scratch != null && n >= 64) {
                int c = COMPRESSOR.compress(raw, off, n, scratch, 0, scratch.length);
                if (c < n - (n >>> 5)) {
                    out.write(header(LZ4, n, c));
                    out.write(scratch, 0, c);
                    return;
                }
            }
            out.write(header(RAW, n, n));
            out.write(raw, off, n);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static byte[] newScratch() {
        return new byte[COMPRESSOR.maxCompressedLength(SEGMENT)];
    }

    private static byte[] header(byte codec, int raw, int stored) {
        return ByteBuffer.allocate(SEGMENT_HEADER).put(codec).putInt(raw).putInt(stored).array();
    }

    /** Receives decoded bytes. */
    public interface Sink {
        void accept(byte[] buf, int off, int len) throws IOException;
    }

    /** Reads stored bytes sequentially. */
    public interface Source {
        void readFully(byte[] dst, int off, int len) throws IOException;
    }

    private static final ThreadLocal<byte[]> RAW_BUFFER = ThreadLocal.withInitial(() -> new byte[SEGMENT]);

    /**
     * Decodes a blob of at most one segment held whole in {@code stored[off, off + len)}: no stream, no copies, one
     * hash call. Same checks and errors as {@link #decode}.
     */
    public static void decodeSmall(byte[] stored, int off, int len, long rawLength, ContentKey expected,
                                   ContentHasher hasher, Sink sink, String what) throws IOException {
        if (rawLength > SEGMENT) {
            throw new IllegalArgumentException("not a single-segment blob: " + rawLength);
        }
        if (rawLength == 0) {
            if (len != 0) {
                throw new DamageException(what + ": " + len + " stray bytes in an empty blob");
            }
            checkKey(hasher.hash(stored, off, 0), expected, what);
            return;
        }
        if (len < SEGMENT_HEADER) {
            throw new DamageException(what + ": segment header past the blob's end");
        }
        Segment seg = Segment.parse(stored, off, what);
        int rawLen = seg.rawLength();
        if (rawLen != rawLength || seg.storedLength() != len - SEGMENT_HEADER) {
            throw new DamageException(what + ": segment header does not fit the blob (" + seg + ")");
        }
        byte[] out;
        int outOff;
        if (seg.codec() == RAW) {
            out = stored;
            outOff = off + SEGMENT_HEADER;
        } else {
            out = RAW_BUFFER.get();
            outOff = 0;
            seg.inflate(stored, off + SEGMENT_HEADER, out, what);
        }
        checkKey(hasher.hash(out, outOff, rawLen), expected, what);
        sink.accept(out, outOff, rawLen);
    }

    /** A segment header, checked on its own: codec known, lengths within a segment, raw stored as is. */
    record Segment(byte codec, int rawLength, int storedLength) {
        static Segment parse(byte[] b, int off, String what) throws DamageException {
            ByteBuffer bb = ByteBuffer.wrap(b, off, SEGMENT_HEADER);
            Segment s = new Segment(bb.get(), bb.getInt(), bb.getInt());
            if (s.rawLength <= 0 || s.rawLength > SEGMENT || s.storedLength <= 0 || s.storedLength > SEGMENT
                    || (s.codec == RAW && s.storedLength != s.rawLength) || (s.codec != RAW && s.codec != LZ4)) {
                throw new DamageException(what + ": malformed segment header (" + s + ")");
            }
            return s;
        }

        /** Decompresses an LZ4 segment's {@code storedLength} bytes at {@code off} into {@code out}. */
        void inflate(byte[] stored, int off, byte[] out, String what) throws DamageException {
            int n;
            try {
                n = DECOMPRESSOR.decompress(stored, off, storedLength, out, 0, out.length);
            } catch (LZ4Exception e) {
                throw new DamageException(what + ": LZ4 data does not decode", e);
            }
            if (n != rawLength) {
                throw new DamageException(what + ": segment decodes to " + n + " bytes, expected " + rawLength);
            }
        }

        @Override
        public String toString() {
            return "codec " + codec + ", raw " + rawLength + ", stored " + storedLength;
        }
    }

    private static void checkKey(ContentKey got, ContentKey expected, String what) throws DamageException {
        if (!got.equals(expected)) {
            throw new DamageException(what + ": content key mismatch (stored data hashes to " + got.shortHex() + ")");
        }
    }

    /**
     * Decodes a blob from {@code src}, passing its raw bytes to {@code sink} and checking its length and content key.
     * Throws {@link DamageException} naming {@code what} if anything does not match.
     */
    public static void decode(Source src, long storedLength, long rawLength, ContentKey expected, ContentHasher hasher,
                              Sink sink, String what) throws IOException {
        byte[] hdr = new byte[SEGMENT_HEADER];
        byte[] stored = new byte[(int) Math.min(SEGMENT, Math.max(storedLength, 1))];
        byte[] raw = new byte[(int) Math.min(SEGMENT, Math.max(rawLength, 1))];
        long consumed = 0;
        long produced = 0;
        try (ContentHasher.Stream h = hasher.stream()) {
            while (produced < rawLength) {
                if (consumed + SEGMENT_HEADER > storedLength) {
                    throw new DamageException(what + ": segment header past the blob's end");
                }
                src.readFully(hdr, 0, SEGMENT_HEADER);
                consumed += SEGMENT_HEADER;
                Segment seg = Segment.parse(hdr, 0, what);
                int rawLen = seg.rawLength();
                int storedLen = seg.storedLength();
                if (consumed + storedLen > storedLength || produced + rawLen > rawLength) {
                    throw new DamageException(what + ": segment runs past the blob's end (" + seg + ")");
                }
                src.readFully(stored, 0, storedLen);
                consumed += storedLen;
                byte[] out = seg.codec() == RAW ? stored : raw;
                if (seg.codec() != RAW) {
                    seg.inflate(stored, 0, raw, what);
                }
                h.update(out, 0, rawLen);
                sink.accept(out, 0, rawLen);
                produced += rawLen;
            }
            if (consumed != storedLength) {
                throw new DamageException(what + ": " + (storedLength - consumed) + " stray bytes after the last segment");
            }
            checkKey(h.key(), expected, what);
        }
    }
}
