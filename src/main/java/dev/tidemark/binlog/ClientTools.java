package dev.tidemark.binlog;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.db.Db;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The MariaDB client programs tidemark drives for the binlog: {@code mariadb-binlog} (follows the server as a replica
 * client and writes the raw log; decodes it into SQL) and {@code mariadb} (applies that SQL). They come with the
 * server and the client packages; the password goes in their environment ({@code MYSQL_PWD}), never in argv.
 */
public final class ClientTools {
    private ClientTools() {
    }

    /** The first of {@code names} found on PATH; a one-line error naming the package otherwise. */
    public static Path find(String... names) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String n : names) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, n);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        throw TidemarkException.failed(names[0] + " is not installed (looked for " + String.join(", ", names)
                + " on PATH): install the mariadb-client package; the binlog is followed and replayed with it");
    }

    public static Path binlogTool() {
        return find("mariadb-binlog", "mysqlbinlog");
    }

    public static Path client() {
        return find("mariadb", "mysql");
    }

    /** Connection options for either program: host, port, user and TLS as the config says. */
    static List<String> connection(DatabaseConfig db) {
        String hostPort = Db.hostOf(db.url());
        String host = hostPort;
        String port = "3306";
        int colon = hostPort.lastIndexOf(':');
        if (colon > 0 && !hostPort.endsWith("]")) {
            host = hostPort.substring(0, colon);
            port = hostPort.substring(colon + 1);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        List<String> a = new ArrayList<>(List.of("--host=" + host, "--port=" + port, "--user=" + db.user(),
                "--protocol=tcp"));
        switch (db.tls()) {
            case OFF -> a.add("--skip-ssl");
            case TRUST -> a.add("--ssl");
            case VERIFY_CA, VERIFY_FULL -> {
                a.add("--ssl");
                if (db.tlsCa() != null) {
                    a.add("--ssl-ca=" + db.tlsCa());
                }
                if (db.tls() == DatabaseConfig.Tls.VERIFY_FULL) {
                    a.add("--ssl-verify-server-cert");
                }
            }
            default -> throw new IllegalStateException(db.tls().toString());
        }
        return a;
    }

    /** Puts the password where the programs read it and nobody else sees it. */
    static void password(DatabaseConfig db, Map<String, String> env) {
        if (db.password() == null) {
            throw TidemarkException.failed("the database password is not set (" + db.passwordSource() + ")");
        }
        env.put("MYSQL_PWD", db.password().reveal());
    }
}
