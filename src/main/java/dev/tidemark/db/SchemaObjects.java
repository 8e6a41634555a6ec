package dev.tidemark.db;

import dev.tidemark.TidemarkException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A schema's definitions other than tables, as the dump holds them: routines, triggers and events (each after
 * {@code SET sql_mode} to the mode it was created with, events with their time zone) and views (each after the views
 * it reads). Read on the view's connection; a definition the user may not see is an error naming the grant to add.
 */
final class SchemaObjects {
    private final Connection conn;
    private final String user;

    SchemaObjects(Connection conn, String user) {
        this.conn = conn;
        this.user = user;
    }

    String showCreate(String sql, int column) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next() || rs.getString(column) == null) {
                throw TidemarkException.failed("'" + sql + "' returned no definition: " + user
                        + " lacks the privilege to see it (grant SHOW VIEW, TRIGGER, EVENT and SELECT on mysql.proc)");
            }
            return rs.getString(column);
        }
    }

    /** Routines, triggers or events of a schema: each with the sql_mode it was created under. */
    int routines(DumpWriter w, String schema, String list) throws SQLException, IOException {
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
                            + user + " lacks the privilege to see it (grant SHOW CREATE ROUTINE or SELECT on "
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
    int views(DumpWriter w, String schema, List<Snapshotter.Table> all) throws SQLException, IOException {
        try (Statement st = conn.createStatement()) {
            st.execute("USE " + Db.quote(schema)); // SHOW CREATE VIEW then names this schema's objects unqualified
        }
        Map<String, String> defs = new LinkedHashMap<>();
        for (Snapshotter.Table t : all) {
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
}
