package dev.tidemark.binlog;

import java.time.Instant;
import java.util.Map;

/** How far the follower has made the binlog durable: what {@code status} shows, updated by {@link Spool}. */
final class Archived {
    private volatile Position end;
    private volatile Instant at;
    private volatile Instant lastTransaction;
    private volatile long pieces;
    private volatile long bytes;

    synchronized void committed(Position end, Instant at, long bytes, Instant lastTransaction) {
        this.end = end;
        this.at = at;
        this.pieces++;
        this.bytes += bytes;
        if (lastTransaction != null) {
            this.lastTransaction = lastTransaction;
        }
    }

    void describe(Map<String, Object> m) {
        if (end != null) {
            m.put("archivedTo", end.toString());
            m.put("archivedAt", String.valueOf(at));
        }
        if (lastTransaction != null) {
            m.put("lastTransaction", lastTransaction.toString());
        }
        m.put("piecesWritten", pieces);
        m.put("bytesArchived", bytes);
    }
}
