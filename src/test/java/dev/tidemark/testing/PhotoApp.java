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
}
