package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.RestorePoint;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import dev.tidemark.testing.S3Server;
import dev.tidemark.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon into an S3 repository: its journal, its points with the database, and restores from both. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class S3DaemonTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    final MariaDb db = MariaDb.get();
    final List<String> schemas = new ArrayList<>();

    @AfterEach
    void down() {
        db.drop(schemas.toArray(String[]::new));
    }

    private long checksum(String schema) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("CHECKSUM TABLE `" + schema + "`.faces")) {
            rs.next();
            return rs.getLong(2);
        }
    }

    private static void snapshot(Path from, Path to) throws Exception {
        Process p = new ProcessBuilder("cp", "-a", from.toString(), to.toString()).start();
        assertEquals(0, p.waitFor());
    }

    private void crop(Env env, String schema, String name) throws Exception {
        Path f = env.tree("facedata").resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, "crop " + name + " " + System.nanoTime());
        db.exec("INSERT INTO `" + schema + "`.faces (crop) VALUES ('" + name + "')");
    }

    @Test
    void theDaemonReplicatesIntoS3AndPointsAndMomentsRestoreExactly() throws Exception {
        S3Server s3 = S3Server.shared();
        String bucket = s3.newBucket();
        String schema = db.newSchema("s3d");
        schemas.add(schema);
        db.exec("CREATE TABLE `" + schema + "`.faces (id INT AUTO_INCREMENT PRIMARY KEY, crop VARCHAR(200))");
        Env env = new Env(tmp, "facedata");
        env.repository = "s3://" + bucket + "/nas";
        env.writeConfig(Running.fastConfig() + "  \"s3\": {\"endpoint\": \"" + s3.endpoint + "\"},\n"
                + db.configSection(List.of(schema), ", \"referenceQueries\": [{\"name\": \"crops\", \"tree\": "
                + "\"facedata\", \"sql\": \"SELECT crop FROM faces\"}]"));
        env.ok("init");
        Trees.random(env.tree("facedata").resolve("old"), 41, 120);

        RestorePoint p1;
        long sum1;
        Instant moment;
        try (Running r = new Running(env)) {
            for (int i = 0; i < 20; i++) {
                crop(env, schema, "p/" + i + ".jpg");
            }
            r.awaitReplicated("facedata", WAIT);
            p1 = r.daemon.pointNow(List.of("p1")).get(60, TimeUnit.SECONDS);
            sum1 = checksum(schema);
            snapshot(env.tree("facedata"), tmp.resolve("at-p1"));
            assertEquals(0, p1.database().dangling(), "every crop a row names is in the point");

            for (int i = 20; i < 30; i++) {
                crop(env, schema, "p/" + i + ".jpg");
            }
            Files.delete(env.tree("facedata").resolve("p/3.jpg"));
            r.awaitReplicated("facedata", WAIT);
            Thread.sleep(1100); // the moment is a second of its own
            moment = Instant.now();
            snapshot(env.tree("facedata"), tmp.resolve("at-moment"));
            Thread.sleep(1100);
            Files.writeString(env.tree("facedata").resolve("p/after.jpg"), "after the moment");
            r.awaitReplicated("facedata", WAIT);
        }

        env.ok("restore", p1.id(), "--to", tmp.resolve("out-p1").toString(), "--db-into", schema + "_r",
                "--no-sync");
        schemas.add(schema + "_r");
        Trees.assertSame(tmp.resolve("at-p1"), tmp.resolve("out-p1/facedata"));
        assertEquals(sum1, checksum(schema + "_r"), "the point's database comes back from S3");

        env.ok("restore", "--at", moment.toString(), "--to", tmp.resolve("out-moment").toString(), "--no-sync");
        Trees.assertSame(tmp.resolve("at-moment"), tmp.resolve("out-moment/facedata"));
        assertTrue(env.ok("verify", "--read-data").out().contains("no damage"));
    }
}
