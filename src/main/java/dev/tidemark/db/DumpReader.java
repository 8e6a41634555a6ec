package dev.tidemark.db;

import dev.tidemark.repo.Contents;
import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Reads a stored dump back, statement by statement (for a restore) or byte for byte (for an export). */
public final class DumpReader implements AutoCloseable {
    private final InputStream in;
    private final String key;
    private boolean ended;

    public DumpReader(Contents contents, String key) throws IOException {
        this(contents, key, false);
    }

    /** @param readAhead read and check the dump on a thread of its own, a few MiB ahead of the statements asked for */
    public DumpReader(Contents contents, String key, boolean readAhead) throws IOException {
        this.key = key;
        InputStream raw = contents.open(key, "database dump " + key);
        this.in = new BufferedInputStream(readAhead ? new dev.tidemark.util.ReadAhead(raw, 8, "tidemark-dump-read")
                : raw, 1 << 16);
    }

    /** Copies the dump as it is stored: plain SQL for the {@code mariadb} client. Checked while copied. */
    public void copyTo(OutputStream out) throws IOException {
        in.transferTo(out);
    }

    /** The next statement, or null after the last one. */
    public DumpFormat.Statement next() throws IOException {
        while (!ended) {
            String line = readLine();
            if (line == null) {
                throw damaged("it ends without its end mark");
            }
            if (!line.startsWith(DumpFormat.MARK)) {
                continue; // a comment for people
            }
            String[] f = line.substring(DumpFormat.MARK.length()).split(" ", 5);
            DumpFormat.Kind kind = f.length >= 2 ? DumpFormat.Kind.of(f[0]) : null;
            int len;
            try {
                len = Integer.parseInt(f.length >= 2 ? f[1] : "x");
            } catch (NumberFormatException e) {
                len = -1;
            }
            if (kind == null || len < 0 || (kind == DumpFormat.Kind.SCHEMA && f.length != 5)) {
                throw damaged("a statement header is malformed: " + line);
            }
            byte[] body = in.readNBytes(len);
            if (body.length != len) {
                throw damaged("a statement is cut short");
            }
            switch (kind) {
                case END -> {
                    ended = true;
                    return null;
                }
                case SCHEMA -> {
                    return new DumpFormat.Statement(kind, null, f[4], f[2], f[3]);
                }
                case SQL -> {
                    return new DumpFormat.Statement(kind, strip(body, new byte[0], DumpFormat.SQL_TAIL), null, null, null);
                }
                default -> {
                    return new DumpFormat.Statement(kind, strip(body, DumpFormat.COMPOUND_HEAD, DumpFormat.COMPOUND_TAIL),
                            null, null, null);
                }
            }
        }
        return null;
    }

    private byte[] strip(byte[] body, byte[] head, byte[] tail) {
        int n = body.length - head.length - tail.length;
        if (n < 0 || !Arrays.equals(body, 0, head.length, head, 0, head.length)
                || !Arrays.equals(body, body.length - tail.length, body.length, tail, 0, tail.length)) {
            throw damaged("a statement is not framed as its header says");
        }
        return Arrays.copyOfRange(body, head.length, head.length + n);
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.write(c);
        }
        if (c < 0 && b.size() == 0) {
            return null;
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private TidemarkException damaged(String what) {
        return new TidemarkException(ExitCode.DAMAGED, "database dump " + key + " is damaged: " + what
                + "; run 'tidemark verify'");
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
