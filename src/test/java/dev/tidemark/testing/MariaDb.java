package dev.tidemark.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real MariaDB server for tests: the one named by {@code TIDEMARK_TEST_MARIADB_URL} (with
 * {@code TIDEMARK_TEST_MARIADB_USER}, default root, and {@code TIDEMARK_TEST_MARIADB_PASSWORD}, default empty), or
 * else a private {@code mariadbd} started once per test JVM from the installed server binaries in a temp data
 * directory (binary log on, so binlog coordinates can be checked), and stopped when the JVM exits. Each test makes its
 * own schemas with {@link #newSchema} and drops them with {@link #drop}.
 */
public final class MariaDb {
    private static MariaDb shared;
    private static final AtomicInteger SEQ = new AtomicInteger();

    public final String url;
    public final String user;
    public final String password;
    public final boolean privateServer;
    public final Path socket;
    /** A dedicated server's process, command and directory (restart, close); null for the shared one. */
    private Process process;
    private List<String> command;
    private Path dir;

    private MariaDb(String url, String user, String password, boolean privateServer, Path socket) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.privateServer = privateServer;
        this.socket = socket;
    }

    /**
     * A server of this test's own (stop it with {@link #close}), started as the shared one is with {@code extra}
     * options added: for tests that restart the server or change its binary log.
     */
    public static MariaDb dedicated(String... extra) {
        return start(List.of(extra));
    }

    /** Stops the server cleanly (as a service stop does) and starts it again with the same data, port and options. */
    public void restart() throws IOException, InterruptedException {
        if (process == null) {
            throw new IllegalStateException("only a dedicated server can be restarted");
        }
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("mariadbd did not stop in 60 s");
        }
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile())).start();
        awaitUp(this, process, dir);
    }

    /** Where a private server keeps its files (its binlog files are {@code binlog.NNNNNN} here). */
    public Path binlogDir() {
        return dir;
    }

    /** Stops a dedicated server and removes its data. */
    public void close() {
        if (process != null) {
            stop(process, dir);
        }
    }

    /** Stops a server (a clean shutdown, forced after 30 s) and removes its directory. */
    private static void stop(Process p, Path dir) {
        p.destroy();
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        p.destroyForcibly();
        deleteQuietly(dir);
    }

    public static synchronized MariaDb get() {
        if (shared == null) {
            String env = System.getenv("TIDEMARK_TEST_MARIADB_URL");
            if (env != null && !env.isBlank()) {
                String u = System.getenv().getOrDefault("TIDEMARK_TEST_MARIADB_USER", "root");
                String p = System.getenv().getOrDefault("TIDEMARK_TEST_MARIADB_PASSWORD", "");
                shared = new MariaDb(env, u, p, false, null);
            } else {
                shared = start(List.of());
            }
        }
        return shared;
    }

    private static Path binary(String... candidates) {
        for (String c : candidates) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no MariaDB server binaries (" + String.join(", ", candidates) + "): install "
                + "the mariadb-server package, or name a server in TIDEMARK_TEST_MARIADB_URL");
    }

    private static MariaDb start(List<String> extra) {
        try {
            Path installDb = binary("/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db");
            Path server = binary("/usr/sbin/mariadbd", "/usr/sbin/mysqld");
            Path dir = Files.createTempDirectory("tidemark-mariadb-");
            Path data = dir.resolve("data");
            boolean root = "root".equals(System.getProperty("user.name"));
            List<String> init = new ArrayList<>(List.of(installDb.toString(), "--no-defaults", "--datadir=" + data,
                    "--auth-root-authentication-method=normal", "--skip-test-db"));
            if (root) {
                init.add("--user=root");
            }
            run(init, dir.resolve("install.log"), 120);
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path socket = dir.resolve("mysqld.sock");
            List<String> cmd = new ArrayList<>(List.of(server.toString(), "--no-defaults", "--datadir=" + data,
                    "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + socket,
                    "--pid-file=" + dir.resolve("mysqld.pid"), "--log-error=" + dir.resolve("error.log"),
                    "--log-bin=" + dir.resolve("binlog"), "--server-id=1", "--innodb-buffer-pool-size=128M",
                    "--innodb-log-file-size=64M", "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0",
                    "--max-connections=100", "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_general_ci"));
            cmd.addAll(extra);
            if (root) {
                cmd.add("--user=root");
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile()).start();
            MariaDb db = new MariaDb("jdbc:mariadb://127.0.0.1:" + port + "/", "root", "", true, socket);
            db.process = extra.isEmpty() ? null : p;
            db.command = cmd;
            db.dir = dir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(db.process != null ? db.process : p, dir)));
            awaitUp(db, p, dir);
            return db;
        } catch (IOException e) {
            throw new IllegalStateException("starting a private mariadbd failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void awaitUp(MariaDb db, Process p, Path dir) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("mariadbd exited with " + p.exitValue() + ": "
                        + tail(dir.resolve("error.log")));
            }
            try (Connection c = db.connect()) {
                return;
            } catch (SQLException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("mariadbd did not accept connections in 60 s: " + last + "\n"
                + tail(dir.resolve("error.log")));
    }

    private static void run(List<String> cmd, Path log, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + tail(log));
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // best effort at exit
        }
    }

    public Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(url + "?sslMode=disable", user, password);
        try (Statement s = c.createStatement()) {
            s.execute("SET NAMES utf8mb4");
        }
        return c;
    }

    /** A fresh, empty schema with a name unique to this run. */
    public String newSchema(String hint) throws SQLException {
        String name = "tm_" + hint + "_" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet();
        exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        return name;
    }

    public void drop(String... schemas) {
        for (String s : schemas) {
            try {
                exec("DROP DATABASE IF EXISTS `" + s + "`");
            } catch (SQLException e) {
                throw new IllegalStateException("dropping " + s + ": " + e.getMessage(), e);
            }
        }
    }

    public void exec(String... sql) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    /** The {@code database} config section for these schemas; {@code extra} adds fields (with a leading comma). */
    public String configSection(List<String> schemas, String extra) throws IOException {
        Path pw = Files.createTempFile("tidemark-db-", ".pass");
        Files.writeString(pw, password + "\n");
        pw.toFile().deleteOnExit();
        StringBuilder sb = new StringBuilder("  \"database\": {\"url\": \"" + url + "\", \"user\": \"" + user
                + "\", \"passwordFile\": \"" + pw + "\", \"tls\": \"off\", \"schemas\": [");
        for (int i = 0; i < schemas.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append('"').append(schemas.get(i)).append('"');
        }
        return sb.append("]").append(extra).append("},\n").toString();
    }
}
