package dev.tidemark.daemon;

import dev.tidemark.binlog.BinlogFollower;
import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import java.time.Clock;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What runs beside the daemon's worker, each on threads of its own: the binlog archive, the replica keeper, the drill
 * schedule and the alert watch. Started once the journal and maintenance are open; closed after maintenance, in this
 * order: the binlog (its last segment is sealed), the alert watch, the drills (before the index is closed: a drill
 * reads through it), the replicas (the copy under way finishes).
 */
final class Companions implements AutoCloseable {
    /** Null without a database, or with binlog archiving off. */
    final BinlogFollower binlog;
    /** Null without replicas. */
    final ReplicaKeeper replicas;
    private final DrillSchedule drills;
    private volatile AlertWatch alerts;

    private Companions(BinlogFollower binlog, ReplicaKeeper replicas, DrillSchedule drills) {
        this.binlog = binlog;
        this.replicas = replicas;
        this.drills = drills;
    }

    static Companions start(Config config, Repository repo, WriterLock lock, Index index, Clock clock) {
        BinlogFollower binlog = BinlogArchiving.start(config, repo, lock, clock);
        ReplicaKeeper replicas = ReplicaKeeper.start(config, repo, clock);
        return new Companions(binlog, replicas, DrillSchedule.start(config, repo, index, clock));
    }

    /** Starts the alert watch on the daemon's status: once the others are there, since the status reports them. */
    void watchAlerts(Config config, Supplier<Map<String, Object>> status, Clock clock) {
        alerts = AlertWatch.start(config, status, clock);
    }

    /** The alerts raised now; null without alerts configured. */
    Object raisedAlerts() {
        AlertWatch a = alerts;
        return a == null ? null : a.raised();
    }

    @Override
    public void close() {
        if (binlog != null) {
            binlog.close();
        }
        AlertWatch a = alerts;
        if (a != null) {
            a.close();
        }
        if (drills != null) {
            drills.close();
        }
        if (replicas != null) {
            try {
                replicas.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
