package dev.tidemark.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** The photo app: crops and face rows, in the order QuMagie writes them. */
public final class PhotoApp implements Runnable {
    final Path crops;
    final Connection db;
    public final AtomicBoolean stop = new AtomicBoolean();
    public final AtomicLong created = new AtomicLong();
    public final AtomicLong deleted = new AtomicLong();
    public final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Random rnd = new Random(42);

    public PhotoApp(Path crops, Connection db) {
        this.crops = crops;
        this.db = db;
    }

    @Override
    public void run() {
        try (PreparedStatement ins = db.prepareStatement("INSERT INTO faces (person, crop) VALUES (?, ?)");
             PreparedStatement pick = db.prepareStatement("SELECT id, crop FROM faces ORDER BY RAND() LIMIT 1");
             PreparedStatement del = db.prepareStatement("DELETE FROM faces WHERE id = ?")) {
            long n = 0;
            while (!stop.get()) {
                if (rnd.nextInt(10) < 7) {
                    String rel = "p" + (n % 20) + "/face-" + n + ".jpg";
                    n++;
                    Path f = crops.resolve(rel);
                    Files.createDirectories(f.getParent());
                    byte[] jpeg = new byte[1000 + rnd.nextInt(4000)];
                    rnd.nextBytes(jpeg);
                    Files.write(f, jpeg); // 1. the file
                    ins.setInt(1, rnd.nextInt(50));
                    ins.setString(2, rel);
                    ins.executeUpdate(); // 2. the row that names it (autocommit)
                    created.incrementAndGet();
                } else {
                    long id;
                    String rel;
                    try (ResultSet rs = pick.executeQuery()) {
                        if (!rs.next()) {
                            continue;
                        }
                        id = rs.getLong(1);
                        rel = rs.getString(2);
                    }
                    del.setLong(1, id);
                    del.executeUpdate(); // 1. the row
                    Files.deleteIfExists(crops.resolve(rel)); // 2. then the file
                    deleted.incrementAndGet();
                }
            }
        } catch (Throwable t) {
            failure.set(t);
        }
    }

    /** The app's table in {@code schema}: faces naming their crops. */
    public static void createTable(MariaDb server, String schema) throws java.sql.SQLException {
        server.exec("CREATE TABLE `" + schema + "`.faces (id BIGINT AUTO_INCREMENT PRIMARY KEY, person INT, "
                + "crop VARCHAR(255) NOT NULL) ENGINE=InnoDB");
    }

    /** A library that exists already: {@code n} faces and their crops, in {@code dirs} directories under old/. */
    public static void library(Connection db, Path crops, int n, int dirs) throws java.io.IOException,
            java.sql.SQLException {
        try (PreparedStatement ins = db.prepareStatement("INSERT INTO faces (person, crop) VALUES (1, ?)")) {
            for (int i = 0; i < n; i++) {
                String rel = "old/" + (i % dirs) + "/face-" + i + ".jpg";
                Files.createDirectories(crops.resolve(rel).getParent());
                Files.write(crops.resolve(rel), new byte[] {(byte) i, 1, 2, 3});
                ins.setString(1, rel);
                ins.addBatch();
            }
            ins.executeBatch();
        }
    }

    /** Rows of {@code schema}'s faces whose crop is not a file under {@code files}: checked apart from tidemark. */
    public static long danglingRows(MariaDb server, String schema, Path files) throws java.sql.SQLException {
        long n = 0;
        try (Connection c = server.connect(); java.sql.Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT crop FROM `" + schema + "`.faces")) {
            while (rs.next()) {
                if (!Files.isRegularFile(files.resolve(rs.getString(1)))) {
                    n++;
                }
            }
        }
        return n;
    }
}
