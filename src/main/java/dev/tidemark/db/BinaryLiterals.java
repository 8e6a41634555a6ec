package dev.tidemark.db;

import java.nio.charset.StandardCharsets;

/**
 * Turns a stored statement into text a JDBC connection can send. BLOB values are stored raw, as {@code _binary'...'}
 * literals (what the mariadb client loads, and half the size of hex), but a connection takes UTF-8 text, which raw
 * bytes are not: each such literal becomes a hex literal. Only literals tidemark wrote are met here (every quote
 * inside one is backslash-escaped), so tracking quotes and backslashes is exact.
 */
final class BinaryLiterals {
    private static final byte[] MARK = "_binary'".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private BinaryLiterals() {
    }

    private static final byte[] INSERT = "INSERT INTO ".getBytes(StandardCharsets.US_ASCII);

    /** Row statements (INSERTs tidemark wrote) get their binary literals as hex; anything else is decoded as is. */
    static String toText(byte[] b) {
        if (!java.util.Arrays.equals(b, 0, Math.min(b.length, INSERT.length), INSERT, 0, INSERT.length)
                || indexOf(b, 0) < 0) {
            return new String(b, StandardCharsets.UTF_8);
        }
        byte[] out = new byte[b.length * 2 + 16];
        int o = 0;
        int i = 0;
        while (i < b.length) {
            byte c = b[i];
            if (c == '\'') { // a text literal: copied as it is, escapes included
                out[o++] = c;
                i++;
                while (i < b.length) {
                    c = b[i++];
                    out[o++] = c;
                    if (c == '\\' && i < b.length) {
                        out[o++] = b[i++];
                    } else if (c == '\'') {
                        break;
                    }
                }
            } else if (c == '_' && matches(b, i)) {
                i += MARK.length;
                int start = o;
                out[o++] = '0';
                out[o++] = 'x';
                while (i < b.length && b[i] != '\'') {
                    int v = b[i++];
                    if (v == '\\' && i < b.length) {
                        v = switch (b[i++]) {
                            case '0' -> 0;
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 'Z' -> 0x1A;
                            default -> b[i - 1];
                        };
                    }
                    out[o++] = HEX[(v >> 4) & 0xF];
                    out[o++] = HEX[v & 0xF];
                }
                i++; // the closing quote
                if (o == start + 2) { // empty: 0x alone is not a literal
                    out[start] = '\'';
                    out[start + 1] = '\'';
                }
            } else {
                out[o++] = c;
                i++;
            }
        }
        return new String(out, 0, o, StandardCharsets.UTF_8);
    }

    private static boolean matches(byte[] b, int at) {
        if (at + MARK.length > b.length) {
            return false;
        }
        for (int k = 0; k < MARK.length; k++) {
            if (b[at + k] != MARK[k]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i + MARK.length <= b.length; i++) {
            if (b[i] == '_' && matches(b, i)) {
                return i;
            }
        }
        return -1;
    }
}
