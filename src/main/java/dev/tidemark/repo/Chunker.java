package dev.tidemark.repo;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Content-defined chunking (FastCDC: a gear hash with normalized chunking), so that an insert early in a stream moves
 * only the chunk boundaries next to it: the chunks after it are found again and deduplicated by their content key.
 *
 * <p>The gear hash is {@code fp = (fp << 1) + GEAR[byte]}; a boundary is where the top bits of {@code fp} are all zero.
 * Before the average size more bits must be zero than after it (FastCDC's normalization, level 2), which narrows
 * the spread of chunk sizes around the average. Nothing is cut before {@code min}; at {@code max} a cut is forced.
 * The gear table is derived from a per-repository seed (the first content-key seed), so chunk sizes reveal nothing
 * across repositories; it is part of the repository format: changing it would only cost deduplication, never
 * correctness.
 *
 * <p>{@link Params#lines} moves each boundary forward to just after the next newline (within {@code max}), so a chunk
 * of a manifest holds whole lines.
 *
 * <p>Use as an {@link OutputStream}: every chunk is handed to the {@link Sink} as soon as its end is known, from a
 * buffer of {@code 2 * max} bytes; {@link #finish} hands out the rest.
 */
public final class Chunker extends OutputStream {
    /** Chunk sizes in bytes, and whether boundaries fall after a newline. */
    public record Params(int min, int avg, int max, boolean lines) {
        public Params {
            if (min <= 0 || Integer.bitCount(avg) != 1 || min >= avg || avg >= max) {
                throw new IllegalArgumentException("chunk sizes " + min + "/" + avg + "/" + max);
            }
        }
    }

    /** Large files: 64 KiB / 256 KiB / 1 MiB (a chunk is one {@link BlobCodec} segment). */
    public static final Params DATA = new Params(64 << 10, 256 << 10, BlobCodec.SEGMENT, false);
    /**
     * Database dumps: 1 KiB / 4 KiB / 32 KiB. A point's rows change here and there (0.1 % of rows spread over a
     * table touches a quarter of 256 KiB chunks); at 4 KiB a changed row costs a few KiB.
     */
    public static final Params DUMP = new Params(1 << 10, 4 << 10, 32 << 10, false);
    /** Manifests: 16 KiB / 64 KiB / 256 KiB at line ends, so one changed line rewrites about 64 KiB. */
    public static final Params MANIFEST = new Params(16 << 10, 64 << 10, 256 << 10, true);

    /** Receives each chunk; the bytes are only valid during the call. */
    public interface Sink {
        void chunk(byte[] buf, int off, int len) throws IOException;
    }

    private final long[] gear;
    private final Params params;
    private final long maskSmall;
    private final long maskLarge;
    private final Sink sink;
    private final byte[] buf;
    private int start;
    private int end;
    private long total;
    private boolean finished;

    public Chunker(long seed, Params params, Sink sink) {
        this.gear = gear(seed);
        this.params = params;
        int bits = Integer.numberOfTrailingZeros(params.avg());
        this.maskSmall = -1L << (64 - (bits + 2));
        this.maskLarge = -1L << (64 - (bits - 2));
        this.sink = sink;
        this.buf = new byte[2 * params.max()];
    }

    private static final long[][] CACHE = new long[1][];
    private static long cachedSeed;

    /** 256 pseudo-random 64-bit values from {@code seed} (SplitMix64). */
    static long[] gear(long seed) {
        synchronized (CACHE) {
            if (CACHE[0] != null && cachedSeed == seed) {
                return CACHE[0];
            }
        }
        long[] g = new long[256];
        long x = seed ^ 0x7469_6465_6d61_726bL; // "tidemark"
        for (int i = 0; i < 256; i++) {
            x += 0x9E37_79B9_7F4A_7C15L;
            long z = x;
            z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
            g[i] = z ^ (z >>> 31);
        }
        synchronized (CACHE) {
            CACHE[0] = g;
            cachedSeed = seed;
        }
        return g;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (finished) {
            throw new IOException("chunker is finished");
        }
        while (len > 0) {
            if (end == buf.length) {
                compact();
            }
            int n = Math.min(len, buf.length - end);
            System.arraycopy(b, off, buf, end, n);
            end += n;
            off += n;
            len -= n;
            total += n;
            while (end - start >= params.max()) {
                emit(cut(buf, start, end));
            }
        }
    }

    /**
     * Ends the chunk being gathered here (handing out what is buffered, the last piece whatever its size), so that
     * the next byte starts a chunk: a boundary the writer knows about, on top of the content-defined ones.
     */
    public void cutHere() throws IOException {
        if (finished) {
            throw new IOException("chunker is finished");
        }
        while (end > start) {
            emit(cut(buf, start, end));
        }
    }

    /** Hands out what is left (the last chunks); nothing may be written after. */
    public void finish() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        while (end > start) {
            emit(cut(buf, start, end));
        }
    }

    /** Bytes written so far. */
    public long total() {
        return total;
    }

    private void emit(int len) throws IOException {
        int at = start;
        start += len;
        sink.chunk(buf, at, len);
    }

    private void compact() {
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        start = 0;
    }

    /** The length of the next chunk of {@code b[from, to)}: all of it only if it is shorter than {@code max}. */
    int cut(byte[] b, int from, int to) {
        int n = Math.min(to - from, params.max());
        int c = boundary(b, from, n);
        if (params.lines() && c < n) {
            for (int i = from + c - 1; i < from + n; i++) {
                if (b[i] == '\n') {
                    return i + 1 - from;
                }
            }
        }
        return c;
    }

    /** FastCDC's cut point in {@code b[from, from + n)}. */
    private int boundary(byte[] b, int from, int n) {
        if (n <= params.min()) {
            return n;
        }
        int normal = Math.min(n, params.avg());
        long fp = 0;
        int i = params.min();
        for (; i < normal; i++) {
            fp = (fp << 1) + gear[b[from + i] & 0xff];
            if ((fp & maskSmall) == 0) {
                return i + 1;
            }
        }
        for (; i < n; i++) {
            fp = (fp << 1) + gear[b[from + i] & 0xff];
            if ((fp & maskLarge) == 0) {
                return i + 1;
            }
        }
        return n;
    }

    /** Chunk lengths of {@code data} as a whole (for tests and tools). */
    public static int[] lengths(long seed, Params params, byte[] data) throws IOException {
        int[][] out = {new int[16]};
        int[] count = {0};
        try (Chunker c = new Chunker(seed, params, (b, o, l) -> {
            if (count[0] == out[0].length) {
                out[0] = Arrays.copyOf(out[0], count[0] * 2);
            }
            out[0][count[0]++] = l;
        })) {
            c.write(data, 0, data.length);
            c.finish();
        }
        return Arrays.copyOf(out[0], count[0]);
    }
}
