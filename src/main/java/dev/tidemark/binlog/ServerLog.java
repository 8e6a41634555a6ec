package dev.tidemark.binlog;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.db.Db;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the server says about its binary log: whether it writes one, in which format, and which files it still has.
 *
 * @param why        null if the binlog can be archived and replayed exactly; else what is missing and how to fix it
 * @param format     {@code binlog_format}
 * @param logs       the files the server has ({@code SHOW BINARY LOGS}), oldest first, with their sizes
 * @param current    where the server writes now ({@code SHOW MASTER STATUS})
 */
public record ServerLog(String why, String format, List<File> logs, Position current) {
    public record File(String name, long size) {
    }

    static final String ENABLE = "start the server with log_bin=ON, binlog_format=ROW and a server_id (my.cnf "
            + "[mariadbd]: log_bin, binlog_format = ROW, server_id = 1), then restart it";

    /** Reads it over one connection. */
    public static ServerLog read(DatabaseConfig db) {
        try (Connection c = Db.connect(db); Statement st = c.createStatement()) {
            boolean on;
            String format;
            try (ResultSet rs = st.executeQuery("SELECT @@log_bin, @@binlog_format")) {
                rs.next();
                on = rs.getInt(1) == 1;
                format = rs.getString(2);
            }
            if (!on) {
                return new ServerLog("the server writes no binary log (log_bin is OFF), so the database can be restored "
                        + "only to a point; to restore it to any second, " + ENABLE, format, List.of(), null);
            }
            if (format == null || format.toUpperCase(Locale.ROOT).equals("STATEMENT")) {
                return new ServerLog("binlog_format is " + format + ": statements replay exactly only in some cases; "
                        + "set binlog_format=ROW (or MIXED) to restore the database to any second", format, List.of(),
                        null);
            }
            List<File> logs = new ArrayList<>();
            Position current;
            try {
                try (ResultSet rs = st.executeQuery("SHOW BINARY LOGS")) {
                    while (rs.next()) {
                        logs.add(new File(rs.getString(1), rs.getLong(2)));
                    }
                }
                try (ResultSet rs = st.executeQuery("SHOW MASTER STATUS")) {
                    current = rs.next() ? new Position(rs.getString(1), rs.getLong(2)) : null;
                }
            } catch (SQLException e) {
                if (e.getErrorCode() == 1227 || e.getErrorCode() == 1045) {
                    return new ServerLog("user " + db.user() + " may not read the binary log: GRANT BINLOG MONITOR, "
                            + "REPLICATION SLAVE ON *.* TO that user", format, List.of(), null);
                }
                throw e;
            }
            return new ServerLog(null, format, logs, current);
        } catch (SQLException e) {
            throw TidemarkException.failed("reading the server's binary log state: " + e.getMessage(), e);
        }
    }

    public boolean usable() {
        return why == null;
    }

    public File log(String name) {
        for (File f : logs) {
            if (f.name.equals(name)) {
                return f;
            }
        }
        return null;
    }
}
