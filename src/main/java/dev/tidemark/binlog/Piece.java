package dev.tidemark.binlog;

import dev.tidemark.hash.ContentKey;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One object of the archived binlog, as its name describes it: bytes {@code from..to} (end exclusive) of one of the
 * server's binlog files, exactly as the server wrote them, when the last transaction in them committed, when the
 * follower last knew the archive to be complete, and the content key of the bytes.
 *
 * <pre>binlog/&lt;file&gt;/&lt;from, 16 hex&gt;-&lt;to, 16 hex&gt;-&lt;last commit&gt;-&lt;checked&gt;-&lt;content key&gt;
 * binlog/binlog.000042/0000000000000004-00000000000a13f2-20261122T140459.000Z-20261122T140500.217Z-9f0c…</pre>
 *
 * A piece with {@code from == to} holds no bytes: a mark that the follower was connected and had everything up to
 * {@code checked}. A merged piece covers the pieces it was made of; readers read the cover (the pieces no other
 * piece covers), as for the journal.
 */
public record Piece(String key, String file, long from, long to, Instant lastCommit, Instant checked,
                    ContentKey contentKey) {
    public static final String PREFIX = "binlog/";
    /** A gap the follower saw: {@code binlog/gaps/<file>-<offset, 16 hex>-<next file>-<time>}. */
    public static final String GAPS = PREFIX + "gaps/";
    /** Milliseconds: "complete to" is compared with a restore's time, which has them. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    public static String keyOf(String file, long from, long to, Instant lastCommit, Instant checked, ContentKey key) {
        return PREFIX + file + "/" + String.format("%016x-%016x-", from, to) + TIME.format(lastCommit) + "-"
                + TIME.format(checked) + "-" + key.hex();
    }

    /** Parses a key of this form; null for anything else. */
    public static Piece parse(String key) {
        if (!key.startsWith(PREFIX) || key.startsWith(GAPS)) {
            return null;
        }
        String rest = key.substring(PREFIX.length());
        int slash = rest.indexOf('/');
        if (slash < 0) {
            return null;
        }
        String file = rest.substring(0, slash);
        String[] p = rest.substring(slash + 1).split("-", -1);
        if (!Position.isFileName(file) || p.length != 5 || p[0].length() != 16 || p[1].length() != 16) {
            return null;
        }
        try {
            long from = Long.parseUnsignedLong(p[0], 16);
            long to = Long.parseUnsignedLong(p[1], 16);
            if (from < Position.START || to < from) {
                return null;
            }
            return new Piece(key, file, from, to, Instant.from(TIME.parse(p[2])), Instant.from(TIME.parse(p[3])),
                    ContentKey.parse(p[4]));
        } catch (RuntimeException e) {
            return null;
        }
    }

    public long length() {
        return to - from;
    }

    /** True if this piece holds every byte {@code o} holds (and is not {@code o}). */
    public boolean covers(Piece o) {
        return file.equals(o.file) && from <= o.from && o.to <= to && !key.equals(o.key);
    }

    public Position start() {
        return new Position(file, from);
    }

    public Position end() {
        return new Position(file, to);
    }

    /**
     * A gap the follower saw (a file purged before it was archived, a server whose binlog started over): the archive
     * stops at {@code at} and goes on at the start of {@code next}; no restore can replay across it. Stored as JSON
     * under {@code binlog/gaps/<time>-<at file>-<offset, 16 hex>}.
     */
    public record Gap(String file, long offset, String next, Instant time, String why) {
        public Position at() {
            return new Position(file, offset);
        }

        public String key() {
            return GAPS + TIME.format(time) + "-" + file + "-" + String.format("%016x", offset);
        }
    }
}
