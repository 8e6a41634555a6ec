package dev.tidemark.point;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * The database part of a restore point.
 *
 * @param dump           object key of the dump ({@code dumps/xx/<key>}); null when the point was taken without it
 * @param skipped        why there is no dump (the server was down and {@code database.whenDown} is "skip"); else null
 * @param server         the server's version string
 * @param viewOpenedAt   when the read view every row comes from was opened
 * @param binlogFile     binary log file of that exact view ({@code binlog_snapshot_file}); null without a binlog
 * @param binlogPosition position in it ({@code binlog_snapshot_position})
 * @param gtid           the GTID position of that view; null without a binlog
 * @param schemas        what was dumped, per schema
 * @param consistency    "read view" when every table was frozen by the view; otherwise says which tables were not
 * @param views          read views opened: more than 1 when a referenced file vanished and the seal was retried
 * @param rawBytes       size of the SQL before compression
 * @param storedBytes    size of the stored dump
 * @param durationMillis time from opening the view to the dump being committed
 * @param references     the reference check: per query, rows and how many name a file the point lacks
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatabaseSnapshot(String dump, String skipped, String server, Instant viewOpenedAt, String binlogFile,
                               Long binlogPosition, String gtid, List<Schema> schemas, String consistency, int views,
                               long rawBytes, long storedBytes, long durationMillis, List<References> references) {

    /** Counts for one schema. */
    public record Schema(String name, String charset, String collation, int tables, int views, int routines,
                         int triggers, int events, long rows) {
    }

    /**
     * @param name     the query's name
     * @param tree     the tree the paths are in
     * @param rows     paths the query returned
     * @param dangling paths the point has no file for
     * @param toppedUp files the scan had not seen (written after it passed) that were added to the point because a
     *                 row in the view names them
     * @param examples up to 5 dangling paths
     * @param origin   "declared" (the config's {@code referenceQueries}) or "discovered" (found by tidemark in a
     *                 database without them); absent in points of format 2, whose references were all declared
     * @param schema   the schema the query ran in (discovered references: so a restore can check them again)
     * @param sql      the query (discovered references)
     */
    public record References(String name, String tree, long rows, long dangling, long toppedUp, List<String> examples,
                             String origin, String schema, String sql) {
        public static final String DECLARED = "declared";
        public static final String DISCOVERED = "discovered";
    }

    public static DatabaseSnapshot skipped(String why) {
        return new DatabaseSnapshot(null, why, null, null, null, null, null, List.of(), null, 0, 0, 0, 0, List.of());
    }

    public long dangling() {
        return references.stream().mapToLong(References::dangling).sum();
    }

    public long rows() {
        return schemas.stream().mapToLong(Schema::rows).sum();
    }
}
