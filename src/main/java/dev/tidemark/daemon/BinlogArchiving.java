package dev.tidemark.daemon;

import dev.tidemark.binlog.BinlogFollower;
import dev.tidemark.binlog.Position;
import dev.tidemark.config.Config;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/** The daemon's part in archiving the binlog: whether to, from where, and what {@code status} shows of it. */
final class BinlogArchiving {
    private BinlogArchiving() {
    }

    /** Starts following the server's binlog if the config has a database and does not turn it off; else null. */
    static BinlogFollower start(Config config, Repository repo, WriterLock lock, Clock clock) {
        DatabaseConfig db = config.database();
        if (db == null || db.binlog() == DatabaseConfig.Binlog.OFF) {
            return null;
        }
        BinlogFollower f = new BinlogFollower(db, repo, lock, clock, config.state().resolve("binlog-spool"),
                () -> latestPointPosition(repo));
        f.start();
        return f;
    }

    /** The binlog coordinates of the latest point that has them: where an empty archive starts. */
    static Position latestPointPosition(Repository repo) {
        try {
            Position best = null;
            for (RestorePoint p : new PointStore(repo).ofHost()) {
                DatabaseSnapshot d = p.database();
                if (d != null && d.binlogFile() != null && d.binlogPosition() != null
                        && Position.isFileName(d.binlogFile())) {
                    best = new Position(d.binlogFile(), d.binlogPosition());
                }
            }
            return best;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void status(Config config, BinlogFollower f, Map<String, Object> s) {
        if (config.database() == null) {
            return;
        }
        if (f == null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("state", "off");
            m.put("why", "database.binlog is \"off\": the database can be restored only to a point");
            s.put("binlog", m);
            return;
        }
        Map<String, Object> m = f.status();
        Object state = m.get("state");
        if ("retrying".equals(state) || "stopped".equals(state)) {
            s.put("healthy", false);
        }
        s.put("binlog", m);
    }
}
