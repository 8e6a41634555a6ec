package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon seals the database into its points; a server that is down never stops the files replicating. */
class DaemonDatabaseTest {
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

    private Env env(String dbSection) throws Exception {
        Env env = new Env(tmp, "facedata");
        env.writeConfig(Running.fastConfig() + dbSection);
        env.ok("init");
        return env;
    }

    private String schema() throws Exception {
        String s = server.newSchema("dd");
        schemas.add(s);
        server.exec("CREATE TABLE `" + s + "`.faces (id INT AUTO_INCREMENT PRIMARY KEY, crop VARCHAR(200))");
        return s;
    }

    @Test
    void pointsTakenByTheDaemonHoldTheDatabase() throws Exception {
        String s = schema();
        Env env = env(server.configSection(List.of(s), REFS));
        try (Running r = new Running(env)) {
            RestorePoint first = r.daemon.pointNow(List.of("first")).get(60, TimeUnit.SECONDS);
            assertNotNull(first.database().dump(), "the catch-up or requested point has the database");
            Path crop = env.tree("facedata").resolve("p1/new.jpg");
            Files.createDirectories(crop.getParent());
            Files.writeString(crop, "crop");
            server.exec("INSERT INTO `" + s + "`.faces (crop) VALUES ('p1/new.jpg')");
            r.awaitReplicated("facedata", Duration.ofSeconds(30));
            RestorePoint p = r.daemon.pointNow(List.of("after")).get(60, TimeUnit.SECONDS);
            DatabaseSnapshot.References refs = p.database().references().get(0);
            assertEquals(1, refs.rows());
            assertEquals(0, refs.dangling());
            assertEquals(1, p.database().rows());
        }
    }

    /**
     * A point is sealed beside the worker: while its reference query takes seconds (SLEEP in the query), changes
     * keep becoming durable, and they are not in the point (its journal position was fixed when it was asked for).
     */
    @Test
    void changesKeepReplicatingWhileAPointIsSealed() throws Exception {
        String s = schema();
        server.exec("INSERT INTO `" + s + "`.faces (crop) VALUES ('p1/a.jpg')");
        Env env = env(server.configSection(List.of(s), ", \"referenceQueries\": [{\"name\": \"slow\", \"tree\": "
                + "\"facedata\", \"sql\": \"SELECT crop FROM faces WHERE SLEEP(3) = 0\"}]"));
        Files.createDirectories(env.tree("facedata").resolve("p1"));
        Files.writeString(env.tree("facedata").resolve("p1/a.jpg"), "a");
        try (Running r = new Running(env)) { // the catch-up point walks (and sleeps 3 s)
            var pending = r.daemon.pointNow(List.of("slow"));
            Thread.sleep(500); // the point is being sealed: its query sleeps
            Files.writeString(env.tree("facedata").resolve("during.txt"), "written while the point is sealed");
            long t0 = System.nanoTime();
            while (Running.stateAt(r.repo, "facedata", java.time.Instant.now()).get("during.txt") == null) {
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "not replicated");
                Thread.sleep(20);
            }
            assertTrue(!pending.isDone(), "the change became durable while the point was still being sealed");
            RestorePoint p = pending.get(60, TimeUnit.SECONDS);
            assertEquals(RestorePoint.JOURNAL, p.sealed());
            assertTrue(p.durationMillis() >= 3000, "the point includes its slow query: " + p.durationMillis());
            assertEquals(1, p.totals().files(), "the change after the point's position is not in it");
            assertEquals(0, p.database().dangling());
        }
    }

    @Test
    void aServerThatIsDownFailsTheDaemonsPointButFilesKeepReplicating() throws Exception {
        int closed;
        try (ServerSocket ss = new ServerSocket(0)) {
            closed = ss.getLocalPort();
        }
        String section = server.configSection(List.of("s01"), ", \"connectTimeout\": \"1s\"")
                .replace(server.url, "jdbc:mariadb://127.0.0.1:" + closed + "/");
        Env env = env(section);
        try (Running r = new Running(env)) {
            Files.writeString(env.tree("facedata").resolve("a.jpg"), "a");
            r.awaitReplicated("facedata", Duration.ofSeconds(30));
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> r.daemon.pointNow(List.of()).get(60, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("cannot be reached"), e.getCause().getMessage());
            Files.writeString(env.tree("facedata").resolve("b.jpg"), "b");
            r.awaitReplicated("facedata", Duration.ofSeconds(30));
        }
        env.writeConfig(Running.fastConfig() + section.replace("\"connectTimeout\"", "\"whenDown\": \"skip\", "
                + "\"connectTimeout\""));
        try (Running r = new Running(env)) {
            RestorePoint p = r.daemon.pointNow(List.of()).get(60, TimeUnit.SECONDS);
            assertTrue(p.database().skipped().contains("cannot be reached"), String.valueOf(p.database()));
            assertEquals(2, p.totals().files());
        }
    }
}
