/**
 * The database between points: the server's binary log, archived continuously and replayed for restores to any
 * second.
 *
 * <p>Algorithm. {@link dev.tidemark.binlog.BinlogFollower} runs {@code mariadb-binlog --read-from-remote-server --raw
 * --stop-never} from where the archive ends and reads the local copy it writes as it grows; every event is placed by
 * the end position the server gives it (not by where it lands in the copy), so each {@link dev.tidemark.binlog.Piece}
 * is bytes {@code from..to} of the server's own file. New events are committed every 0.2 s, including the file the
 * server is still writing; pieces are merged as their minute, hour and day pass, and readers read the cover (pieces
 * no other piece holds). A file the server purged before it was archived is recorded as a gap.
 * {@link dev.tidemark.binlog.Replay} reads the archive from a point's coordinates, keeps whole transactions (a GTID
 * event opens one and carries its commit time; an XID, a COMMIT or the statement of a standalone one ends it) of the
 * configured schemas committed up to the time asked for, writes them unchanged (checksums hold) into local binlog
 * files, and pipes {@code mariadb-binlog} of those into the {@code mariadb} client, without the GTID and server id
 * each transaction carries.
 *
 * <p>Caveats. Commit times are whole seconds (the binlog's resolution), so a restore is to the second. Which schema a
 * transaction touches is exact for row events (their table maps) and read from the default schema and the SQL text
 * for statements (DDL, and DML under MIXED): a statement naming another schema explicitly while run in a configured
 * one is replayed as a whole. Replaying under another name ({@code --db-into}) is refused at a statement that names
 * the schema explicitly, since {@code --rewrite-db} cannot rewrite it. XA transactions are not handled. A server whose
 * binary log was reset (RESET MASTER) is refused rather than mixed into the same archive.
 */
package dev.tidemark.binlog;
