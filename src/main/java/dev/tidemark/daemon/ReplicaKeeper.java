package dev.tidemark.daemon;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.repo.Lease;
import dev.tidemark.repo.ReplicaSync;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the config's replicas the same as the repository while the daemon runs, Litestream-style: every
 * {@link #INTERVAL} each replica is brought to what the repository held when the round began ({@link ReplicaSync},
 * under a reader's lease on the repository and the replica's own writer lock, held from the first round on). A replica
 * that cannot be reached is retried next round and shown in {@code status} with its lag; the repository goes on.
 * When the daemon stops, a last round copies what it wrote last.
 *
 * <p>Several hosts writing into one repository may all name the same replica: one daemon keeps it (it copies every
 * host's objects), the others find its lock and show the replica as {@code kept by another daemon}, without an
 * alert, and try for the lock each round, so one of them takes over when that daemon stops. A replica locked by
 * anything else (a replica of another repository, a {@code copy}) stays a failure.
 */
final class ReplicaKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaKeeper.class);
    static final Duration INTERVAL = Duration.ofSeconds(10);

    private final Config config;
    private final Repository repo;
    private final Clock clock;
    private final List<Kept> kept = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopping;

    /** One replica's store, lock and state; fields read by status() from any thread. */
    private static final class Kept {
        final Config.Replica replica;
        Store raw;
        WriterLock lock;
        volatile Instant syncedAt;
        volatile String lastError;
        /** Another daemon keeping this replica (its lock described), or null. */
        volatile String keptBy;
        volatile long objectsCopied;
        volatile long bytesCopied;

        Kept(Config.Replica replica) {
            this.replica = replica;
        }
    }

    private ReplicaKeeper(Config config, Repository repo, Clock clock) {
        this.config = config;
        this.repo = repo;
        this.clock = clock;
        for (Config.Replica r : config.replicas()) {
            kept.add(new Kept(r));
        }
        this.thread = new Thread(this::loop, "tidemark-replicas");
        this.thread.setDaemon(true);
    }

    /** Starts keeping the replicas; null when the config has none. */
    static ReplicaKeeper start(Config config, Repository repo, Clock clock) {
        if (config.replicas().isEmpty()) {
            return null;
        }
        ReplicaKeeper k = new ReplicaKeeper(config, repo, clock);
        k.thread.start();
        return k;
    }

    private void loop() {
        while (!stopping) {
            round(false);
            synchronized (this) {
                try {
                    // A little jitter: daemons of several hosts started together do not try for a shared
                    // replica's lock at the same instant round after round (both would be refused).
                    wait(INTERVAL.toMillis() + java.util.concurrent.ThreadLocalRandom.current().nextLong(1000));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** One sync of every replica; {@code last}: the daemon has stopped writing, this one runs to the end. */
    void round(boolean last) {
        Store primary = repo.rawStore();
        for (Kept k : kept) {
            if (stopping && !last) {
                return;
            }
            Instant began = clock.instant();
            try (Lease lease = Lease.reader(repo.store(), clock, "replica " + k.replica.name())) {
                if (k.raw == null) {
                    k.raw = config.openReplica(k.replica);
                }
                if (k.lock == null) {
                    try {
                        k.lock = WriterLock.acquire(repo.sealedLike(k.raw), clock, KEEPER + repo.location() + ")");
                    } catch (TidemarkException e) {
                        String keeper = e.exitCode() == ExitCode.LOCKED ? keptElsewhere(primary, k.raw) : null;
                        if (keeper == null) {
                            throw e;
                        }
                        if (!keeper.equals(k.keptBy)) {
                            LOG.info("replica {} is kept by {}; this daemon takes it over if that one stops",
                                    k.replica.name(), keeper);
                        }
                        k.keptBy = keeper;
                        k.lastError = null;
                        continue;
                    }
                    if (k.keptBy != null) {
                        LOG.info("replica {}: this daemon keeps it now", k.replica.name());
                    }
                    k.keptBy = null;
                }
                k.lock.check();
                ReplicaSync.Result r = ReplicaSync.sync(primary, k.raw);
                k.objectsCopied += r.copied();
                k.bytesCopied += r.bytesCopied();
                k.syncedAt = began;
                if (k.lastError != null) {
                    LOG.info("replica {} is in sync again", k.replica.name());
                }
                k.lastError = null;
                if (r.points() > 0) {
                    LOG.info("replica {}: {} new point(s), {} objects copied", k.replica.name(), r.points(),
                            r.copied());
                }
            } catch (IOException | RuntimeException e) {
                String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                if (!msg.equals(k.lastError)) {
                    LOG.warn("replica {} ({}) could not be brought up to date: {}; retrying every {} s",
                            k.replica.name(), k.replica.location(), msg, INTERVAL.toSeconds());
                }
                k.lastError = msg;
                closeQuietly(k);
            }
        }
    }

    private static final String KEEPER = "tidemark run (replica of ";

    /**
     * If {@code replica} holds this very repository and a live lock on it is another daemon's replica keeper: that
     * lock, described; else null (the replica is someone else's, or locked by something that is not keeping it).
     */
    private String keptElsewhere(Store primary, Store replica) throws IOException {
        byte[] theirs;
        try {
            theirs = replica.get(Repository.CONFIG_KEY);
        } catch (dev.tidemark.repo.store.ObjectNotFoundException e) {
            return null; // its first copy is under way: not yet recognisably ours
        }
        if (!java.util.Arrays.equals(primary.get(Repository.CONFIG_KEY), theirs)) {
            return null;
        }
        Instant now = clock.instant();
        for (Lease.Held h : Lease.list(repo.sealedLike(replica), WriterLock.PREFIX)) {
            if (h.info().command() != null && h.info().command().startsWith(KEEPER)
                    && Lease.staleReason(h.info(), now) == null) {
                return h.info().describe();
            }
        }
        return null;
    }

    private static void closeQuietly(Kept k) {
        try {
            if (k.lock != null) {
                k.lock.close();
            }
        } catch (IOException | RuntimeException e) {
            // a stale lock is taken over by the next round
        }
        k.lock = null;
        try {
            if (k.raw != null) {
                k.raw.close();
            }
        } catch (IOException | RuntimeException e) {
            // reopened next round
        }
        k.raw = null;
    }

    /** For status: each replica's state and lag. */
    List<Map<String, Object>> status() {
        List<Map<String, Object>> out = new ArrayList<>();
        Instant now = clock.instant();
        for (Kept k : kept) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", k.replica.name());
            m.put("location", k.replica.location().toString());
            Instant at = k.syncedAt;
            String keptBy = k.keptBy;
            m.put("state", k.lastError != null ? "failing" : keptBy != null ? "kept by another daemon"
                    : at == null ? "first copy" : "in sync");
            if (keptBy != null) {
                m.put("keptBy", keptBy);
            }
            m.put("syncedAt", at == null ? null : at.toString());
            m.put("lagSeconds", at == null ? null : Duration.between(at, now).toSeconds());
            m.put("objectsCopied", k.objectsCopied);
            m.put("bytesCopied", k.bytesCopied);
            if (k.lastError != null) {
                m.put("lastError", k.lastError);
            }
            out.add(m);
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        synchronized (this) {
            notifyAll();
        }
        thread.join(Duration.ofMinutes(2).toMillis());
        round(true); // what the daemon wrote last goes to the replicas too
        for (Kept k : kept) {
            closeQuietly(k);
        }
    }
}
