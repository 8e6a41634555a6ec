package dev.tidemark.db;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.point.DatabaseSnapshot;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dumps the configured schemas from one consistent read view.
 *
 * <p>{@link #openView()} runs {@code START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY}: every InnoDB row read
 * afterwards on this connection is as of that instant, with no global lock. The binary log coordinates of exactly
 * that view come from the {@code binlog_snapshot_file/position} status. Tables a view cannot freeze (MyISAM, Aria,
 * MEMORY...) are either read-locked on a second connection from just before the view opens until they have been
 * read ({@code nonTransactional: "lock"}), or read without a lock and named in the point ({@code "note"}).
 *
 * <p>The dump is written in this order: every schema's table definitions; the rows of the non-transactional tables
 * (so their lock is short); the rows of the transactional ones; then per schema the routines, views (in dependency
 * order), triggers (after the rows, so loading does not fire them) and events. Rows are streamed
 * into INSERT statements by {@link TableRows}: in primary-key order, cut where the rows say, so an unchanged table
 * gives the same bytes every time and a changed row changes only the statement around it.
 */
public final class Snapshotter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);
    private static final int FETCH = 1000;

    private final DatabaseConfig config;
    private final Clock clock;
    private final Connection conn;
    private Connection lockConn;
    private String server;
    private Instant viewOpenedAt;
    private int views;
    private List<Table> nonTransactional = List.of();
    private final SchemaObjects schemaObjects;

    record Table(String schema, String name, String type, boolean transactional) {
        String qualified() {
            return Db.quote(schema) + "." + Db.quote(name);
        }
    }

    private Snapshotter(DatabaseConfig config, Clock clock, Connection conn) {
        this.config = config;
        this.clock = clock;
        this.conn = conn;
        this.schemaObjects = new SchemaObjects(conn, config.user());
    }

    /** Connects (a {@link Db.DownException} if the server cannot be reached) and checks that every schema exists. */
    public static Snapshotter connect(DatabaseConfig config, Clock clock) {
        Connection c = Db.connect(config);
        Snapshotter s = new Snapshotter(config, clock, c);
        try {
            try (Statement st = c.createStatement()) {
                st.execute("SET SESSION sql_mode = ''");
                st.execute("SET SESSION net_write_timeout = 3600");
                st.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
                try (ResultSet rs = st.executeQuery("SELECT VERSION()")) {
                    rs.next();
                    s.server = rs.getString(1);
                }
            }
            for (String schema : config.schemas()) {
                s.charset(schema);
            }
            return s;
        } catch (SQLException e) {
            s.closeQuietly();
            throw Db.explain(config, e);
        } catch (RuntimeException e) {
            s.closeQuietly();
            throw e;
        }
    }

    public String server() {
        return server;
    }

    /** Opens the read view (after locking the non-transactional tables, if so configured). */
    public void openView() {
        try {
            nonTransactional = tables().stream().filter(t -> !t.transactional() && t.type().equals("BASE TABLE"))
                    .toList();
            if (!nonTransactional.isEmpty() && config.nonTransactional() == DatabaseConfig.NonTransactional.LOCK) {
                if (lockConn == null) {
                    lockConn = Db.connect(config);
                }
                StringBuilder sql = new StringBuilder("LOCK TABLES ");
                for (int i = 0; i < nonTransactional.size(); i++) {
                    sql.append(i == 0 ? "" : ", ").append(nonTransactional.get(i).qualified()).append(" READ");
                }
                try (Statement st = lockConn.createStatement()) {
                    st.execute(sql.toString());
                }
            }
            try (Statement st = conn.createStatement()) {
                st.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
            }
            viewOpenedAt = clock.instant();
            views++;
        } catch (SQLException e) {
            throw Db.explain(config, e);
        }
    }

    /** Ends the read view (and any lock) so another can be opened. */
    public void closeView() {
        try (Statement st = conn.createStatement()) {
            st.execute("COMMIT");
        } catch (SQLException e) {
            throw Db.explain(config, e);
        } finally {
            unlock();
        }
    }

    private void unlock() {
        if (lockConn != null) {
            try (Statement st = lockConn.createStatement()) {
                st.execute("UNLOCK TABLES");
            } catch (SQLException e) {
                LOG.warn("UNLOCK TABLES failed: {}", Db.firstLine(e));
            }
        }
    }

    /** The snapshot's connection, for queries outside a read view (before {@link #openView}). */
    public java.sql.Connection connection() {
        return conn;
    }

    public Instant viewOpenedAt() {
        return viewOpenedAt;
    }

    /** Runs a reference query in the view; the non-null values of its first column. */
    public List<String> referencedPaths(DatabaseConfig.ReferenceQuery q) {
        List<String> out = new ArrayList<>();
        try (Statement st = conn.createStatement()) {
            st.execute("USE " + Db.quote(q.schema()));
            st.setFetchSize(FETCH);
            try (ResultSet rs = st.executeQuery(q.sql())) {
                while (rs.next()) {
                    String p = rs.getString(1);
                    if (p != null) {
                        out.add(p);
                    }
                }
            }
        } catch (SQLException e) {
            throw TidemarkException.usage("database.referenceQueries '" + q.name()
                    + "' failed in schema " + q.schema() + ": " + Db.firstLine(e) + "; fix the SQL in the config");
        }
        return out;
    }

    /** The dump's counts; the caller fills in references and sizes. */
    public record Dumped(List<DatabaseSnapshot.Schema> schemas, String consistency, String binlogFile,
                         Long binlogPosition, String gtid) {
    }

    /** Writes every configured schema, as of the open view, into {@code w}. */
    public Dumped dump(DumpWriter w, String pointId) throws IOException {
        try {
            String[] binlog = binlog();
            w.comment("tidemark database dump, format " + DumpFormat.VERSION + "; restore point " + pointId);
            w.comment("server " + server + "; read view opened " + viewOpenedAt
                    + (binlog[0] == null ? "" : "; binlog " + binlog[0] + ":" + binlog[1]
                    + (binlog[2] == null ? "" : ", gtid " + binlog[2])));
            w.comment("Load with the mariadb client (mariadb < FILE), or 'tidemark restore POINT --db'.");
            w.sql("SET NAMES utf8mb4");
            w.sql("SET time_zone = '+00:00'");
            w.sql("SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
            w.sql("SET foreign_key_checks = 0");
            w.sql("SET unique_checks = 0");
            List<Table> all = tables();
            Map<String, long[]> rows = new LinkedHashMap<>();
            Map<String, int[]> counts = new LinkedHashMap<>();
            Map<String, String[]> charsets = new LinkedHashMap<>();
            for (String schema : config.schemas()) {
                charsets.put(schema, charset(schema));
                rows.put(schema, new long[1]);
                counts.put(schema, new int[5]);
            }
            // 1. definitions
            for (String schema : config.schemas()) {
                String[] cs = charsets.get(schema);
                w.schema(schema, cs[0], cs[1]);
                for (Table t : all) {
                    if (t.schema().equals(schema) && !t.type().equals("VIEW")) {
                        w.sql(schemaObjects.showCreate((t.type().equals("SEQUENCE") ? "SHOW CREATE SEQUENCE "
                                : "SHOW CREATE TABLE ") + t.qualified(), 2));
                        counts.get(schema)[0]++;
                    }
                }
            }
            // 2. rows of tables the view cannot freeze, under their lock if configured; 3. all other rows
            List<String> unfrozen = new ArrayList<>();
            boolean locked = lockConn != null && !nonTransactional.isEmpty();
            for (int pass = 0; pass < 2; pass++) {
                String current = null;
                for (Table t : all) {
                    boolean nt = nonTransactional.contains(t);
                    if ((pass == 0) != nt || t.type().equals("VIEW")) {
                        continue;
                    }
                    if (!t.schema().equals(current)) {
                        String[] cs = charsets.get(t.schema());
                        w.schema(t.schema(), cs[0], cs[1]);
                        current = t.schema();
                    }
                    if (nt && !locked) {
                        unfrozen.add(t.schema() + "." + t.name());
                    }
                    rows.get(t.schema())[0] += t.type().equals("SEQUENCE") ? sequence(w, t)
                            : TableRows.write(w, t, conn, nt && locked ? lockConn : conn);
                }
                if (pass == 0) {
                    unlock();
                }
            }
            // 4. routines, views, triggers, events
            for (String schema : config.schemas()) {
                String[] cs = charsets.get(schema);
                w.schema(schema, cs[0], cs[1]);
                int[] c = counts.get(schema);
                c[2] = schemaObjects.routines(w, schema, "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
                        + "WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE','FUNCTION') ORDER BY 1, 2");
                c[1] = schemaObjects.views(w, schema, all);
                c[3] = schemaObjects.routines(w, schema, "SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS "
                        + "WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, "
                        + "ACTION_ORDER");
                c[4] = schemaObjects.routines(w, schema, "SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS "
                        + "WHERE EVENT_SCHEMA = ? ORDER BY 2");
            }
            w.sql("SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
            w.sql("SET foreign_key_checks = 1");
            w.sql("SET unique_checks = 1");
            List<DatabaseSnapshot.Schema> out = new ArrayList<>();
            for (String schema : config.schemas()) {
                int[] c = counts.get(schema);
                String[] cs = charsets.get(schema);
                out.add(new DatabaseSnapshot.Schema(schema, cs[0], cs[1], c[0], c[1], c[2], c[3], c[4],
                        rows.get(schema)[0]));
            }
            String consistency = unfrozen.isEmpty() ? "read view"
                    : "read view, except non-transactional tables read without a lock: " + String.join(", ", unfrozen);
            Long pos = binlog[1] == null ? null : Long.parseLong(binlog[1]);
            return new Dumped(out, consistency, binlog[0], pos, binlog[2]);
        } catch (SQLException e) {
            throw Db.explain(config, e);
        }
    }

    private String[] binlog() throws SQLException {
        String file = null;
        String pos = null;
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SHOW STATUS LIKE 'binlog_snapshot_%'")) {
            while (rs.next()) {
                String n = rs.getString(1).toLowerCase(Locale.ROOT);
                if (n.equals("binlog_snapshot_file")) {
                    file = rs.getString(2);
                } else if (n.equals("binlog_snapshot_position")) {
                    pos = rs.getString(2);
                }
            }
        }
        if (file == null || file.isEmpty()) {
            return new String[3];
        }
        String gtid = null;
        try (PreparedStatement ps = conn.prepareStatement("SELECT BINLOG_GTID_POS(?, ?)")) {
            ps.setString(1, file);
            ps.setLong(2, Long.parseLong(pos));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    gtid = rs.getString(1);
                }
            }
        }
        return new String[] {file, pos, gtid};
    }

    private String[] charset(String schema) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                + "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw TidemarkException.failed("database.schemas: schema '" + schema + "' does not exist on "
                            + Db.hostOf(config.url()) + " (or " + config.user() + " may not see it): fix the list or "
                            + "grant access");
                }
                return new String[] {rs.getString(1), rs.getString(2)};
            }
        }
    }

    private List<Table> tables() throws SQLException {
        List<Table> out = new ArrayList<>();
        for (String schema : config.schemas()) {
            try (PreparedStatement ps = conn.prepareStatement("SELECT t.TABLE_NAME, t.TABLE_TYPE, "
                    + "COALESCE(e.TRANSACTIONS, 'YES') FROM information_schema.TABLES t LEFT JOIN "
                    + "information_schema.ENGINES e ON e.ENGINE = t.ENGINE WHERE t.TABLE_SCHEMA = ? ORDER BY 1")) {
                ps.setString(1, schema);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String type = rs.getString(2);
                        type = type.equals("SYSTEM VERSIONED") ? "BASE TABLE" : type;
                        out.add(new Table(schema, rs.getString(1), type, rs.getString(3).equals("YES")));
                    }
                }
            }
        }
        return out;
    }

    private long sequence(DumpWriter w, Table t) throws SQLException, IOException {
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT next_not_cached_value FROM " + t.qualified())) {
            if (rs.next()) {
                w.sql("DO SETVAL(" + Db.quote(t.name()) + ", " + rs.getLong(1) + ", 0)");
            }
        }
        return 0;
    }

    public int viewsOpened() {
        return views;
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.debug("closing the database connection: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        for (Connection c : new Connection[] {lockConn, conn}) {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException e) {
                    LOG.debug("closing a database connection: {}", Db.firstLine(e));
                }
            }
        }
    }
}
