package dev.tidemark.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every column type, and every kind of object, through a point and back: once through 'tidemark restore --db-into'
 * and once through 'tidemark db export' loaded by the plain mariadb client. Proven by CHECKSUM TABLE, SHOW CREATE
 * and the values themselves.
 */
class DatabaseRoundTripTest {
    @TempDir
    Path tmp;

    MariaDb server;
    final List<String> schemas = new ArrayList<>();

    @BeforeEach
    void up() {
        server = MariaDb.get();
    }

    @AfterEach
    void down() {
        server.drop(schemas.toArray(String[]::new));
    }

    static final String[] SCHEMA = {
        "CREATE TABLE people (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100) NOT NULL, "
            + "UNIQUE KEY uq_name (name)) ENGINE=InnoDB",
        "CREATE TABLE every_type ("
            + " id BIGINT UNSIGNED PRIMARY KEY,"
            + " d DECIMAL(30,10), f FLOAT, dbl DOUBLE, ti TINYINT, si SMALLINT, mi MEDIUMINT UNSIGNED,"
            + " b BIT(13), bl BLOB, vb VARBINARY(64), bin BINARY(4),"
            + " g GEOMETRY, pt POINT,"
            + " j JSON, e ENUM('a','b','c d'), st SET('x','y','z'),"
            + " dt6 DATETIME(6), ts TIMESTAMP(3) NULL DEFAULT NULL, dte DATE, tm TIME(6), yr YEAR,"
            + " txt MEDIUMTEXT, cjk VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,"
            + " lat VARCHAR(20) CHARACTER SET latin1, empty_or_null VARCHAR(10),"
            + " person INT, gen_upper VARCHAR(100) AS (UPPER(txt)) VIRTUAL,"
            + " inv INT INVISIBLE DEFAULT 7,"
            + " CONSTRAINT fk_person FOREIGN KEY (person) REFERENCES people(id) ON DELETE SET NULL"
            + ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='all; the types'",
        "CREATE TABLE legacy (k INT PRIMARY KEY, v VARCHAR(20)) ENGINE=MyISAM",
        "CREATE TABLE aria_log (k INT PRIMARY KEY, v VARCHAR(20)) ENGINE=Aria",
        "CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(200)) ENGINE=InnoDB",
        "CREATE SEQUENCE ticket START WITH 100 INCREMENT BY 5",
        "CREATE VIEW named_people AS SELECT id, name FROM people WHERE name <> ''",
        "CREATE VIEW z_named_count AS SELECT COUNT(*) AS n FROM named_people",
        "CREATE TRIGGER people_ai AFTER INSERT ON people FOR EACH ROW BEGIN\n"
            + "  INSERT INTO audit (what) VALUES (CONCAT('added; ', NEW.name));\nEND",
        "CREATE PROCEDURE add_person(IN n VARCHAR(100))\nBEGIN\n  INSERT INTO people (name) VALUES (n);\n"
            + "  SELECT LAST_INSERT_ID();\nEND",
        "CREATE FUNCTION shout(s VARCHAR(100)) RETURNS VARCHAR(200) DETERMINISTIC RETURN CONCAT(UPPER(s), '!')",
        "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' DISABLE DO "
            + "DELETE FROM audit WHERE id < 0",
    };

