package dev.tidemark.db;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.point.DatabaseSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import java.util.Set;
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
 * ({@code fetchSize}) into INSERT statements of about 1 MiB: memory does not grow with a table. BLOB and BINARY
 * values are written raw as {@code _binary'...'} literals (with backslash escapes), BIT and geometry as hex.
 */
public final class Snapshotter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);
    static final int INSERT_BYTES = 1 << 20;
    private static final int FETCH = 1000;
    private static final int ER_TABLE_DEF_CHANGED = 1412;
    private static final Set<String> NUMERIC = Set.of("tinyint", "smallint", "mediumint", "int", "bigint",
            "decimal", "float", "double");
    private static final Set<String> BINARY = Set.of("binary", "varbinary", "tinyblob", "blob", "mediumblob",
            "longblob");
    private static final Set<String> HEX = Set.of("bit", "geometry", "point", "linestring", "polygon", "multipoint",
            "multilinestring", "multipolygon", "geometrycollection");

    private final DatabaseConfig config;
    private final Clock clock;
    private final Connection conn;
    private Connection lockConn;
    private String server;
    private Instant viewOpenedAt;
    private int views;
    private List<Table> nonTransactional = List.of();

    private record Table(String schema, String name, String type, boolean transactional) {
        String qualified() {
            return Db.quote(schema) + "." + Db.quote(name);
        }
    }

    private record Column(String name, String type) {
    }

    private Snapshotter(DatabaseConfig config, Clock clock, Connection conn) {
        this.config = config;
        this.clock = clock;
        this.conn = conn;
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
                        w.sql(showCreate((t.type().equals("SEQUENCE") ? "SHOW CREATE SEQUENCE "
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
                            : rows(w, t, nt && locked ? lockConn : conn);
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
                c[2] = objects(w, schema, "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
                        + "WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE','FUNCTION') ORDER BY 1, 2");
                c[1] = views(w, schema, all);
                c[3] = objects(w, schema, "SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS "
                        + "WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, "
                        + "ACTION_ORDER");
                c[4] = objects(w, schema, "SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS "
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

    private String showCreate(String sql, int column) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next() || rs.getString(column) == null) {
                throw TidemarkException.failed("'" + sql + "' returned no definition: " + config.user()
                        + " lacks the privilege to see it (grant SHOW VIEW, TRIGGER, EVENT and SELECT on mysql.proc)");
            }
            return rs.getString(column);
        }
    }

    private List<Column> columns(Table t) throws SQLException {
        List<Column> out = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT COLUMN_NAME, DATA_TYPE, IS_GENERATED FROM "
                + "information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!"ALWAYS".equals(rs.getString(3))) { // generated columns are computed again on load
                        out.add(new Column(rs.getString(1), rs.getString(2).toLowerCase(Locale.ROOT)));
                    }
                }
            }
        }
        return out;
    }

    /** Streams a table's rows into INSERT statements; returns the row count. */
    private long rows(DumpWriter w, Table t, Connection c) throws SQLException, IOException {
        List<Column> cols = columns(t);
        if (cols.isEmpty()) {
            return 0;
        }
        StringBuilder head = new StringBuilder("INSERT INTO ").append(Db.quote(t.name())).append(" (");
        StringBuilder select = new StringBuilder("SELECT ");
        int[] kind = new int[cols.size()];
        for (int i = 0; i < cols.size(); i++) {
            String q = Db.quote(cols.get(i).name());
            head.append(i == 0 ? "" : ",").append(q);
            select.append(i == 0 ? "" : ",").append(q);
            String type = cols.get(i).type();
            kind[i] = NUMERIC.contains(type) ? 1 : HEX.contains(type) ? 2 : BINARY.contains(type) ? 3 : 0;
        }
        byte[] prefix = head.append(") VALUES ").toString().getBytes(StandardCharsets.UTF_8);
        select.append(" FROM ").append(t.qualified());
        SqlBuffer buf = new SqlBuffer(INSERT_BYTES + (64 << 10));
        long n = 0;
        int inStatement = 0;
        try (Statement st = c.createStatement()) {
            st.setFetchSize(FETCH);
            try (ResultSet rs = st.executeQuery(select.toString())) {
                while (rs.next()) {
                    if (inStatement == 0) {
                        buf.reset();
                        buf.raw(prefix);
                    } else {
                        buf.put(',');
                    }
                    buf.put('(');
                    for (int i = 0; i < kind.length; i++) {
                        if (i > 0) {
                            buf.put(',');
                        }
                        if (kind[i] >= 2) {
                            byte[] v = rs.getBytes(i + 1);
                            if (v == null) {
                                buf.ascii("NULL");
                            } else if (kind[i] == 2) {
                                buf.hex(v);
                            } else {
                                buf.binary(v);
                            }
                            continue;
                        }
                        // Text protocol: the value exactly as the server printed it (dates included, zero dates too).
                        String v = rs.getString(i + 1);
                        if (v == null) {
                            buf.ascii("NULL");
                        } else if (kind[i] == 1) {
                            buf.number(v.getBytes(StandardCharsets.UTF_8));
                        } else {
                            buf.quoted(v.getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    buf.put(')');
                    n++;
                    inStatement++;
                    if (buf.length() >= INSERT_BYTES) {
                        w.sql(buf.array(), buf.length());
                        inStatement = 0;
                    }
                }
            }
        } catch (SQLException e) {
            if (e.getErrorCode() == ER_TABLE_DEF_CHANGED) {
                LOG.warn("table {}.{} was created or altered after the read view opened: its definition is in the "
                        + "dump, its rows are not", t.schema(), t.name());
                return 0;
            }
            throw e;
        }
        if (inStatement > 0) {
            w.sql(buf.array(), buf.length());
        }
        return n;
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

    /** Routines, triggers or events of a schema: each with the sql_mode it was created under. */
    private int objects(DumpWriter w, String schema, String list) throws SQLException, IOException {
        List<String[]> names = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement(list)) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        }
        try (Statement st = conn.createStatement()) {
            st.execute("USE " + Db.quote(schema));
        }
        for (String[] n : names) {
            String sql = "SHOW CREATE " + n[0] + " " + Db.quote(n[1]);
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                if (!rs.next()) {
                    continue; // dropped since it was listed
                }
                String mode = rs.getString("sql_mode");
                String create = rs.getString(n[0].equals("TRIGGER") ? "SQL Original Statement"
                        : "Create " + n[0].charAt(0) + n[0].substring(1).toLowerCase(Locale.ROOT));
                if (create == null) {
                    throw TidemarkException.failed("'" + sql + "' in schema " + schema + " returned no definition: "
                            + config.user() + " lacks the privilege to see it (grant SHOW CREATE ROUTINE or SELECT on "
                            + "mysql.proc, TRIGGER, EVENT)");
                }
                w.sql("SET SESSION sql_mode = " + Db.literal(mode));
                if (n[0].equals("EVENT")) {
                    w.sql("SET SESSION time_zone = " + Db.literal(rs.getString("time_zone")));
                }
                w.compound(create);
                if (n[0].equals("EVENT")) {
                    w.sql("SET SESSION time_zone = '+00:00'");
                }
            }
        }
        w.sql("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
        return names.size();
    }

    /** Views, each after the views it reads from. */
    private int views(DumpWriter w, String schema, List<Table> all) throws SQLException, IOException {
        try (Statement st = conn.createStatement()) {
            st.execute("USE " + Db.quote(schema)); // SHOW CREATE VIEW then names this schema's objects unqualified
        }
        Map<String, String> defs = new LinkedHashMap<>();
        for (Table t : all) {
            if (t.schema().equals(schema) && t.type().equals("VIEW")) {
                defs.put(t.name(), showCreate("SHOW CREATE VIEW " + Db.quote(t.name()), 2));
            }
        }
        List<String> done = new ArrayList<>();
        while (done.size() < defs.size()) {
            boolean progress = false;
            for (Map.Entry<String, String> e : defs.entrySet()) {
                if (done.contains(e.getKey())) {
                    continue;
                }
                boolean ready = true;
                for (String other : defs.keySet()) {
                    if (!other.equals(e.getKey()) && !done.contains(other)
                            && e.getValue().contains(Db.quote(other))) {
                        ready = false;
                    }
                }
                if (ready) {
                    w.sql(e.getValue());
                    done.add(e.getKey());
                    progress = true;
                }
            }
            if (!progress) { // a name that only looks like a dependency: keep the listed order
                for (Map.Entry<String, String> e : defs.entrySet()) {
                    if (!done.contains(e.getKey())) {
                        w.sql(e.getValue());
                        done.add(e.getKey());
                    }
                }
            }
        }
        return defs.size();
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
