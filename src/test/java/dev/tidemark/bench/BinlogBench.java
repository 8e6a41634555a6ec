package dev.tidemark.bench;

import dev.tidemark.binlog.BinlogArchive;
import dev.tidemark.binlog.Event;
import dev.tidemark.binlog.Piece;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedInputStream;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.MariaDb;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The binlog scenario of {@code bench/run}, on a MariaDB server of its own (binlog on, ROW) and {@code bin/tidemark}:
 *
 * <ol>
 *   <li>RPO: {@code tidemark run} follows the binlog while a writer makes 100 row changes a second (inserts,
 *       updates, deletes, each its own transaction); a watcher lists the repository every 10 ms and reads each new
 *       piece: for every transaction, the time from its commit returning to the writer until a piece holding it is
 *       in the repository.</li>
 *   <li>An hour of binlog at that rate (360,000 transactions; a tenth with --quick), written as fast as the server
 *       takes them: the repository bytes it costs, beside the server's binlog bytes.</li>
 *   <li>Replay: {@code tidemark restore --at END --db-only --db-into} (the base point's dump, then the archived
 *       binlog) beside the base point's dump restored the same way plus {@code mariadb-binlog | mariadb} over the
 *       server's own files from the point's coordinates; the replay part of each, and the tables' checksums, which
 *       must agree.</li>
 * </ol>
 * usage: BinlogBench WORK TIDEMARK SECONDS HOUR_TRANSACTIONS; prints one JSON object.
 */
