package dev.tidemark.journal;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.FileEntry;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One object of the journal, as its name describes it: its level, the batches it covers (sequence numbers
 * {@code from..to}, inclusive), the times of its first and last change, and the content key of its bytes.
 *
 * <pre>journal/&lt;level&gt;/&lt;from, 16 hex&gt;-&lt;to, 16 hex&gt;-&lt;first time&gt;-&lt;last time&gt;-&lt;content key&gt;
 * journal/2/0000000000000301-00000000000009c4-20261121T140000.120000000Z-20261121T145959.870000000Z-9f0c…</pre>
 *
 * Level 0 is one batch; a merged object is at the level of the window it was merged for (1 a minute, 2 an hour, 3 a
 * day). Everything a reader needs to choose objects is in the names, so one listing plans a read.
 *
 * @param key         the object key
 * @param level       0 (a batch) to 3 (a day)
 * @param from        first batch covered
 * @param to          last batch covered
 * @param minTime     time of the first change, nanoseconds since the epoch
 * @param maxTime     time of the last change
 * @param contentKey  content key of the uncompressed bytes (checked when read)
 */
public record JournalObject(String key, int level, long from, long to, long minTime, long maxTime,
                            ContentKey contentKey) {
    public static final String PREFIX = "journal/";
    public static final int MAX_LEVEL = 3;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss");

    /** The key of an object with these properties. */
    public static String keyOf(int level, long from, long to, long minTime, long maxTime, ContentKey contentKey) {
        return PREFIX + level + "/" + String.format("%016x-%016x-", from, to) + time(minTime) + "-" + time(maxTime)
                + "-" + contentKey.hex();
    }

    static String time(long nanos) {
        Instant t = FileEntry.instant(nanos);
        return TIME.format(t.atOffset(ZoneOffset.UTC)) + "." + String.format("%09d", t.getNano()) + "Z";
    }

    static long parseTime(String s) {
        if (s.length() != 26 || s.charAt(15) != '.' || s.charAt(25) != 'Z') {
            throw new IllegalArgumentException("not a journal time: " + s);
        }
        LocalDateTime d = LocalDateTime.parse(s.substring(0, 15), TIME);
        return FileEntry.nanos(d.toInstant(ZoneOffset.UTC)) + Long.parseLong(s.substring(16, 25));
    }

    /** Parses a key of this format; null for anything else (a format-1 segment, a stray object). */
    public static JournalObject parse(String key) {
        if (!key.startsWith(PREFIX)) {
            return null;
        }
        String rest = key.substring(PREFIX.length());
        int slash = rest.indexOf('/');
        if (slash != 1 || rest.charAt(0) < '0' || rest.charAt(0) > '0' + MAX_LEVEL) {
            return null;
        }
        String[] p = rest.substring(2).split("-", -1);
        if (p.length != 5 || p[0].length() != 16 || p[1].length() != 16) {
            return null;
        }
        try {
            long from = Long.parseUnsignedLong(p[0], 16);
            long to = Long.parseUnsignedLong(p[1], 16);
            if (from < 1 || to < from) {
                return null;
            }
            return new JournalObject(key, rest.charAt(0) - '0', from, to, parseTime(p[2]), parseTime(p[3]),
                    ContentKey.parse(p[4]));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** True if this object covers every batch {@code o} covers. */
    public boolean covers(JournalObject o) {
        return from <= o.from && o.to <= to;
    }

    public long batches() {
        return to - from + 1;
    }

    @Override
    public String toString() {
        return "journal L" + level + " batches " + from + ".." + to + " (" + FileEntry.instant(minTime) + " to "
                + FileEntry.instant(maxTime) + ")";
    }
}
