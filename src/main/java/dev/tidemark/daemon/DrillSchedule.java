package dev.tidemark.daemon;

import dev.tidemark.check.Drill;
import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.BlobReader;
import dev.tidemark.repo.Lease;
import dev.tidemark.repo.Repository;
import dev.tidemark.util.Sizes;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's restore drills ({@code drills.every}): the newest point drilled on its own thread, reading through
 * the daemon's index (read only) under a reader's lease, so a prune meanwhile waits for it. Due when the newest
 * drill in the repository (by anyone) is older than {@code every}; checked every minute, or every {@code every}
 * if that is shorter. A failed drill raises {@code drill-failed}, a passing one clears it.
 */
final class DrillSchedule implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DrillSchedule.class);

    private final Config config;
    private final Repository repo;
    private final Index index;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private Instant last;

    private DrillSchedule(Config config, Repository repo, Index index, Clock clock) {
        this.config = config;
        this.repo = repo;
        this.index = index;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(Threads.daemon("tidemark-drill", false));
        long period = Math.min(config.drills().every().toMillis(), Duration.ofMinutes(1).toMillis());
        timer.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    /** Starts the schedule if the config asks for drills; else null. */
    static DrillSchedule start(Config config, Repository repo, Index index, Clock clock) {
        return config.drills() == null ? null : new DrillSchedule(config, repo, index, clock);
    }

    private void check() {
        try {
            if (last == null) {
                Drill.Result newest = Drill.latest(repo);
                last = newest == null ? Instant.EPOCH : newest.at();
            }
            if (last.plus(config.drills().every()).isAfter(clock.instant())) {
                return;
            }
            RestorePoint p = new PointStore(repo).latest();
            if (p == null) {
                return;
            }
            Drill.Result r;
            try (Lease lease = Lease.reader(repo.store(), clock, "tidemark run (drill)");
                 BlobReader contents = new BlobReader(repo, index.readOnlyLocator())) {
                r = new Drill(repo, contents, config, clock).run(p, config.drills().files(),
                        config.state().resolve("drill"), config.drills().database(), new Random());
            }
            Drill.record(repo, r);
            last = r.at();
            if (r.ok()) {
                LOG.info("drill of point {} passed: {} files read back in {}; a whole restore would take about {}",
                        r.point(), r.files(), Sizes.duration(Duration.ofMillis((long) (r.filesSeconds() * 1000))),
                        Sizes.duration(Duration.ofMillis((long) (r.expectedRestoreSeconds() * 1000))));
            } else {
                LOG.error("drill of point {} FAILED: {} problems, the first: {}", r.point(), r.problems().size(),
                        r.problems().get(0));
            }
            Drill.alert(config, r, clock);
        } catch (IOException | RuntimeException e) {
            LOG.warn("drill: {} (tried again at the next check)", e.getMessage() == null ? e.toString()
                    : e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        Threads.awaitTermination(timer, "the drill");
    }
}
