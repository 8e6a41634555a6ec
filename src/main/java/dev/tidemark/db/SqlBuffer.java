package dev.tidemark.db;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer for building INSERT statements from raw column bytes, with SQL literal encoders. */
final class SqlBuffer {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private byte[] buf;
    private int len;

    SqlBuffer(int initial) {
        buf = new byte[initial];
    }

    int length() {
        return len;
    }

    byte[] array() {
        return buf;
    }

    void reset() {
        len = 0;
    }

    void truncate(int to) {
        len = to;
    }

    private void room(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }

    SqlBuffer ascii(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return raw(b);
    }

    SqlBuffer raw(byte[] b) {
        room(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    SqlBuffer put(char c) {
        room(1);
        buf[len++] = (byte) c;
        return this;
    }

    /** Bytes as a hexadecimal literal; the empty value as ''. */
    void hex(byte[] v) {
        if (v.length == 0) {
            ascii("''");
            return;
        }
        room(2 + 2 * v.length);
        buf[len++] = '0';
        buf[len++] = 'x';
        for (byte b : v) {
            buf[len++] = HEX[(b >> 4) & 0xF];
            buf[len++] = HEX[b & 0xF];
        }
    }

    /** Raw bytes as a {@code _binary'...'} literal (as mysqldump writes them): no character set applies to them. */
    void binary(byte[] v) {
        ascii("_binary");
        quoted(v);
    }

    /** Bytes (UTF-8 text as the server sent it) as a quoted string literal with MariaDB's backslash escapes. */
    void quoted(byte[] v) {
        room(2 + 2 * v.length);
        buf[len++] = '\'';
        for (byte b : v) {
            switch (b) {
                case 0 -> { buf[len++] = '\\'; buf[len++] = '0'; }
                case '\'' -> { buf[len++] = '\\'; buf[len++] = '\''; }
                case '\\' -> { buf[len++] = '\\'; buf[len++] = '\\'; }
                case '\n' -> { buf[len++] = '\\'; buf[len++] = 'n'; }
                case '\r' -> { buf[len++] = '\\'; buf[len++] = 'r'; }
                case 0x1A -> { buf[len++] = '\\'; buf[len++] = 'Z'; }
                default -> buf[len++] = b;
            }
        }
        buf[len++] = '\'';
    }

    /** A number exactly as the server printed it; anything else (which a number column never sends) is quoted. */
    void number(byte[] v) {
        for (byte b : v) {
            boolean ok = (b >= '0' && b <= '9') || b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E';
            if (!ok) {
                quoted(v);
                return;
            }
        }
        if (v.length == 0) {
            ascii("''");
            return;
        }
        raw(v);
    }
}
