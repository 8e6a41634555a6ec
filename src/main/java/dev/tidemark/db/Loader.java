package dev.tidemark.db;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.point.DatabaseSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a point's dump into a server. The dump is read through once and checked before the server is touched; a
 * target schema that exists and holds anything is refused unless {@code force} (then it is dropped); a load that
 * fails part-way drops the schemas it was filling, so nothing half-restored is left behind.
 */
public final class Loader {
    private static final Logger LOG = LoggerFactory.getLogger(Loader.class);
    private static final int BATCH = 16;

    private final DatabaseConfig config;
    private final dev.tidemark.repo.Contents contents;

    public Loader(DatabaseConfig config, dev.tidemark.repo.Contents contents) {
        this.config = config;
        this.contents = contents;
    }

    /** Where each of the point's schemas goes. */
    public static Map<String, String> targets(DatabaseSnapshot snap, String into) {
        Map<String, String> out = new LinkedHashMap<>();
        if (into != null && snap.schemas().size() != 1) {
            throw TidemarkException.usage("--db-into " + into + ": the point holds " + snap.schemas().size()
                    + " schemas; --db-into renames a single one. Restore them under their own names with --db");
        }
        for (DatabaseSnapshot.Schema s : snap.schemas()) {
            out.put(s.name(), into == null ? s.name() : into);
        }
        return out;
    }

    /** What a target holds now: null if it does not exist, else the number of tables, views, routines and events. */
    public static Long contents(Connection c, String schema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    return null;
                }
            }
        }
        long n = 0;
        for (String q : new String[] {"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
            "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?",
            "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?"}) {
            try (PreparedStatement ps = c.prepareStatement(q)) {
                ps.setString(1, schema);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    n += rs.getLong(1);
                }
            }
        }
        return n;
    }

    /** Refuses non-empty targets unless forced; returns the targets that exist (and will be replaced). */
    public static List<String> checkTargets(Connection c, Map<String, String> targets, boolean force) throws SQLException {
        List<String> replaced = new ArrayList<>();
        for (String t : new LinkedHashSet<>(targets.values())) {
            Long n = contents(c, t);
            if (n != null && n > 0) {
                if (!force) {
                    throw TidemarkException.failed("schema " + t + " exists and is not empty (" + n + " tables, views,"
                            + " routines and events): restore into another with --db-into NAME, or replace it with "
                            + "--force");
                }
                replaced.add(t);
            }
        }
        return replaced;
    }

    public record Loaded(long statements, long bytes) {
    }

    public Loaded load(String dumpKey, Map<String, String> targets, boolean force) throws IOException {
        // 1. The whole dump is checked first: a damaged one stops here, with the server untouched.
        try (DumpReader r = new DumpReader(contents, dumpKey)) {
            r.copyTo(OutputStream.nullOutputStream());
        }
        Set<String> started = new LinkedHashSet<>();
        long statements = 0;
        long bytes = 0;
        try (Connection c = Db.connect(config)) {
            checkTargets(c, targets, force);
            // Read ahead: the dump is read (and checked again) while the server executes what was sent.
            try (Statement st = c.createStatement(); DumpReader r = new DumpReader(contents, dumpKey, true)) {
                int batched = 0;
                for (DumpFormat.Statement s = r.next(); s != null; s = r.next()) {
                    if (s.kind() == DumpFormat.Kind.SCHEMA) {
                        if (batched > 0) {
                            st.executeBatch();
                            batched = 0;
                        }
                        String target = targets.get(s.schema());
                        if (target == null) {
                            throw TidemarkException.failed("the dump holds schema " + s.schema() + ", which its point "
                                    + "does not list; run 'tidemark verify'");
                        }
                        if (started.add(target)) {
                            if (force) {
                                st.execute("DROP DATABASE IF EXISTS " + Db.quote(target));
                            }
                            st.execute("CREATE DATABASE IF NOT EXISTS " + Db.quote(target) + " CHARACTER SET "
                                    + s.charset() + " COLLATE " + s.collation());
                        }
                        st.execute("USE " + Db.quote(target));
                        continue;
                    }
                    statements++;
                    bytes += s.bytes().length;
                    String sql = s.sql();
                    if (s.kind() == DumpFormat.Kind.SQL && sql.startsWith("INSERT INTO ")) {
                        st.addBatch(sql); // sent pipelined: the server never waits for the next statement
                        if (++batched == BATCH) {
                            st.executeBatch();
                            batched = 0;
                        }
                    } else {
                        if (batched > 0) {
                            st.executeBatch();
                            batched = 0;
                        }
                        st.execute(sql);
                    }
                }
                if (batched > 0) {
                    st.executeBatch();
                }
            } catch (SQLException | RuntimeException | IOException e) {
                dropPartial(c, started);
                if (e instanceof SQLException se) {
                    throw TidemarkException.failed("loading the database failed: " + Db.firstLine(se)
                            + partialNote(started), se);
                }
                if (e instanceof TidemarkException te) {
                    throw new TidemarkException(te.exitCode(), te.getMessage() + partialNote(started), te);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw Db.explain(config, e);
        }
        return new Loaded(statements, bytes);
    }

    private static String partialNote(Set<String> started) {
        return started.isEmpty() ? "" : "; the partly loaded schema(s) " + String.join(", ", started)
                + " were dropped, nothing half-restored is left";
    }

    private static void dropPartial(Connection c, Set<String> started) {
        for (String s : started) {
            try (Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + Db.quote(s));
            } catch (SQLException e) {
                LOG.error("could not drop the partly loaded schema {}: {}", s, Db.firstLine(e));
            }
        }
    }
}
