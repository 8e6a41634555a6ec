package dev.tidemark.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import dev.tidemark.util.Json;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tidemark drill} on a real repository and a real MariaDB: a sound point passes, with its database loaded
 * into scratch schemas that are gone afterwards and its references found in the point's manifests; a damaged pack
 * fails the drill (exit 3) naming the file; each outcome is recorded in the repository.
 */
class DrillTest {
    @TempDir
    Path tmp;

    private final MariaDb server = MariaDb.get();
    private final List<String> schemas = new ArrayList<>();

    @AfterEach
    void down() {
        server.drop(schemas.toArray(String[]::new));
    }

    @Test
    void aSoundPointPassesWithItsDatabaseAndADamagedPackFailsNamingTheFile() throws Exception {
        String schema = server.newSchema("drill");
        schemas.add(schema);
        Env env = new Env(tmp.resolve("env"), "facedata");
        server.exec("USE `" + schema + "`",
                "CREATE TABLE faces (id INT AUTO_INCREMENT PRIMARY KEY, crop VARCHAR(200) NOT NULL)",
                "INSERT INTO faces (crop) VALUES ('p1/a.jpg'), ('p1/b.jpg'), ('p2/c.jpg')");
        Random rnd = new Random(9);
        for (String f : List.of("p1/a.jpg", "p1/b.jpg", "p2/c.jpg")) {
            Path p = env.tree("facedata").resolve(f);
            Files.createDirectories(p.getParent());
            byte[] b = new byte[200_000];
            rnd.nextBytes(b);
            Files.write(p, b);
        }
        for (int i = 0; i < 40; i++) {
            Files.writeString(env.tree("facedata").resolve("p1/small-" + i + ".txt"), "small " + i);
        }
        env.writeConfig(server.configSection(List.of(schema), ", \"referenceQueries\": [{\"name\": \"crops\", "
                + "\"tree\": \"facedata\", \"sql\": \"SELECT crop FROM faces\"}]"));
        env.ok("init");
        env.ok("point");

        Cli.Result ok = env.ok("drill", "--files", "20", "--json");
        JsonNode r = Json.MAPPER.readTree(ok.out());
        assertTrue(r.path("ok").asBoolean(), ok.out());
        assertEquals(20, r.path("files").asInt());
        assertTrue(r.path("expectedRestoreSeconds").asDouble() >= r.path("filesSeconds").asDouble());
        assertEquals(1, r.path("database").path("references").asInt(), ok.out());
        assertEquals(0, r.path("database").path("dangling").asLong(), ok.out());
        assertEquals(List.of(), drillSchemas(), "the scratch schemas are dropped");
        assertEquals(1, drills(env).size());
        try (Stream<Path> s = Files.list(env.state.resolve("drill"))) {
            assertEquals(0, s.count(), "the scratch space is emptied");
        }

        // Damage in the crops' pack: every file drilled, the damaged one named, exit 3, recorded too.
        Path pack;
        try (Stream<Path> s = Files.walk(env.repo.resolve("data"))) {
            pack = s.filter(Files::isRegularFile).max(java.util.Comparator.comparingLong(p -> p.toFile().length()))
                    .orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
            f.seek(5000);
            int b = f.read();
            f.seek(5000);
            f.write(b ^ 0x40);
        }
        Cli.Result bad = env.cli("drill", "--files", "1000", "--no-db");
        assertEquals(3, bad.code(), bad.toString());
        assertTrue(bad.out().lines().anyMatch(l -> l.startsWith("problem: facedata/p")), bad.out());
        assertTrue(bad.out().contains("drill FAILED"), bad.out());
        assertTrue(bad.err().contains("drill found"), bad.err());
        List<JsonNode> recorded = drills(env);
        assertEquals(2, recorded.size());
        assertFalse(recorded.get(1).path("ok").asBoolean());
    }

    private List<String> drillSchemas() throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = server.connect(); ResultSet rs = c.createStatement().executeQuery(
                "SHOW DATABASES LIKE 'tidemark\\_drill\\_" + ProcessHandle.current().pid() + "%'")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static List<JsonNode> drills(Env env) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(env.repo.resolve("drills"))) {
            for (Path p : s.sorted().toList()) {
                out.add(Json.MAPPER.readTree(p.toFile()));
            }
        }
        return out;
    }
}
