package dev.tidemark.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import dev.tidemark.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the columns that name files, on a real server and real files. */
class ReferenceDiscoveryTest {
    @TempDir
    Path tmp;

    final MariaDb server = MariaDb.get();
    final List<String> schemas = new ArrayList<>();

    @AfterEach
    void down() {
        server.drop(schemas.toArray(String[]::new));
    }

    /**
     * A photo app's schema: crops named relative to the tree and absolutely, and columns that only look like paths:
     * names, URLs, bare file names, and a column where 1 value in 10 happens to name a file.
     */
    private String photoApp(Env env) throws Exception {
        String schema = server.newSchema("disc");
        schemas.add(schema);
        Path tree = env.tree("facedata");
        server.exec("CREATE TABLE `" + schema + "`.faces (id INT PRIMARY KEY, name VARCHAR(64), crop VARCHAR(255), "
                        + "abs_crop TEXT, url VARCHAR(255), bare VARCHAR(64), partial VARCHAR(255), note CHAR(1))",
                "CREATE TABLE `" + schema + "`.albums (id INT PRIMARY KEY, cover VARCHAR(255))",
                "CREATE VIEW `" + schema + "`.v AS SELECT crop FROM `" + schema + "`.faces");
        try (Connection c = server.connect();
             PreparedStatement ins = c.prepareStatement("INSERT INTO `" + schema + "`.faces VALUES (?,?,?,?,?,?,?,?)")) {
            for (int i = 0; i < 300; i++) {
                String rel = "p" + (i % 7) + "/face-" + i + ".jpg";
                Files.createDirectories(tree.resolve(rel).getParent());
                Files.write(tree.resolve(rel), new byte[] {(byte) i});
                ins.setInt(1, i);
                ins.setString(2, "Person " + (i % 7));
                ins.setString(3, i % 50 == 0 ? "" : rel); // some crops not made yet
                ins.setString(4, tree.resolve(rel).toString());
                ins.setString(5, "https://photos.example/" + rel);
                ins.setString(6, "face-" + i + ".jpg");
                ins.setString(7, i % 10 == 0 ? rel : "p" + (i % 7) + "/missing-" + i + ".jpg");
                ins.setString(8, "x");
                ins.addBatch();
            }
            ins.executeBatch();
        }
        return schema;
    }

    @Test
    void findsThePathColumnsAndNotTheOnesThatOnlyLookLikePaths() throws Exception {
        Env env = new Env(tmp, "facedata");
        String schema = photoApp(env);
        env.writeConfig(server.configSection(List.of(schema), ""));
        ReferenceDiscovery.Found f = ReferenceDiscovery.discover(env.config().database(),
                Map.of("facedata", env.tree("facedata")), Clock.systemUTC());
        Set<String> found = new TreeSet<>();
        for (ReferenceDiscovery.Column c : f.references()) {
            found.add(c.name() + "->" + c.tree());
            assertEquals(schema, c.schema());
        }
        assertEquals(Set.of("faces.abs_crop->facedata", "faces.crop->facedata"), found);
        ReferenceDiscovery.Column crop = f.references().stream().filter(c -> c.column().equals("crop")).findFirst()
                .orElseThrow();
        assertEquals(294, crop.values(), "empty strings are not values");
        assertEquals(294, crop.hits());
        Set<String> near = new TreeSet<>();
        f.nearMisses().forEach(c -> near.add(c.name()));
        assertTrue(near.contains("faces.partial"), "a column where 10 % name files is a near miss: " + near);
        assertEquals(8, f.candidates(), "string columns of base tables (the view is not one)");
    }

    @Test
    void aPointWithoutDeclaredReferencesUsesTheDiscoveredOnesAndKeepsThemUntilTheSchemaChanges() throws Exception {
        Env env = new Env(tmp, "facedata");
        String schema = photoApp(env);
        env.writeConfig(server.configSection(List.of(schema), ""));
        env.ok("init");
        env.ok("point");
        Path cache = env.state.resolve("references.json");
        assertTrue(Files.isRegularFile(cache), "the finding is kept in the state directory");
        String first = Json.MAPPER.readTree(cache.toFile()).path("found").path("at").asText();
        RestorePoint p1 = latest(env);
        List<String> used = new ArrayList<>();
        for (DatabaseSnapshot.References r : p1.database().references()) {
            assertEquals(DatabaseSnapshot.References.DISCOVERED, r.origin());
            assertEquals(0, r.dangling(), r.toString());
            used.add(r.name());
        }
        assertEquals(List.of("faces.crop", "faces.abs_crop"), used);

        env.ok("point");
        assertEquals(first, Json.MAPPER.readTree(cache.toFile()).path("found").path("at").asText(),
                "an unchanged schema is not looked at again");
        server.exec("ALTER TABLE `" + schema + "`.albums ADD COLUMN thumb VARCHAR(255)");
        env.ok("point");
        assertNotEquals(first, Json.MAPPER.readTree(cache.toFile()).path("found").path("at").asText(),
                "a changed schema is looked at again");

        // A restore checks the restored rows by the point's discovered references.
        String into = schema + "_r";
        schemas.add(into);
        Cli.Result r = env.cli("restore", "latest", "--db", "--db-into", into, "--to", tmp.resolve("out").toString(),
                "--no-sync");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("references faces.crop: 294 paths in the restored database, 0 without a file"),
                r.out());
    }

    @Test
    void dbReferencesPrintsASnippetThatDeclaresThem() throws Exception {
        Env env = new Env(tmp, "facedata");
        String schema = photoApp(env);
        env.writeConfig(server.configSection(List.of(schema), ""));
        env.ok("init");
        Cli.Result r = env.ok("db", "references");
        assertTrue(r.out().contains(schema + ".faces.crop -> tree facedata: 294 of 294 values name a file (100.0%, "
                + "certain)"), r.out());
        assertTrue(r.out().contains("faces.partial"), "near misses are shown: " + r.out());
        String snippet = r.out().substring(r.out().indexOf("\"referenceQueries\""), r.out().indexOf("  ]") + 3);
        env.writeConfig(server.configSection(List.of(schema), ", " + snippet));
        env.ok("point");
        RestorePoint p = latest(env);
        assertEquals(2, p.database().references().size());
        for (DatabaseSnapshot.References ref : p.database().references()) {
            assertEquals(DatabaseSnapshot.References.DECLARED, ref.origin());
            assertEquals(0, ref.dangling());
        }
        JsonNode json = Json.MAPPER.readTree(env.ok("db", "references", "--json").out());
        assertEquals(2, json.path("references").size());
        assertFalse(json.path("fingerprint").asText().isEmpty());
    }

    private static RestorePoint latest(Env env) throws Exception {
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            PointStore points = new PointStore(Repository.open(store));
            List<String> ids = points.ids();
            return points.load(ids.get(ids.size() - 1));
        }
    }
}
