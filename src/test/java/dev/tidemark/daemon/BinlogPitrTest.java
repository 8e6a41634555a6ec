package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.binlog.BinlogArchive;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Point-in-time restores of the database through the archived binlog, on a server of the test's own (binlog on, ROW):
 * an app writes crops and rows for a while (inserts, updates, deletes, a transaction held open for seconds, an ALTER
 * TABLE, a rotation, a server restart), a control connection records each table's checksum at 20 moments, and a
 * restore to each moment gives the same checksums and no row naming a missing file.
 */
class BinlogPitrTest {
    /** How long the app writes; {@code -Dtidemark.test.pitrSeconds=N} to change it. */
    static final int SECONDS = Integer.getInteger("tidemark.test.pitrSeconds", 120);
    static final int MOMENTS = 20;

    @TempDir
    Path tmp;

    MariaDb server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static final String REFS = ", \"referenceQueries\": [{\"name\": \"crops\", \"tree\": \"facedata\", "
            + "\"sql\": \"SELECT crop FROM faces\"}]";

    private Env start(String schema) throws Exception {
        return start(schema, REFS);
    }

    private Env start(String schema, String refs) throws Exception {
        return start(schema, refs, "--binlog-format=ROW");
    }

    private Env start(String schema, String refs, String... serverOptions) throws Exception {
        server = MariaDb.dedicated(serverOptions);
        server.exec("CREATE DATABASE `" + schema + "`", "CREATE TABLE `" + schema + "`.faces (id BIGINT AUTO_INCREMENT "
                + "PRIMARY KEY, person INT NOT NULL, crop VARCHAR(255) NOT NULL) ENGINE=InnoDB");
        Env env = new Env(tmp, "facedata");
        env.writeConfig(Running.fastConfig() + server.configSection(List.of(schema), refs));
        env.ok("init");
        return env;
    }

    private Connection connect(String schema) throws SQLException {
        return DriverManager.getConnection(server.url + schema + "?sslMode=disable", server.user, server.password);
    }

