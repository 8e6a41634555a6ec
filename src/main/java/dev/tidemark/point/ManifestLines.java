package dev.tidemark.point;

import dev.tidemark.repo.Contents;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tidemark.repo.DamageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A manifest read as its lines, each with the path (and type and size) it is about: for a merge that copies most
 * entries of a manifest into a new one unchanged (a point sealed from the journal), without parsing and writing
 * them again. The bytes are checked against the manifest's name at the end, as {@link ManifestReader} does.
 *
 * <p>A line as {@link ManifestCodec#write} writes it starts (after the generator's one-space separator)
 * {@code {"path":"…","type":"t"} and, for a file, {@code ,"size":N}: those are read directly; any other line (a
 * path with escapes) is parsed whole.
 */
public final class ManifestLines implements AutoCloseable {
    private static final byte[] START = "{\"path\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TYPE = "\",\"type\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SIZE = ",\"size\":".getBytes(StandardCharsets.US_ASCII);

    /** One entry's line, its trailing newline included. */
    public record Line(String path, EntryType type, long size, byte[] bytes) {
    }

    private final String key;
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private boolean done;

    public ManifestLines(Contents contents, String key) throws IOException {
        this.key = key;
        this.in = ManifestReader.open(contents, key);
        try {
            byte[] header = readLine();
            if (header == null) {
                throw new DamageException("manifest " + key + ": no header");
            }
            try (JsonParser p = ManifestCodec.JSON.createParser(header)) {
                int version = -1;
                if (p.nextToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String f = p.currentName();
                        p.nextToken();
                        if (f.equals("manifest")) {
                            version = p.getIntValue();
                        } else {
                            p.skipChildren();
                        }
                    }
                }
                if (version != 1) {
                    throw new DamageException("manifest " + key + ": bad header (version " + version + ")");
                }
            }
        } catch (IOException | RuntimeException e) {
            in.close();
            throw wrap(e);
        }
    }

    private DamageException wrap(Exception e) {
        if (e instanceof DamageException d) {
            return d;
        }
        return new DamageException("manifest " + key + ": unreadable: " + e.getMessage(), e);
    }

    /** The next line, or null after the last (when the content key has been checked). */
    public Line next() throws IOException {
        if (done) {
            return null;
        }
        try {
            byte[] line = readLine();
            if (line == null) {
                done = true;
                return null;
            }
            return parse(line);
        } catch (IOException | RuntimeException e) {
            throw wrap(e);
        }
    }

    private Line parse(byte[] b) throws IOException {
        int n = b.length - 1; // the newline
        int s = b.length > 0 && b[0] == ' ' ? 1 : 0; // the generator's separator between root values
        if (startsWith(b, s, START)) {
            int end = -1;
            for (int i = s + START.length; i < n; i++) {
                if (b[i] == '\\') {
                    break; // an escape: parse the whole line
                }
                if (b[i] == '"') {
                    end = i;
                    break;
                }
            }
            if (end > 0 && startsWith(b, end, TYPE) && end + TYPE.length + 1 < n
                    && b[end + TYPE.length + 1] == '"') {
                byte t = b[end + TYPE.length];
                EntryType type = t == 'f' ? EntryType.FILE : t == 'd' ? EntryType.DIR : t == 'l' ? EntryType.SYMLINK
                        : null;
                int at = end + TYPE.length + 2;
                long size = 0;
                boolean ok = type != null;
                if (type == EntryType.FILE) {
                    ok = startsWith(b, at, SIZE);
                    int i = at + SIZE.length;
                    int digits = 0;
                    while (ok && i < n && b[i] >= '0' && b[i] <= '9' && digits < 19) {
                        size = size * 10 + (b[i++] - '0');
                        digits++;
                    }
                    ok = ok && digits > 0;
                }
                if (ok) {
                    return new Line(new String(b, s + START.length, end - s - START.length, StandardCharsets.UTF_8),
                            type, size, b);
                }
            }
        }
        try (JsonParser p = ManifestCodec.JSON.createParser(b)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new DamageException("manifest " + key + ": a line is not an entry");
            }
            FileEntry e = ManifestCodec.read(p);
            return new Line(e.path(), e.type(), e.size(), b);
        }
    }

    private static boolean startsWith(byte[] b, int at, byte[] prefix) {
        return at + prefix.length <= b.length
                && Arrays.equals(b, at, at + prefix.length, prefix, 0, prefix.length);
    }

    /** The next line with its newline, or null at the end (the stream drained, so its key is checked). */
    private byte[] readLine() throws IOException {
        byte[] acc = null;
        int accLen = 0;
        while (true) {
            if (pos == lim) {
                lim = in.read(buf, 0, buf.length);
                pos = 0;
                if (lim <= 0) {
                    lim = 0;
                    if (accLen > 0) {
                        throw new DamageException("manifest " + key + ": the last line has no end");
                    }
                    return null;
                }
            }
            int i = pos;
            while (i < lim && buf[i] != '\n') {
                i++;
            }
            boolean found = i < lim;
            int len = (found ? i + 1 : lim) - pos;
            if (acc == null && found) {
                byte[] line = Arrays.copyOfRange(buf, pos, pos + len);
                pos += len;
                return line;
            }
            if (acc == null) {
                acc = new byte[Math.max(256, len * 2)];
            } else if (accLen + len > acc.length) {
                acc = Arrays.copyOf(acc, Math.max(acc.length * 2, accLen + len));
            }
            System.arraycopy(buf, pos, acc, accLen, len);
            accLen += len;
            pos += len;
            if (found) {
                return Arrays.copyOf(acc, accLen);
            }
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
