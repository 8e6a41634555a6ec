package dev.tidemark.binlog;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One event of a MariaDB binary log, whole: the 19-byte v4 header ({@code timestamp u32 | type u8 | server id u32 |
 * size u32 | end position u32 | flags u16}, little-endian), the body, and the checksum if the log has them. Only the
 * parts tidemark needs are decoded: the header, a GTID event's sequence number, domain and flags, a query's default
 * schema and text, a table map's schema, a rotation's next file. The bytes are kept as they are, so an event can be
 * written out again unchanged (its checksum still matches).
 */
public final class Event {
    public static final int HEADER = 19;
    public static final int QUERY = 2;
    public static final int STOP = 3;
    public static final int ROTATE = 4;
    public static final int FORMAT_DESCRIPTION = 15;
    public static final int XID = 16;
    public static final int TABLE_MAP = 19;
    public static final int GTID = 162;
    /** A GTID event's flag: the group is this event and one statement, with no COMMIT (DDL). */
    static final int FL_STANDALONE = 1;
    /** No event is larger than this (the server's max_allowed_packet tops out at 1 GiB). */
    static final int MAX_SIZE = 1 << 30;
    /** Events up to this size are read into a buffer of their size at once; larger ones as their bytes arrive. */
    private static final int PREALLOCATE = 1 << 20;

    private final byte[] bytes;

    private Event(byte[] bytes) {
        this.bytes = bytes;
    }

    /** An event from its bytes (header included). */
    public static Event of(byte[] bytes) {
        if (bytes.length < HEADER || u32(bytes, 9) != bytes.length) {
            throw new IllegalArgumentException("not a whole binlog event (" + bytes.length + " bytes)");
        }
        return new Event(bytes);
    }

    /**
     * Reads the next whole event; null at a clean end (no byte left). A stream that ends inside an event, or an
     * event whose size field is impossible, is an {@link IOException} naming {@code what}.
     */
    public static Event read(InputStream in, String what) throws IOException {
        byte[] head = new byte[HEADER];
        int n = in.readNBytes(head, 0, HEADER);
        if (n == 0) {
            return null;
        }
        if (n < HEADER) {
            throw new EOFException(what + ": ends inside an event header");
        }
        long size = u32(head, 9);
        if (size < HEADER || size > MAX_SIZE) {
            throw new IOException(what + ": an event claims " + size + " bytes; this is not a binlog (or it is damaged)");
        }
        if (size > PREALLOCATE) {
            // Read as it arrives, not allocated up front: a damaged size field must not cost a gigabyte of heap
            // (the fuzzer's 20-byte piece did). The JDK's readNBytes(len) grows its buffer with what it has read.
            byte[] body = in.readNBytes((int) size - HEADER);
            if (body.length < size - HEADER) {
                throw new EOFException(what + ": ends inside an event");
            }
            byte[] all = Arrays.copyOf(head, (int) size);
            System.arraycopy(body, 0, all, HEADER, body.length);
            return new Event(all);
        }
        byte[] all = Arrays.copyOf(head, (int) size);
        if (in.readNBytes(all, HEADER, all.length - HEADER) < all.length - HEADER) {
            throw new EOFException(what + ": ends inside an event");
        }
        return new Event(all);
    }

    /** Reads a stream of whole events to its end (each checked for a sane size); returns the bytes read. */
    public static long check(InputStream in, String what) throws IOException {
        long n = 0;
        try (in) {
            for (Event e = read(in, what); e != null; e = read(in, what)) {
                n += e.size();
            }
        }
        return n;
    }

    public byte[] bytes() {
        return bytes;
    }

    public int size() {
        return bytes.length;
    }

    /** Seconds since the epoch: for a GTID event, when its transaction committed. */
    public long timestamp() {
        return u32(bytes, 0);
    }

    public int type() {
        return bytes[4] & 0xff;
    }

    public long serverId() {
        return u32(bytes, 5);
    }

    /** The offset in the server's file just after this event; 0 for an event the server made up (not in a file). */
    public long endPosition() {
        return u32(bytes, 13);
    }

    /** True for events the server sends that are not in its file (a rotation or description announcing a file). */
    public boolean artificial() {
        return endPosition() == 0;
    }

    /** A GTID event's sequence number. */
    public long gtidSequence() {
        requireType(GTID);
        return u64(bytes, HEADER);
    }

    /** A GTID event's replication domain. */
    public long gtidDomain() {
        requireType(GTID);
        return u32(bytes, HEADER + 8);
    }

    public boolean standalone() {
        requireType(GTID);
        return (bytes[HEADER + 12] & FL_STANDALONE) != 0;
    }

    /** The GTID as MariaDB writes it: domain-server-sequence. */
    public String gtid() {
        return gtidDomain() + "-" + serverId() + "-" + gtidSequence();
    }

    /** A query event's default schema (empty if none). */
    public String querySchema() {
        requireType(QUERY);
        int len = bytes[HEADER + 8] & 0xff;
        int status = u16(bytes, HEADER + 11);
        int at = HEADER + 13 + status;
        return new String(bytes, at, len, StandardCharsets.UTF_8);
    }

    /** A query event's SQL text; {@code checksum} is 4 when the log's events end in a CRC32, else 0. */
    public String queryText(int checksum) {
        requireType(QUERY);
        int len = bytes[HEADER + 8] & 0xff;
        int status = u16(bytes, HEADER + 11);
        int at = HEADER + 13 + status + len + 1;
        return new String(bytes, at, Math.max(0, bytes.length - checksum - at), StandardCharsets.UTF_8);
    }

    /** A table map's schema. */
    public String tableMapSchema() {
        requireType(TABLE_MAP);
        int len = bytes[HEADER + 8] & 0xff;
        return new String(bytes, HEADER + 9, len, StandardCharsets.UTF_8);
    }

    /** A rotation's next file name. */
    public String rotateTo(int checksum) {
        requireType(ROTATE);
        int at = HEADER + 8;
        return new String(bytes, at, bytes.length - checksum - at, StandardCharsets.UTF_8);
    }

    /** For a format description event: 4 if every event of its file ends in a CRC32, else 0. */
    public int checksumLength() {
        requireType(FORMAT_DESCRIPTION);
        // The body ends in the checksum algorithm (1 byte: 0 none, 1 CRC32), then the event's own checksum.
        return bytes.length >= HEADER + 57 + 5 && bytes[bytes.length - 5] == 1 ? 4 : 0;
    }

    private void requireType(int t) {
        if (type() != t) {
            throw new IllegalStateException("event of type " + type() + ", not " + t);
        }
    }

    static long u32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    static long u64(byte[] b, int at) {
        return u32(b, at) | u32(b, at + 4) << 32;
    }
}
