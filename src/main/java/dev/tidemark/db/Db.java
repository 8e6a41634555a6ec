package dev.tidemark.db;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.DatabaseConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLInvalidAuthorizationSpecException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.Properties;

/** Connections to the configured server, and what its errors mean to a user. */
public final class Db {
    private Db() {
    }

    /** The server cannot be reached or refused us: a point may go ahead without the database if so configured. */
    public static final class DownException extends TidemarkException {
        public DownException(String message, Throwable cause) {
            super(dev.tidemark.ExitCode.FAILED, message, cause);
        }
    }

    /**
     * Opens a session with the settings every dump and load relies on: utf8mb4, UTC for TIMESTAMP values, and the
     * text protocol (values arrive exactly as the server prints them).
     */
    public static Connection connect(DatabaseConfig db) {
        if (db.password() == null) {
            throw TidemarkException.usage("database password: " + db.passwordSource() + " is not set in the "
                    + "environment of this process: export it, or use database.passwordFile");
        }
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password().reveal());
        p.setProperty("sslMode", db.tls().sslMode);
        if (db.tlsCa() != null) {
            p.setProperty("serverSslCert", db.tlsCa());
        }
        p.setProperty("connectTimeout", Long.toString(db.connectTimeout().toMillis()));
        p.setProperty("useServerPrepStmts", "false");
        p.setProperty("allowLocalInfile", "false");
        p.setProperty("allowMultiQueries", "false");
        p.setProperty("useBulkStmts", "false");
        try {
            Connection c = DriverManager.getConnection(db.url(), p);
            try (Statement s = c.createStatement()) {
                s.execute("SET NAMES utf8mb4");
                s.execute("SET time_zone = '+00:00'");
            }
            return c;
        } catch (SQLException e) {
            throw explain(db, e);
        }
    }

    static RuntimeException explain(DatabaseConfig db, SQLException e) {
        String msg = firstLine(e);
        String where = "database " + hostOf(db.url()) + " as " + db.user();
        if (e instanceof SQLInvalidAuthorizationSpecException || e.getErrorCode() == 1045) {
            return new DownException(where + ": access denied (" + msg + "); check database.user and the password "
                    + "from " + db.passwordSource(), e);
        }
        String lower = msg.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate")) {
            return new DownException(where + ": TLS failed (" + msg + "); database.tls is " + db.tls().word
                    + ": set it to match the server (off, trust, verify-ca with database.tlsCa, verify-full)", e);
        }
        if (e instanceof SQLNonTransientConnectionException || e instanceof SQLTransientConnectionException
                || (e.getSQLState() != null && e.getSQLState().startsWith("08"))) {
            return new DownException(where + " cannot be reached (" + msg + "); is the server running?", e);
        }
        return TidemarkException.failed(where + ": " + msg, e);
    }

    static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** host:port of a URL, for messages (never the user or options). */
    public static String hostOf(String url) {
        String rest = url.substring("jdbc:mariadb://".length());
        int end = rest.length();
        for (char c : new char[] {'/', '?', ','}) {
            int i = rest.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        return rest.substring(0, end);
    }

    /** A name as a quoted identifier. */
    public static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /** A string as a quoted SQL literal (for the few literals tidemark builds from names). */
    public static String literal(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('\'');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\'' -> sb.append("\\'");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case 0 -> sb.append("\\0");
                default -> sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }
}