public final class BinlogBench {
    private BinlogBench() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        String tidemark = args[1];
        int seconds = Integer.parseInt(args[2]);
        int hour = Integer.parseInt(args[3]);
        Files.createDirectories(work);
        MariaDb server = MariaDb.dedicated("--binlog-format=ROW");
        try {
            System.out.println(Json.MAPPER.writeValueAsString(run(server, work, tidemark, seconds, hour)));
        } finally {
            server.close();
        }
    }

    private static Map<String, Object> run(MariaDb server, Path work, String tidemark, int seconds, int hour)
            throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        server.exec("CREATE DATABASE bl", "CREATE TABLE bl.faces (id BIGINT AUTO_INCREMENT PRIMARY KEY, person INT NOT "
                + "NULL, crop VARCHAR(255) NOT NULL, note VARCHAR(64)) ENGINE=InnoDB");
        try (Connection c = server.connect(); PreparedStatement ins = c.prepareStatement(
                "INSERT INTO bl.faces (person, crop) VALUES (?, ?)")) {
            c.setAutoCommit(false);
            for (int i = 0; i < 20_000; i++) {
                ins.setInt(1, i % 50);
                ins.setString(2, "old/" + (i % 100) + "/face-" + i + ".jpg");
                ins.addBatch();
                if (i % 1000 == 999) {
                    ins.executeBatch();
                }
            }
            c.commit();
        }
        Path tree = work.resolve("tree");
        Files.createDirectories(tree);
        Files.writeString(tree.resolve("README"), "the binlog scenario's one-file tree\n");
        Path pw = work.resolve("db.pass");
        Files.writeString(pw, server.password + "\n");
        Path config = work.resolve("tidemark.json");
        Files.writeString(config, "{\n  \"repository\": \"" + work.resolve("repo") + "\",\n  \"state\": \""
                + work.resolve("state") + "\",\n  \"points\": {\"interval\": \"24h\"},\n  \"database\": {\"url\": \""
                + server.url + "\", \"user\": \"" + server.user + "\", \"passwordFile\": \"" + pw
                + "\", \"tls\": \"off\", \"schemas\": [\"bl\"]},\n  \"trees\": [{\"name\": \"t\", \"path\": \"" + tree
                + "\"}]\n}\n");
        cli(tidemark, config, "init");
        cli(tidemark, config, "point");
        dev.tidemark.point.RestorePoint basePoint = new dev.tidemark.point.PointStore(Repository.open(
                new LocalDirStore(work.resolve("repo")))).latest();
        String base = basePoint.id();
        Process daemon = new ProcessBuilder(tidemark, "run", "--config", config.toString(), "--no-progress")
                .redirectErrorStream(true).redirectOutput(work.resolve("daemon.log").toFile()).start();
        try {
            awaitFollowing(tidemark, config);
            Repository repo = Repository.open(new LocalDirStore(work.resolve("repo")));

            // 1. RPO at 100 row changes a second.
            Map<String, Long> committed = new ConcurrentHashMap<>();
            Map<String, Long> durable = new ConcurrentHashMap<>();
            Thread watcher = watch(repo, work.resolve("repo"), durable);
            long t0 = System.nanoTime();
            int changes = 0;
            try (Connection c = server.connect(); Statement st = c.createStatement()) {
                Random rnd = new Random(1);
                long next = System.nanoTime();
                while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(seconds)) {
                    next += 10_000_000L;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    change(st, rnd, changes++);
                    long done = System.nanoTime();
                    try (ResultSet rs = st.executeQuery("SELECT @@last_gtid")) {
                        rs.next();
                        committed.put(rs.getString(1), done);
                    }
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!durable.keySet().containsAll(committed.keySet()) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            watcher.interrupt();
            watcher.join();
            List<Double> rpo = new ArrayList<>();
            int missing = 0;
            for (Map.Entry<String, Long> e : committed.entrySet()) {
                Long d = durable.get(e.getKey());
                if (d == null) {
                    missing++;
                } else {
                    rpo.add(Math.max(0, d - e.getValue()) / 1e6);
                }
            }
            Collections.sort(rpo);
            out.put("rpo_transactions", committed.size());
            out.put("rpo_not_seen_in_10s", missing);
            out.put("rpo_p50_ms", percentile(rpo, 0.50));
            out.put("rpo_p99_ms", percentile(rpo, 0.99));
            out.put("rpo_max_ms", rpo.isEmpty() ? null : rpo.get(rpo.size() - 1));

            // 2. An hour's transactions at that rate, as fast as the server takes them.
            dev.tidemark.binlog.Position start = masterStatus(server);
            long h0 = System.nanoTime();
            try (Connection c = server.connect(); Statement st = c.createStatement()) {
                Random rnd = new Random(2);
                for (int i = 0; i < hour; i++) {
                    change(st, rnd, changes++);
                }
            }
            out.put("hour_transactions", hour);
            out.put("hour_write_seconds", (System.nanoTime() - h0) / 1e9);
            Thread.sleep(1100); // the next second: END is after every transaction of the hour
            Instant end = Instant.now().minusMillis(500);
            dev.tidemark.binlog.Position stop = masterStatus(server);
            String endFile = stop.file();
            long endPos = stop.offset();
            awaitArchived(tidemark, config, endFile, endPos);
            out.put("server_binlog_bytes_hour", serverBytes(server, start.file(), start.offset(), endFile, endPos));
            BinlogArchive archive = BinlogArchive.load(repo);
            long stored = 0;
            for (String f : archive.files()) {
                for (Piece p : archive.pieces(f)) {
                    stored += repo.store().size(p.key()).orElse(0);
                }
            }
            out.put("archive_raw_bytes", archive.bytes());
            out.put("archive_stored_bytes", stored);
            out.put("archive_objects", repo.store().list(Piece.PREFIX).size());

            // 3. Replay: tidemark beside mariadb-binlog | mariadb on the server's own files.
            daemon.destroy();
            daemon.waitFor(60, TimeUnit.SECONDS);
            long r0 = System.nanoTime();
            String restoreOut = cli(tidemark, config, "restore", "--at", end.toString(), "--db-only", "--db-into",
                    "bl_tidemark");
            double tidemarkTotal = (System.nanoTime() - r0) / 1e9;
            Matcher m = Pattern.compile("replayed the binlog .*: ([0-9,]+) transactions.*").matcher(restoreOut);
            out.put("tidemark_replayed_transactions", m.find() ? Long.parseLong(m.group(1).replace(",", "")) : -1);
            long b0 = System.nanoTime();
            cli(tidemark, config, "restore", base, "--db-only", "--db-into", "bl_anchor");
            double baseLoad = (System.nanoTime() - b0) / 1e9;
            DatabaseSnapshotCoords coords = new DatabaseSnapshotCoords(basePoint.database().binlogFile(),
                    basePoint.database().binlogPosition());
            long a0 = System.nanoTime();
            anchorReplay(server, coords, endFile, endPos);
            double anchorReplay = (System.nanoTime() - a0) / 1e9;
            out.put("tidemark_restore_at_seconds", tidemarkTotal);
            out.put("base_load_seconds", baseLoad);
            out.put("tidemark_replay_seconds", tidemarkTotal - baseLoad);
            out.put("anchor_replay_seconds", anchorReplay);
            out.put("checksum_source", checksum(server, "bl"));
            out.put("checksum_tidemark", checksum(server, "bl_tidemark"));
            out.put("checksum_anchor", checksum(server, "bl_anchor"));
        } finally {
            daemon.destroyForcibly();
        }
        return out;
    }

    private static dev.tidemark.binlog.Position masterStatus(MariaDb server) throws Exception {
        try (Connection c = server.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW MASTER STATUS")) {
            rs.next();
            return new dev.tidemark.binlog.Position(rs.getString(1), rs.getLong(2));
        }
    }

    private static void change(Statement st, Random rnd, int i) throws Exception {
        int k = rnd.nextInt(10);
        if (k < 5) {
            st.executeUpdate("INSERT INTO bl.faces (person, crop) VALUES (" + rnd.nextInt(50) + ", 'new/face-" + i
                    + ".jpg')");
        } else if (k < 8) {
            st.executeUpdate("UPDATE bl.faces SET person = person + 1, note = 'n" + i + "' WHERE id = "
                    + (1 + rnd.nextInt(20_000)));
        } else {
            st.executeUpdate("DELETE FROM bl.faces WHERE id = " + (1 + rnd.nextInt(20_000)));
        }
    }

    private static Double percentile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return null;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    /** Lists the repository's binlog pieces every 10 ms and notes when each transaction's GTID first appears. */
    private static Thread watch(Repository repo, Path root, Map<String, Long> durable) {
        Set<String> seen = new HashSet<>();
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long now = System.nanoTime();
                Path space = root.resolve(repo.space().prefix()); // this host's own objects (format 5)
                try (Stream<Path> s = Files.walk(space.resolve("binlog"))) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        String key = space.relativize(p).toString();
                        Piece piece = Piece.parse(key);
                        if (piece == null || piece.length() == 0 || !seen.add(key)) {
                            continue;
                        }
                        try (InputStream in = new SegmentedInputStream(repo.store().open(key), repo.hasher(),
                                piece.contentKey(), key)) {
                            for (Event e = Event.read(in, key); e != null; e = Event.read(in, key)) {
                                if (e.type() == Event.GTID) {
                                    durable.putIfAbsent(e.gtid(), now);
                                }
                            }
                        } catch (IOException gone) {
                            seen.remove(key); // merged away meanwhile, or still being renamed: look again
                        }
                    }
                } catch (IOException | java.io.UncheckedIOException e) {
                    // the directory is being written: the next listing sees it
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rpo-watcher");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static String cli(String tidemark, Path config, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tidemark));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--config", config.toString()));
        Path err = Files.createTempFile("tidemark-bench-", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0 && !args[0].equals("status")) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out + Files.readString(err));
            }
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static void awaitFollowing(String tidemark, Path config) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            String s = cli(tidemark, config, "status", "--json");
            if (!s.isBlank() && "following".equals(Json.MAPPER.readTree(s).path("binlog").path("state").asText())) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the daemon did not follow the binlog within 2 minutes");
    }

    private static void awaitArchived(String tidemark, Path config, String file, long pos) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        dev.tidemark.binlog.Position want = new dev.tidemark.binlog.Position(file, pos);
        while (System.nanoTime() < deadline) {
            String to = Json.MAPPER.readTree(cli(tidemark, config, "status", "--json")).path("binlog")
                    .path("archivedTo").asText("");
            int colon = to.lastIndexOf(':');
            if (colon > 0 && new dev.tidemark.binlog.Position(to.substring(0, colon),
                    Long.parseLong(to.substring(colon + 1))).compareTo(want) >= 0) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the daemon did not archive the binlog to " + want + " within 10 minutes");
    }

    private static long serverBytes(MariaDb server, String startFile, long startPos, String endFile, long endPos)
            throws Exception {
        long total = 0;
        try (Connection c = server.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW BINARY LOGS")) {
            while (rs.next()) {
                String f = rs.getString(1);
                long size = rs.getLong(2);
                int a = dev.tidemark.binlog.Position.compareFiles(f, startFile);
                int b = dev.tidemark.binlog.Position.compareFiles(f, endFile);
                if (a < 0 || b > 0) {
                    continue;
                }
                long from = a == 0 ? startPos : 4;
                long to = b == 0 ? endPos : size;
                total += to - from;
            }
        }
        return total;
    }

    record DatabaseSnapshotCoords(String file, long position) {
    }

    /** mariadb-binlog over the server's own files from the point's coordinates to END, into the mariadb client. */
    private static void anchorReplay(MariaDb server, DatabaseSnapshotCoords from, String endFile, long endPos)
            throws Exception {
        String host = server.url.replaceAll("jdbc:mariadb://([^:/]+):(\\d+)/.*", "$1");
        String port = server.url.replaceAll("jdbc:mariadb://([^:/]+):(\\d+)/.*", "$2");
        List<String> files = new ArrayList<>();
        try (Connection c = server.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW BINARY LOGS")) {
            while (rs.next()) {
                String f = rs.getString(1);
                if (dev.tidemark.binlog.Position.compareFiles(f, from.file()) >= 0
                        && dev.tidemark.binlog.Position.compareFiles(f, endFile) <= 0) {
                    files.add(f);
                }
            }
        }
        // The server's own files, read locally, as a by-hand point-in-time recovery would.
        StringBuilder cmd = new StringBuilder("mariadb-binlog --no-defaults --start-position=" + from.position()
                + " --stop-position=" + endPos + " --rewrite-db='bl->bl_anchor'");
        for (String f : files) {
            cmd.append(' ').append(server.binlogDir().resolve(f));
        }
        cmd.append(" | mariadb --no-defaults --host=").append(host).append(" --port=").append(port)
                .append(" --user=").append(server.user).append(" --binary-mode");
        Process p = new ProcessBuilder("bash", "-o", "pipefail", "-c", cmd.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the anchor replay failed: " + out);
        }
    }

    private static long checksum(MariaDb server, String schema) throws Exception {
        try (Connection c = server.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("CHECKSUM TABLE `" + schema + "`.faces")) {
            rs.next();
            return rs.getLong(2);
        }
    }
}
