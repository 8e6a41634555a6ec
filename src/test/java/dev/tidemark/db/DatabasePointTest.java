package dev.tidemark.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Points with a database through the CLI: dangling references, a server that is down, hooks, damage, secrets. */
class DatabasePointTest {
    @TempDir
    Path tmp;

    final MariaDb server = MariaDb.get();
    final List<String> schemas = new ArrayList<>();

    @AfterEach
    void down() {
        server.drop(schemas.toArray(String[]::new));
    }

    private static final String REFS = ", \"referenceQueries\": [{\"name\": \"crops\", \"tree\": \"facedata\", "
            + "\"sql\": \"SELECT crop FROM faces\"}]";

    /** A schema with faces naming crops in the facedata tree; every crop exists. */
    private Env photoApp(String extraDb, String extraTop) throws Exception {
        String schema = server.newSchema("pt");
        schemas.add(schema);
        Env env = new Env(tmp.resolve("env"), "facedata");
        server.exec("USE `" + schema + "`",
                "CREATE TABLE faces (id INT AUTO_INCREMENT PRIMARY KEY, crop VARCHAR(200) NOT NULL)",
                "INSERT INTO faces (crop) VALUES ('p1/a.jpg'), ('p1/b.jpg'), ('p2/c.jpg')");
        for (String f : List.of("p1/a.jpg", "p1/b.jpg", "p2/c.jpg")) {
            Path p = env.tree("facedata").resolve(f);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "jpeg of " + f);
        }
        env.writeConfig(server.configSection(List.of(schema), REFS + extraDb) + extraTop);
        env.ok("init");
        return env;
    }

    private String schemaOf(Env env) {
        return env.config().database().schemas().get(0);
    }

    private long count(String sql) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private int points(Env env) throws IOException {
        Path dir = env.repo.resolve("points");
        try (Stream<Path> s = Files.list(dir)) {
            return (int) s.count();
        }
    }

    @Test
    void aRowWithoutItsFileIsFlaggedOrFailsThePointAsConfigured() throws Exception {
        Env env = photoApp("", "");
        server.exec("INSERT INTO `" + schemaOf(env) + "`.faces (crop) VALUES ('p9/never-written.jpg')");
        Cli.Result flagged = env.cli("point");
        assertEquals(5, flagged.code(), flagged.toString());
        assertTrue(flagged.err().contains("1 of 4 paths from reference query 'crops'"), flagged.err());
        assertTrue(flagged.err().contains("p9/never-written.jpg"), flagged.err());
        assertTrue(env.ok("points").out().contains("DANGLING"));
        assertTrue(env.ok("show", "latest").out().contains("references crops (tree facedata): 4 paths, 1 dangling"));

        env.writeConfig(server.configSection(List.of(schemaOf(env)), REFS + ", \"dangling\": \"fail\""));
        Cli.Result failed = env.cli("point");
        assertEquals(1, failed.code(), failed.toString());
        assertTrue(failed.err().contains("restore point not committed"), failed.err());
        assertEquals(1, points(env), "no second point");
    }

    @Test
    void aServerThatIsDownFailsThePointOrIsSkippedAsConfigured() throws Exception {
        Env env = photoApp("", "");
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String down = server.configSection(List.of(schemaOf(env)), REFS + ", \"connectTimeout\": \"2s\"")
                .replace(server.url, "jdbc:mariadb://127.0.0.1:" + closed + "/");
        env.writeConfig(down);
        Cli.Result r = env.cli("point");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("cannot be reached") && r.err().contains("No restore point was taken"), r.err());
        assertFalse(Files.exists(env.repo.resolve("points")) && points(env) > 0, "no point");

        env.writeConfig(down.replace("\"connectTimeout\"", "\"whenDown\": \"skip\", \"connectTimeout\""));
        Cli.Result skipped = env.cli("point");
        assertEquals(5, skipped.code(), skipped.toString());
        assertTrue(skipped.out().contains("database         not in this point"), skipped.out());
        assertTrue(env.ok("points").out().contains("SKIPPED"));
        Cli.Result restore = env.cli("restore", "latest", "--db-only", "--db-into", "never_made");
        assertEquals(1, restore.code());
        assertTrue(restore.err().contains("was taken without the database"), restore.err());
    }

    @Test
    void fullRestoreRunsHooksAroundFilesAndDatabaseInOrderAndRefusesALiveSchemaWithoutForce() throws Exception {
        Path log = tmp.resolve("hooks.log");
        Env probe = null;
        String hooks = "  \"hooks\": {\"preRestore\": {\"command\": [\"/bin/sh\", \"-c\", \"echo pre $TIDEMARK_POINT "
                + "$(ls TREE/p1 | wc -l) >> " + log + "\"], \"timeout\": \"10s\"}, \"postRestore\": {\"command\": "
                + "[\"/bin/sh\", \"-c\", \"echo post $(ls TREE/p1 | wc -l) >> " + log + "\"]}},\n";
        Env env = photoApp("", hooks.replace("TREE", tmp.resolve("env/src/facedata").toString()));
        String schema = schemaOf(env);
        String id = env.ok("point").out().lines().findFirst().orElseThrow().split(" ")[2];
        // The disaster: a crop lost, a stray file, rows changed.
        Path tree = env.tree("facedata");
        Files.delete(tree.resolve("p1/a.jpg"));
        Files.writeString(tree.resolve("p1/stray.jpg"), "stray");
        server.exec("DELETE FROM `" + schema + "`.faces WHERE id = 1", "INSERT INTO `" + schema
                + "`.faces (crop) VALUES ('p3/junk.jpg')");

        Cli.Result plan = env.cli("restore", "latest", "--db", "--dry-run");
        assertEquals(0, plan.code(), plan.toString());
        assertTrue(plan.out().contains("hooks.preRestore: would run /bin/sh -c"), plan.out());
        assertTrue(plan.out().contains("would load schema " + schema), plan.out());
        assertTrue(plan.out().contains("database: would refuse"), plan.out());
        assertTrue(plan.out().contains("hooks.postRestore: would run"), plan.out());
        assertFalse(Files.exists(log), "a dry run runs no hook");
        assertTrue(Files.exists(tree.resolve("p1/stray.jpg")), "a dry run changes nothing");

        Cli.Result refused = env.cli("restore", "latest", "--db");
        assertEquals(1, refused.code(), refused.toString());
        assertTrue(refused.err().contains("exists and is not empty") && refused.err().contains("--force"));
        assertFalse(Files.exists(log), "refused before the first hook");
        assertTrue(Files.exists(tree.resolve("p1/stray.jpg")), "refused before any file changed");

        Cli.Result r = env.cli("restore", "latest", "--db", "--force", "--no-sync");
        assertEquals(0, r.code(), r.toString());
        // pre ran before the files came back (stray there, a.jpg missing: 2 entries), post after (a, b: 2 entries)
        assertEquals(List.of("pre " + id + " 2", "post 2"), Files.readAllLines(log));
        assertFalse(Files.exists(tree.resolve("p1/stray.jpg")), "mirror removed the stray file");
        assertTrue(Files.exists(tree.resolve("p1/a.jpg")));
        assertEquals(3, count("SELECT COUNT(*) FROM `" + schema + "`.faces"));
        assertEquals(0, count("SELECT COUNT(*) FROM `" + schema + "`.faces WHERE crop = 'p3/junk.jpg'"));
        assertTrue(r.out().contains("references crops: 3 paths in the restored database, 0 without a file"), r.out());

        // A failing pre-restore hook stops everything before the first change.
        Files.writeString(tree.resolve("p1/stray.jpg"), "stray again");
        env.writeConfig(server.configSection(List.of(schema), REFS) + "  \"hooks\": {\"preRestore\": "
                + "{\"command\": [\"/bin/sh\", \"-c\", \"sleep 5\"], \"timeout\": \"1s\"}},\n");
        Cli.Result timedOut = env.cli("restore", "latest", "--db", "--force");
        assertEquals(1, timedOut.code(), timedOut.toString());
        assertTrue(timedOut.err().contains("did not finish in 1 s and was killed"), timedOut.err());
        assertTrue(Files.exists(tree.resolve("p1/stray.jpg")), "nothing restored after the hook failed");
        assertNull(probe);
    }

    @Test
    void aDamagedDumpIsFoundByVerifyAndNeverReachesTheServer() throws Exception {
        Env env = photoApp("", "");
        env.ok("point");
        // The dump is content in a pack: damage the middle of its blob there.
        Path pack;
        long at;
        String dumpRef;
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository repo = Repository.open(store);
            dumpRef = new PointStore(repo).all().get(0).database().dump();
            // A dump is cut into 4 KiB chunks: damage one in the middle (its rows).
            List<dev.tidemark.hash.ContentKey> chunks = dev.tidemark.testing.TestContents.leaves(repo, dumpRef);
            assertTrue(chunks.size() > 2, "the dump is in chunks: " + chunks);
            dev.tidemark.hash.ContentKey key = chunks.get(chunks.size() / 2);
            dev.tidemark.repo.BlobLocation loc = null;
            for (String id : repo.packIds()) {
                for (dev.tidemark.repo.BlobLocation b : repo.readTrailer(id)) {
                    if (b.key().equals(key)) {
                        loc = b;
                    }
                }
            }
            assertTrue(loc != null && !loc.list(), "a chunk of the dump: " + loc);
            pack = env.repo.resolve(dev.tidemark.repo.PackFormat.keyOf(loc.packId()));
            at = loc.offset() + loc.storedLength() / 2;
        }
        assertEquals(0, env.cli("verify", "--read-data").code());
        try (var ch = Files.newByteChannel(pack, StandardOpenOption.WRITE)) {
            ch.position(at);
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x55, 0x66, 0x77}));
        }
        Cli.Result v = env.cli("verify", "--read-data");
        assertEquals(3, v.code(), v.toString());
        assertTrue(v.out().contains("database dump " + dumpRef), v.out());
        String into = schemaOf(env) + "_x";
        schemas.add(into);
        Cli.Result r = env.cli("restore", "latest", "--db-only", "--db-into", into);
        assertEquals(3, r.code(), r.toString());
        assertEquals(0, count("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" + into + "'"),
                "the server was not touched");
    }

    @Test
    void thePasswordIsNeverWrittenAnywhere() throws Exception {
        Env env = photoApp("", "");
        String schema = schemaOf(env);
        String user = "tm_u" + ProcessHandle.current().pid();
        String secret = "S3cret-" + System.nanoTime();
        server.exec("CREATE USER IF NOT EXISTS '" + user + "'@'%' IDENTIFIED BY '" + secret + "'",
                "GRANT ALL PRIVILEGES ON *.* TO '" + user + "'@'%'");
        try {
            Path pw = tmp.resolve("db.pass");
            Files.writeString(pw, secret + "\n");
            String section = server.configSection(List.of(schema), REFS).replace("\"user\": \"" + server.user + "\"",
                    "\"user\": \"" + user + "\"").replaceAll("\"passwordFile\": \"[^\"]*\"", "\"passwordFile\": \""
                    + pw + "\"");
            env.writeConfig(section);
            Cli.Result p = env.ok("point", "--verbose");
            Path sql = tmp.resolve("out.sql");
            env.ok("db", "export", "latest", "-o", sql.toString());
            List<Path> written = new ArrayList<>(List.of(sql));
            for (Path root : List.of(env.repo, env.state)) {
                try (Stream<Path> s = Files.walk(root)) {
                    s.filter(Files::isRegularFile).forEach(written::add);
                }
            }
            byte[] needle = secret.getBytes();
            for (Path f : written) {
                if (f.toString().contains("index")) {
                    continue; // RocksDB files: compressed, and only paths and keys go in
                }
                assertFalse(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1)
                        .contains(secret), "the password is in " + f);
            }
            assertFalse(p.out().contains(secret) || p.err().contains(secret));
            assertTrue(needle.length > 0);
        } finally {
            server.exec("DROP USER IF EXISTS '" + user + "'@'%'");
        }
    }

    @Test
    void pruneDeletesTheDumpsOfForgottenPointsOnlyAndKeptPointsStillLoad() throws Exception {
        Env env = photoApp("", "");
        String schema = schemaOf(env);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            if (i != 2) { // points 2 and 3 see the same rows: their dumps may be one object, which must stay
                server.exec("INSERT INTO `" + schema + "`.faces (crop) VALUES ('p1/a.jpg')");
            }
            ids.add(env.ok("point").out().lines().findFirst().orElseThrow().split(" ")[2]);
        }
        java.util.Set<String> forgotten = new java.util.HashSet<>();
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            PointStore ps = new PointStore(Repository.open(store));
            for (int i = 0; i < 2; i++) {
                forgotten.add(ps.load(ids.get(i)).database().dump());
            }
        }
        assertTrue(env.ok("forget", "--keep-last", "2").out().contains("2 restore points kept, 2 forgotten"));
        Cli.Result p = env.ok("prune", "--max-unused", "0%");
        assertTrue(p.out().contains("pruned:"), p.out());

        java.util.Set<String> named = new java.util.HashSet<>();
        java.util.Set<String> stored = new java.util.HashSet<>();
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository repo = Repository.open(store);
            for (RestorePoint rp : new PointStore(repo).all()) {
                named.add(rp.database().dump());
            }
            for (String id : repo.packIds()) {
                for (dev.tidemark.repo.BlobLocation b : repo.readTrailer(id)) {
                    stored.add(b.key().hex());
                }
            }
        }
        assertTrue(stored.containsAll(named), "the dumps of the kept points remain");
        forgotten.removeAll(named);
        assertEquals(2, forgotten.size());
        forgotten.retainAll(stored);
        assertEquals(java.util.Set.of(), forgotten, "the dumps of the forgotten points are gone");
        for (int i = 2; i < 4; i++) {
            String into = schema + "_k" + i;
            schemas.add(into);
            env.ok("restore", ids.get(i), "--db-only", "--db-into", into);
            assertEquals(5 + (i == 3 ? 1 : 0), count("SELECT COUNT(*) FROM `" + into + "`.faces"), "point " + i);
        }
        assertEquals(0, env.cli("verify", "--read-data").code());
        Cli.Result gone = env.cli("restore", ids.get(0), "--db-only", "--db-into", schema + "_gone");
        assertEquals(1, gone.code(), gone.toString());
        assertTrue(gone.err().contains("no restore point " + ids.get(0)) && gone.err().contains("forgotten"),
                gone.err());
    }
}
