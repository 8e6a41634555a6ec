package dev.tidemark.point;

import dev.tidemark.repo.Contents;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.DamageException;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * The content keys a manifest names, without parsing its JSON: prune reads every kept manifest, and a full parse of
 * each line would be most of its time.
 *
 * <p>A file's line ends with its key, {@code "key":"<32 hex>"}} (see {@link ManifestCodec}), so each line's tail is
 * checked first; a line that does not end that way (a directory, a link, or a field order this version did not
 * write) is searched for the bytes {@code "key":"} followed by 32 hex digits. Inside a JSON string every quote is
 * escaped, so that sequence only ever starts a key field. The manifest is still checked against its name (its
 * content key) at the end.
 */
public final class ManifestKeys {
    private static final byte[] NEEDLE = "\"key\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** {@code "key":"} + 32 hex + {@code "}}: the tail of a file's line. */
    private static final int TAIL = NEEDLE.length + 32 + 2;

    private ManifestKeys() {
    }

    /** Hands every content key in manifest {@code key} to {@code sink}; returns how many. */
    public static long scan(Contents contents, String key, Consumer<ContentKey> sink) throws IOException {
        long n = 0;
        try (InputStream in = ManifestReader.open(contents, key)) {
            byte[] buf = new byte[1 << 18];
            int have = 0; // the start of a line carried over from the last read (it has no newline yet)
            while (true) {
                if (have == buf.length) {
                    buf = java.util.Arrays.copyOf(buf, buf.length * 2); // a line longer than the buffer
                }
                int r = in.read(buf, have, buf.length - have);
                int end = r < 0 ? have : have + r;
                int start = 0;
                for (int i = have; i < end; i++) {
                    if (buf[i] == '\n') {
                        n += line(buf, start, i, key, sink);
                        start = i + 1;
                    }
                }
                if (r < 0) {
                    n += line(buf, start, end, key, sink); // a last line without its newline
                    break;
                }
                have = end - start;
                System.arraycopy(buf, start, buf, 0, have);
            }
        }
        return n;
    }

    /** The keys in line {@code [from, to)} (no newline): 0 or 1 in a manifest as tidemark writes it. */
    private static int line(byte[] b, int from, int to, String manifest, Consumer<ContentKey> sink)
            throws DamageException {
        int t = to - TAIL;
        if (t >= from && b[to - 1] == '}' && b[to - 2] == '"' && startsWith(b, t, NEEDLE)) {
            sink.accept(parse(b, t + NEEDLE.length, manifest));
            return 1;
        }
        int found = 0;
        for (int i = from; i + NEEDLE.length <= to; i++) {
            if (b[i] == '"' && startsWith(b, i, NEEDLE)) {
                if (i + NEEDLE.length + 32 > to) {
                    throw new DamageException("manifest " + manifest + ": a line ends inside a content key");
                }
                sink.accept(parse(b, i + NEEDLE.length, manifest));
                found++;
                i += NEEDLE.length + 31;
            }
        }
        return found;
    }

    private static boolean startsWith(byte[] b, int at, byte[] prefix) {
        for (int j = 0; j < prefix.length; j++) {
            if (b[at + j] != prefix[j]) {
                return false;
            }
        }
        return true;
    }

    private static ContentKey parse(byte[] b, int at, String manifest) throws DamageException {
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 32; i++) {
            int c = b[at + i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) {
                throw new DamageException("manifest " + manifest + ": a content key with a non-hex digit");
            }
            if (i < 16) {
                hi = hi << 4 | d;
            } else {
                lo = lo << 4 | d;
            }
        }
        return new ContentKey(hi, lo);
    }
}