    static void fill(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET SESSION sql_mode = ''"); // lets the zero date in: it must survive too
            s.execute("INSERT INTO people (name) VALUES ('Ann'), ('李小龍'), ('emoji 😀🎉'), ('quote '' \\\\ back')");
            s.execute("INSERT INTO every_type (id, d, f, dbl, ti, si, mi, b, bl, vb, bin, g, pt, j, e, st, dt6, ts,"
                    + " dte, tm, yr, txt, cjk, lat, empty_or_null, person, inv) VALUES "
                    + "(1, 12345678901234567890.0123456789, 1.5, -2.25e-300, -128, 32767, 16777215, b'1010101010101',"
                    + " 0x00FF0000AB00, 0x0000, 0x00010200, ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 0))', 4326),"
                    + " POINT(1.5, -2.5), '{\"a\": [1, 2, {\"b\": null}], \"s\": \"x\\\\\"y\"}', 'c d', 'x,z',"
                    + " '2026-11-21 10:15:30.123456', '2026-03-29 01:30:00.500', '0000-00-00', '-838:59:59.000000',"
                    + " 2155, 'line1\\nline2\\r\\ttab \\\\ back '' quote \\0 nul \\Z', '中文テキスト😀',"
                    + " 'café déjà', '', 1, 9),"
                    + "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', '', NULL, NULL, NULL, NULL, NULL, '',"
                    + " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
                    + "(3, -0.0000000001, 3.4e38, 1.7976931348623157e308, 127, -32768, 0, b'0', 0x00, 0x00, 0x00000000,"
                    + " ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))'), POINT(0, 0),"
                    + " '[]', 'a', 'x,y,z', '1000-01-01 00:00:00.000001', '1970-01-01 00:00:01.000', '9999-12-31',"
                    + " '00:00:00', 1901, REPEAT('long text ', 20000), '', '', NULL, 4, 0)");
            s.execute("INSERT INTO legacy VALUES (1, 'myisam row'), (2, NULL)");
            s.execute("INSERT INTO aria_log VALUES (1, 'aria row')");
            s.execute("DO NEXTVAL(ticket)");
            s.execute("DO NEXTVAL(ticket)");
            s.execute("INSERT INTO every_type (id, txt) SELECT seq + 1000, CONCAT('row ', seq) FROM seq_1_to_5000");
        }
    }

    /** What must come back identical: checksums, every SHOW CREATE, and the values read as text. */
    static Map<String, String> fingerprint(Connection c, String schema) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try (Statement s = c.createStatement()) {
            s.execute("USE `" + schema + "`");
            for (String t : List.of("people", "every_type", "legacy", "aria_log", "audit")) {
                out.put("checksum " + t, one(s, "CHECKSUM TABLE `" + t + "`", 2));
                out.put("create " + t, one(s, "SHOW CREATE TABLE `" + t + "`", 2));
                out.put("count " + t, one(s, "SELECT COUNT(*) FROM `" + t + "`", 1));
            }
            out.put("create ticket", one(s, "SHOW CREATE SEQUENCE ticket", 2));
            out.put("next ticket", one(s, "SELECT next_not_cached_value FROM ticket", 1));
            for (String v : List.of("named_people", "z_named_count")) {
                out.put("view " + v, one(s, "SHOW CREATE VIEW `" + v + "`", 2));
            }
            out.put("trigger", one(s, "SHOW CREATE TRIGGER people_ai", 3));
            out.put("procedure", one(s, "SHOW CREATE PROCEDURE add_person", 3));
            out.put("function", one(s, "SHOW CREATE FUNCTION shout", 3));
            out.put("event", one(s, "SHOW CREATE EVENT nightly", 4));
            out.put("schema charset", one(s, "SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, ' ', DEFAULT_COLLATION_NAME) "
                    + "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" + schema + "'", 1));
            out.put("fks", one(s, "SELECT GROUP_CONCAT(CONSTRAINT_NAME, ':', REFERENCED_TABLE_NAME, ':', DELETE_RULE) "
                    + "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '" + schema + "'", 1));
            try (ResultSet rs = s.executeQuery("SELECT id, HEX(b), HEX(bl), HEX(vb), HEX(bin), ST_AsText(g), "
                    + "ST_SRID(g), ST_AsText(pt), j, e, st, dt6, ts, dte, tm, yr, HEX(txt), HEX(cjk), HEX(lat), "
                    + "empty_or_null IS NULL, empty_or_null, d, f, dbl, ti, si, mi, gen_upper = UPPER(txt), inv "
                    + "FROM every_type WHERE id < 1000 ORDER BY id")) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 1; i <= n; i++) {
                        sb.append(rs.getString(i)).append('|');
                    }
                    out.put("row " + rs.getString(1), sb.toString());
                }
            }
        }
        return out;
    }

    static void same(Map<String, String> expected, Map<String, String> actual) {
        for (String k : expected.keySet()) {
            assertEquals(expected.get(k), actual.get(k), k);
        }
        assertEquals(expected.keySet(), actual.keySet());
    }

    static String one(Statement s, String sql, int col) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(col);
        }
    }

    private Env envWith(String schema, String extra) throws Exception {
        Env env = new Env(tmp, "files");
        Files.writeString(env.tree("files").resolve("a.txt"), "a");
        env.writeConfig(server.configSection(List.of(schema), extra));
        env.ok("init");
        return env;
    }

    private String source() throws Exception {
        String src = server.newSchema("rt");
        schemas.add(src);
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("USE `" + src + "`");
            for (String sql : SCHEMA) {
                s.execute(sql);
            }
            fill(c);
        }
        return src;
    }

    @Test
    void everyTypeAndObjectComesBackThroughRestoreDbInto() throws Exception {
        String src = source();
        Env env = envWith(src, "");
        Map<String, String> before;
        try (Connection c = server.connect()) {
            before = fingerprint(c, src);
        }
        Cli.Result p = env.ok("point");
        assertTrue(p.out().contains("database " + src), p.out());

        RestorePoint point;
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            point = new PointStore(Repository.open(store)).resolve("latest");
        }
        DatabaseSnapshot db = point.database();
        assertNotNull(db.dump());
        // people 4, every_type 3 + 5000, legacy 2, aria_log 1, audit 4 (the trigger's)
        assertEquals(4 + 5003 + 2 + 1 + 4, db.rows(), "rows counted: " + db.schemas());
        DatabaseSnapshot.Schema s = db.schemas().get(0);
        assertEquals(6, s.tables(), "5 tables + the sequence");
        assertEquals(2, s.views());
        assertEquals(2, s.routines());
        assertEquals(1, s.triggers());
        assertEquals(1, s.events());
        assertTrue(db.consistency().equals("read view"), "MyISAM and Aria were locked: " + db.consistency());
        if (server.privateServer) {
            assertNotNull(db.binlogFile(), "the private server logs binlogs: coordinates recorded");
            assertTrue(db.binlogPosition() > 0);
            assertNotNull(db.gtid());
        }

        String target = src + "_r";
        schemas.add(target);
        Cli.Result r = env.ok("restore", "latest", "--db-only", "--db-into", target);
        assertTrue(r.out().contains("into " + target), r.out());
        try (Connection c = server.connect()) {
            same(before, fingerprint(c, target));
        }

        // A second restore into the same, now non-empty, schema is refused; --force replaces it.
        Cli.Result again = env.cli("restore", "latest", "--db-only", "--db-into", target);
        assertEquals(1, again.code(), again.toString());
        assertTrue(again.err().contains("exists and is not empty"), again.err());
        env.ok("restore", "latest", "--db-only", "--db-into", target, "--force");
        try (Connection c = server.connect()) {
            same(before, fingerprint(c, target));
        }
    }

    @Test
    void exportLoadsInThePlainMariadbClient() throws Exception {
        String src = source();
        Env env = envWith(src, "");
        Map<String, String> before;
        try (Connection c = server.connect()) {
            before = fingerprint(c, src);
        }
        env.ok("point");
        Path sql = tmp.resolve("export.sql");
        env.ok("db", "export", "latest", "-o", sql.toString());
        String text = Files.readString(sql, java.nio.charset.StandardCharsets.ISO_8859_1); // BLOBs are raw bytes
        assertTrue(text.contains("CREATE DATABASE IF NOT EXISTS `" + src + "`"), "creates its schema");
        assertTrue(text.contains("DELIMITER ;;"), "routines wrapped for the client");
        // "-o -" is standard output (it used to write a file named "-")
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(captured, true));
            env.ok("db", "export", "latest", "-o", "-");
        } finally {
            System.setOut(stdout);
        }
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(sql), captured.toByteArray()), "the same bytes");
        assertTrue(!Files.exists(Path.of("-")), "no file named '-'");

        server.drop(src); // the client loads it back under its own name
        String host = server.url.replaceAll("jdbc:mariadb://([^:/]+):(\\d+)/.*", "$1");
        String port = server.url.replaceAll("jdbc:mariadb://([^:/]+):(\\d+)/.*", "$2");
        ProcessBuilder pb = new ProcessBuilder("mariadb", "--no-defaults", "-h", host, "-P", port, "-u", server.user,
                "--binary-mode").redirectInput(sql.toFile()).redirectErrorStream(true);
        pb.environment().put("MYSQL_PWD", server.password);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "mariadb client: " + out);
        try (Connection c = server.connect()) {
            same(before, fingerprint(c, src));
        }
    }
}
