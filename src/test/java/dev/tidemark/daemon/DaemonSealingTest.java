package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.PhotoApp;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mission with no help from the user: the photo app writes each crop before committing its row and deletes the
 * row before the crop, the daemon follows the tree, 50 points are asked of it, and the config declares no
 * {@code referenceQueries}. Every point must be sealed by the column tidemark found, and every restored point must
 * have a file for every row.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DaemonSealingTest {
    static final int POINTS = 50;

    @TempDir
    Path tmp;

    final MariaDb server = MariaDb.get();
    final List<String> schemas = new ArrayList<>();

    @AfterEach
    void down() {
        server.drop(schemas.toArray(String[]::new));
    }

    @Test
    void fiftyDaemonPointsWithNoReferencesDeclaredRestoreWithoutDanglingRows() throws Exception {
        String schema = server.newSchema("dseal");
        schemas.add(schema);
        PhotoApp.createTable(server, schema);
        Env env = new Env(tmp, "facedata");
        env.writeConfig(Running.fastConfig() + server.configSection(List.of(schema), ", \"dangling\": \"fail\""));
        env.ok("init");
        Path crops = env.tree("facedata");
        List<RestorePoint> points = new ArrayList<>();
        try (Connection appDb = server.connect()) {
            try (Statement s = appDb.createStatement()) {
                s.execute("USE `" + schema + "`");
            }
            PhotoApp.library(appDb, crops, 500, 20);
            PhotoApp app = new PhotoApp(crops, appDb);
            try (Running r = new Running(env)) {
                Thread t = new Thread(app, "photo-app");
                t.start();
                try {
                    while (points.size() < POINTS) {
                        Thread.sleep(30);
                        points.add(r.daemon.pointNow(List.of()).get(60, TimeUnit.SECONDS));
                    }
                } finally {
                    app.stop.set(true);
                    t.join();
                }
            }
            assertNull(app.failure.get(), () -> "the app failed: " + app.failure.get());
            assertTrue(app.created.get() > 300 && app.deleted.get() > 50,
                    "the app was busy: " + app.created + " created, " + app.deleted + " deleted");
        }
        long toppedUp = 0;
        long fromJournal = 0;
        for (RestorePoint p : points) {
            assertEquals(1, p.database().references().size(), p.id() + ": " + p.database().references());
            DatabaseSnapshot.References ref = p.database().references().get(0);
            assertEquals("faces.crop", ref.name(), "discovery finds the app's column");
            assertEquals(DatabaseSnapshot.References.DISCOVERED, ref.origin());
            assertEquals(0, ref.dangling(), p.id() + ": " + ref);
            toppedUp += ref.toppedUp();
            fromJournal += RestorePoint.JOURNAL.equals(p.sealed()) ? 1 : 0;
        }
        assertEquals(POINTS, fromJournal, "every point asked of the running daemon is sealed from the journal");
        for (int i = 0; i < points.size(); i++) {
            RestorePoint p = points.get(i);
            String into = schema + "_p" + i;
            schemas.add(into);
            Path to = tmp.resolve("restore-" + i);
            Cli.Result res = env.cli("restore", p.id(), "--db", "--db-into", into, "--to", to.toString(), "--no-sync");
            assertEquals(0, res.code(), res.toString());
            assertTrue(res.out().contains("0 without a file"), res.out());
            assertEquals(0, PhotoApp.danglingRows(server, into, to.resolve("facedata")), p.id());
            server.drop(into);
        }
        System.out.printf("daemon sealing, no references declared: %d points, %d files topped up, durations %s ms%n",
                points.size(), toppedUp, points.stream().mapToLong(RestorePoint::durationMillis).summaryStatistics());
    }
}