    static byte[] cropBytes(String rel) {
        Random r = new Random(rel.hashCode());
        byte[] b = new byte[500 + r.nextInt(3000)];
        r.nextBytes(b);
        return b;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> binlogStatus(Running r) throws Exception {
        return (Map<String, Object>) r.daemon.submit(() -> r.daemon.status()).get(30, TimeUnit.SECONDS).get("binlog");
    }

    private static void awaitFollowing(Running r) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!"following".equals(binlogStatus(r).get("state"))) {
            assertTrue(System.nanoTime() < deadline, "the binlog is not followed: " + binlogStatus(r));
            Thread.sleep(100);
        }
    }

    private static long checksum(Connection c, String schema) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("CHECKSUM TABLE `" + schema + "`.faces")) {
            rs.next();
            return rs.getLong(2);
        }
    }

    private static void sleepUntil(long epochMillis) throws InterruptedException {
        long d = epochMillis - System.currentTimeMillis();
        if (d > 0) {
            Thread.sleep(d);
        }
    }

    /** The app: crops and rows, file before row and row before file, through a server that restarts. */
    final class App implements Runnable {
        final String schema;
        final Path crops;
        final ReentrantLock pause = new ReentrantLock(true);
        volatile boolean stop;
        volatile boolean altered;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Random rnd = new Random(7);
        long n;
        long ops;

        App(String schema, Path crops) {
            this.schema = schema;
            this.crops = crops;
        }

        @Override
        public void run() {
            Connection c = null;
            try {
                while (!stop) {
                    pause.lock();
                    try {
                        if (c == null || !c.isValid(2)) {
                            c = connect(schema);
                        }
                        step(c);
                        ops++;
                    } catch (SQLException e) {
                        c = null; // the server restarted: the next step reconnects
                    } finally {
                        pause.unlock();
                    }
                    Thread.sleep(15);
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (SQLException e) {
                    // closing
                }
            }
        }

        void step(Connection c) throws Exception {
            int k = rnd.nextInt(100);
            if (k < 55) {
                String rel = "p" + (n % 10) + "/face-" + n + ".jpg";
                n++;
                Path f = crops.resolve(rel);
                Files.createDirectories(f.getParent());
                Files.write(f, cropBytes(rel)); // 1. the file
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO faces (person, crop) VALUES (?, ?)")) {
                    ins.setInt(1, rnd.nextInt(50));
                    ins.setString(2, rel);
                    ins.executeUpdate(); // 2. the row that names it
                }
            } else if (k < 75) {
                long id;
                String rel;
                try (Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT id, crop FROM faces ORDER BY RAND() LIMIT 1")) {
                    if (!rs.next()) {
                        return;
                    }
                    id = rs.getLong(1);
                    rel = rs.getString(2);
                }
                try (PreparedStatement del = c.prepareStatement("DELETE FROM faces WHERE id = ?")) {
                    del.setLong(1, id);
                    del.executeUpdate(); // 1. the row
                }
                Files.deleteIfExists(crops.resolve(rel)); // 2. then the file
            } else {
                // By key, as an app does: a scanning UPDATE would wait on the open transaction's rows.
                String set = altered ? "person = person + 1, note = CONCAT('n', id % 7)" : "person = person + 1";
                try (Statement st = c.createStatement()) {
                    long id;
                    try (ResultSet rs = st.executeQuery("SELECT id FROM faces ORDER BY RAND() LIMIT 1")) {
                        if (!rs.next()) {
                            return;
                        }
                        id = rs.getLong(1);
                    }
                    st.executeUpdate("UPDATE faces SET " + set + " WHERE id = " + id);
                }
            }
        }
    }

    record Moment(Instant time, long checksum) {
    }

    /**
     * A moment, taken while the app is paused: nothing commits from here until the next second has begun, so every
     * transaction up to it has a commit time at or before it and every later one after it (the binlog's resolution).
     */
    private static Moment moment(Connection control, String schema) throws Exception {
        long s = (System.currentTimeMillis() / 1000 + 1) * 1000;
        sleepUntil(s + 50);
        Moment m = new Moment(Instant.ofEpochMilli(s), checksum(control, schema));
        sleepUntil(s + 1050);
        return m;
    }

    @Test
    void everyMomentRestoresToTheSecond() throws Exception {
        String schema = "pitr";
        Env env = start(schema);
        Path crops = env.tree("facedata");
        List<Moment> moments = new ArrayList<>();
        List<String> restored = new ArrayList<>();
        Connection control = connect(schema);
        try (Running r = new Running(env)) {
            awaitFollowing(r);
            App app = new App(schema, crops);
            Thread t = new Thread(app, "pitr-app");
            t.start();
            long begin = System.currentTimeMillis();
            long step = SECONDS * 1000L / MOMENTS;
            boolean longDone = false;
            boolean alterDone = false;
            boolean rotated = false;
            boolean restarted = false;
            Thread longTx = null;
            long lastMoment = begin;
            for (int i = 0; i < MOMENTS; i++) {
                // On schedule, but never closer than a step to the moment before: a moment taken after a point asked
                // of the daemon comes late (the point first waits up to 2 s for the watchers to go quiet, and this
                // app never stops writing), and the next one must not then come early.
                sleepUntil(Math.max(begin + (i + 1) * step, lastMoment + step));
                double f = (i + 1.0) / MOMENTS;
                if (!longDone && f >= 0.2) {
                    longDone = true;
                    longTx = new Thread(() -> {
                        try (Connection c = connect(schema); Statement st = c.createStatement()) {
                            c.setAutoCommit(false);
                            for (int k = 0; k < 2; k++) {
                                String rel = "long/tx-" + k + ".jpg";
                                Files.createDirectories(crops.resolve("long"));
                                Files.write(crops.resolve(rel), cropBytes(rel));
                                st.executeUpdate("INSERT INTO faces (person, crop) VALUES (99, '" + rel + "')");
                                Thread.sleep(2500); // the transaction stays open across a moment
                            }
                            app.pause.lock();
                            try {
                                c.commit();
                            } finally {
                                app.pause.unlock();
                            }
                        } catch (Exception e) {
                            app.failure.compareAndSet(null, e);
                        }
                    }, "pitr-long-transaction");
                    longTx.start();
                }
                app.pause.lock();
                try {
                    if (!alterDone && f >= 0.35) {
                        alterDone = true;
                        try (Statement st = control.createStatement()) {
                            st.execute("USE `" + schema + "`");
                            st.execute("ALTER TABLE faces ADD COLUMN note VARCHAR(20)");
                        }
                        app.altered = true;
                    }
                    if (!rotated && f >= 0.5) {
                        rotated = true;
                        server.exec("FLUSH BINARY LOGS");
                    }
                    if (f == 0.3 || f == 0.8) {
                        app.pause.unlock();
                        try {
                            r.daemon.pointNow(List.of("m" + i)).get(120, TimeUnit.SECONDS);
                        } finally {
                            app.pause.lock();
                        }
                    }
                    Moment m = moment(control, schema);
                    moments.add(m);
                    lastMoment = m.time().toEpochMilli();
                } finally {
                    app.pause.unlock();
                }
                if (!restarted && f >= 0.7) {
                    restarted = true;
                    app.pause.lock();
                    try {
                        server.restart(); // a clean stop and start: a new binlog file, the follower reconnects
                    } finally {
                        app.pause.unlock();
                    }
                    control.close();
                    control = connect(schema);
                }
            }
            Thread.sleep(1500); // transactions after the last moment, so the archive reaches past it
            app.stop = true;
            t.join(30_000);
            if (longTx != null) {
                longTx.join(30_000);
            }
            if (app.failure.get() != null) {
                throw new AssertionError("the app failed", app.failure.get());
            }
            assertTrue(app.ops > SECONDS * 10L, "the app did too little: " + app.ops + " operations");
            Instant last = moments.get(moments.size() - 1).time();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Instant.parse(String.valueOf(binlogStatus(r).getOrDefault("archivedAt", Instant.EPOCH.toString())))
                    .isBefore(last.plusSeconds(2))) {
                assertTrue(System.nanoTime() < deadline, "the binlog was not archived past the last moment: "
                        + binlogStatus(r));
                Thread.sleep(100);
            }
            r.awaitReplicated("facedata", Duration.ofSeconds(30));
            BinlogArchive archive = BinlogArchive.load(r.repo);
            assertTrue(archive.files().size() >= 3, "rotation and restart give three binlog files at least: "
                    + archive.files());
            assertEquals(null, archive.firstBreak(new dev.tidemark.binlog.Position(archive.files().get(0), 4)),
                    "the archive is continuous across the rotation and the restart");

            int replayed = 0;
            long distinct = moments.stream().mapToLong(Moment::checksum).distinct().count();
            assertEquals(MOMENTS, distinct, "the app changed the table between every two moments: " + moments);
            for (int i = 1; i < moments.size(); i++) {
                long gap = moments.get(i).time().getEpochSecond() - moments.get(i - 1).time().getEpochSecond();
                assertTrue(gap >= step / 1000 - 2, "moments on schedule (" + step / 1000 + " s apart): " + moments);
            }
            for (int i = 0; i < moments.size(); i++) {
                Moment m = moments.get(i);
                String into = "pitr_r" + i;
                restored.add(into);
                Path to = tmp.resolve("r" + i);
                Cli.Result res = env.cli("restore", "--at", m.time().toString(), "--db-into", into, "--to",
                        to.toString());
                assertEquals(0, res.code(), "restore --at " + m.time() + ":\n" + res);
                java.util.regex.Matcher tx = java.util.regex.Pattern.compile("replayed the binlog from \\S+ to \\S+: "
                        + "([0-9,]+) transactions").matcher(res.out());
                assertTrue(tx.find(), res.out());
                long n = Long.parseLong(tx.group(1).replace(",", ""));
                replayed += n > 0 ? 1 : 0;
                System.out.printf("moment %d at %s: %d transactions replayed%s%n", i, m.time(), n,
                        res.out().contains("added") ? "; " + res.out().lines().filter(l -> l.contains("added"))
                                .findFirst().orElse("") : "");
                try (Connection c = connect(into)) {
                    assertEquals(m.checksum(), checksum(c, into), "moment " + i + " at " + m.time() + ":\n" + res);
                    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT crop FROM faces")) {
                        while (rs.next()) {
                            String rel = rs.getString(1);
                            Path f = to.resolve("facedata").resolve(rel);
                            assertTrue(Files.isRegularFile(f), "moment " + i + ": row names " + rel + ", not restored");
                            assertArrayEquals(cropBytes(rel), Files.readAllBytes(f), rel);
                        }
                    }
                }
            }
            assertTrue(replayed >= MOMENTS - 3, "most moments lie between points: " + replayed + " replayed");
        } finally {
            control.close();
            if (server != null) {
                for (String s : restored) {
                    server.exec("DROP DATABASE IF EXISTS `" + s + "`");
                }
            }
        }
    }

    /** A binlog the server purged before the daemon archived it: a gap, shown, and never a silently wrong database. */
    @Test
    void aPurgedBinlogIsAGapNeverAWrongDatabase() throws Exception {
        String schema = "gap";
        Env env = start(schema);
        Instant inGap;
        for (String f : List.of("a.jpg", "b.jpg", "c.jpg", "d.jpg")) {
            Files.writeString(env.tree("facedata").resolve(f), f);
        }
        try (Running r = new Running(env)) {
            awaitFollowing(r);
            server.exec("INSERT INTO `" + schema + "`.faces (person, crop) VALUES (1, 'a.jpg')");
            r.daemon.pointNow(List.of("before")).get(60, TimeUnit.SECONDS);
        }
        // The daemon is stopped: rows are written, and the server purges the files that hold them.
        server.exec("INSERT INTO `" + schema + "`.faces (person, crop) VALUES (2, 'b.jpg')");
        Thread.sleep(1100);
        inGap = Instant.now();
        Thread.sleep(1100);
        server.exec("INSERT INTO `" + schema + "`.faces (person, crop) VALUES (3, 'c.jpg')", "FLUSH BINARY LOGS",
                "FLUSH BINARY LOGS");
        String newest;
        try (Connection c = connect(schema); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW MASTER STATUS")) {
            rs.next();
            newest = rs.getString(1);
        }
        // The stopped follower's dump thread may linger a moment on the server, and a file in use is not purged.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            server.exec("PURGE BINARY LOGS TO '" + newest + "'");
            try (Connection c = connect(schema); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SHOW BINARY LOGS")) {
                rs.next();
                if (rs.getString(1).equals(newest)) {
                    break;
                }
            }
            assertTrue(System.nanoTime() < deadline, "the server did not purge its older binlog files");
            Thread.sleep(200);
        }
        try (Running r = new Running(env)) {
            awaitFollowing(r);
            assertEquals(1L, ((Number) binlogStatus(r).get("gapsRecorded")).longValue(), binlogStatus(r).toString());
            server.exec("INSERT INTO `" + schema + "`.faces (person, crop) VALUES (4, 'd.jpg')");
            Thread.sleep(1500);
        }
        Cli.Result res = env.cli("restore", "--at", inGap.toString(), "--db-only", "--db-into", "gap_r");
        assertNotEquals(0, res.code(), res.toString());
        assertTrue(res.err().contains("cannot be restored") && res.err().contains("purged"), res.toString());
        try (Connection c = connect(schema); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = "
                     + "'gap_r'")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "nothing was loaded");
        }
        assertTrue(new String(Files.readAllBytes(env.configFile), StandardCharsets.UTF_8).contains(schema));
    }

    /** What the daemon reported durable survives SIGKILL: a restore to that moment gives that database. */
    @Test
    void theArchivedBinlogSurvivesSigkill() throws Exception {
        String schema = "killed";
        Env env = start(schema, "");
        DaemonProcessTest.Proc d = DaemonProcessTest.start(env);
        try (Connection control = connect(schema)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!statusJson(env).path("binlog").path("state").asText().equals("following")) {
                assertTrue(System.nanoTime() < deadline, "not following:\n" + d.output());
                Thread.sleep(200);
            }
            App app = new App(schema, env.tree("facedata"));
            Thread t = new Thread(app, "killed-app");
            t.start();
            Thread.sleep(4000);
            long s;
            long sum;
            app.pause.lock();
            try {
                s = (System.currentTimeMillis() / 1000 + 1) * 1000;
                sleepUntil(s + 50);
                sum = checksum(control, schema);
                dev.tidemark.binlog.Position end;
                try (Statement st = control.createStatement(); ResultSet rs = st.executeQuery("SHOW MASTER STATUS")) {
                    rs.next();
                    end = new dev.tidemark.binlog.Position(rs.getString(1), rs.getLong(2));
                }
                // Reported durable: the daemon's status names a position at or past the server's.
                while (true) {
                    String to = statusJson(env).path("binlog").path("archivedTo").asText("");
                    int colon = to.lastIndexOf(':');
                    if (colon > 0 && new dev.tidemark.binlog.Position(to.substring(0, colon),
                            Long.parseLong(to.substring(colon + 1))).compareTo(end) >= 0) {
                        break;
                    }
                    assertTrue(System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(30), "not archived: " + to);
                    Thread.sleep(50);
                }
                sleepUntil(s + 1050);
            } finally {
                app.pause.unlock();
            }
            Thread.sleep(300);
            d.process().destroyForcibly(); // SIGKILL, the app still writing
            d.process().waitFor(30, TimeUnit.SECONDS);
            app.stop = true;
            t.join(30_000);
            assertEquals(null, app.failure.get());
            env.ok("verify", "--read-data");
            Cli.Result plan = env.ok("restore", "--at", Instant.ofEpochMilli(s).toString(), "--db-only", "--db-into",
                    "killed_r", "--dry-run");
            assertTrue(plan.out().contains("would load schema killed of point ")
                    && plan.out().contains("would then replay the binlog from "), plan.out());
            // Files too: the rows' files as of that moment (a --db-only restore would check the rows against the
            // files as they are now, which the app has changed since).
            long seqBefore = gtidSequence(control);
            Cli.Result res = env.cli("restore", "--at", Instant.ofEpochMilli(s).toString(), "--db-into", "killed_r",
                    "--to", tmp.resolve("killed-files").toString());
            assertEquals(0, res.code(), res.toString());
            // Replayed into the same server, the transactions are numbered as its own: its GTID state moves on.
            assertTrue(gtidSequence(control) > seqBefore, "GTID " + seqBefore + " -> " + gtidSequence(control));
            try (Connection c = connect("killed_r")) {
                assertEquals(sum, checksum(c, "killed_r"), res.toString());
            }
            // Retention: a point in a later binlog file, the older points forgotten and pruned: the binlog no
            // remaining point can start a replay from goes with them.
            server.exec("FLUSH BINARY LOGS");
            env.ok("point");
            Repository repo = Repository.open(new LocalDirStore(env.repo));
            List<String> before = BinlogArchive.load(repo).files();
            assertTrue(!before.isEmpty(), "the archive holds the killed daemon's binlog");
            env.ok("forget", "--keep-last", "1", "--prune");
            assertEquals(List.of(), BinlogArchive.load(repo).files(), "before the kept point's file: " + before);
            env.ok("verify", "--read-data");
        } finally {
            d.process().destroyForcibly();
        }
    }

    /** No binary log: points go on, and status, points and restore --at say what is missing and how to fix it. */
    @Test
    void aServerWithoutABinlogKeepsItsPointsAndSaysHowToTurnItOn() throws Exception {
        String schema = "nobin";
        Env env = start(schema, "", "--skip-log-bin");
        try (Running r = new Running(env)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"unavailable".equals(binlogStatus(r).get("state"))) {
                assertTrue(System.nanoTime() < deadline, binlogStatus(r).toString());
                Thread.sleep(100);
            }
            assertTrue(String.valueOf(binlogStatus(r).get("why")).contains("log_bin"), binlogStatus(r).toString());
            server.exec("INSERT INTO `" + schema + "`.faces (person, crop) VALUES (1, 'a.jpg')");
            assertTrue(r.daemon.pointNow(List.of("p")).get(60, TimeUnit.SECONDS).database().dump() != null);
            assertEquals(Boolean.TRUE, r.daemon.submit(() -> r.daemon.status()).get(30, TimeUnit.SECONDS)
                    .get("healthy"), "no binlog is a choice of the server's, not an alarm");
        }
        assertTrue(env.ok("points").out().contains("database: restorable to the points only: the server wrote no "
                + "binary log"), env.ok("points").out());
        Cli.Result res = env.cli("restore", "--at", Instant.now().toString(), "--db-only", "--db-into", "nobin_r");
        assertEquals(1, res.code(), res.toString());
        assertTrue(res.err().contains("no binary log"), res.toString());
    }

    private static long gtidSequence(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@gtid_binlog_pos")) {
            rs.next();
            String pos = rs.getString(1);
            return Long.parseLong(pos.substring(pos.lastIndexOf('-') + 1));
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode statusJson(Env env) throws Exception {
        Cli.Result r = env.cli("status", "--json");
        return dev.tidemark.util.Json.MAPPER.readTree(r.out().isBlank() ? "{}" : r.out());
    }
}
