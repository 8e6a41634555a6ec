package dev.tidemark.daemon;

import dev.tidemark.alert.Alerter;
import dev.tidemark.config.Config;
import dev.tidemark.util.Sizes;
import dev.tidemark.util.Threads;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's side of alerts: every {@code alerts.check} it reads its own status and raises what is wrong: a tree
 * in alarm ({@code alarm:TREE}), files that cannot be read ({@code unreadable:TREE}), a failed scheduled point
 * ({@code point-failed}), no point for longer than {@code alerts.missedAfter} ({@code point-missed}), a replica
 * that cannot be written ({@code replica:NAME}). After each new point, while nothing is raised, it pings the
 * healthcheck URL. Its own thread: a slow webhook never holds up the worker.
 */
final class AlertWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertWatch.class);

    private final Alerter alerter;
    private final Supplier<Map<String, Object>> status;
    private final Clock clock;
    private final Duration missedAfter;
    private final ScheduledExecutorService timer;
    private String lastPoint;

    private AlertWatch(Config config, Supplier<Map<String, Object>> status, Clock clock) {
        Config.Alerts a = config.alerts();
        this.alerter = new Alerter(a, config.state(), clock);
        this.status = status;
        this.clock = clock;
        this.missedAfter = a.missedAfter() != null ? a.missedAfter() : config.run().pointInterval().multipliedBy(2);
        this.timer = Executors.newSingleThreadScheduledExecutor(Threads.daemon("tidemark-alerts", false));
        timer.scheduleWithFixedDelay(this::check, a.check().toMillis(), a.check().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts watching if the config has alerts; else null. */
    static AlertWatch start(Config config, Supplier<Map<String, Object>> status, Clock clock) {
        return config.alerts() == null ? null : new AlertWatch(config, status, clock);
    }

    /** Whether a condition is the daemon's to raise and clear (verify's and drills' are theirs). */
    static boolean daemonCondition(String c) {
        return !c.equals("verify-damage") && !c.startsWith("drill");
    }

    private void check() {
        try {
            Map<String, Object> s = status.get();
            Map<String, String> now = conditions(s, clock.instant(), missedAfter);
            alerter.reconcile(now, AlertWatch::daemonCondition);
            Object point = s.get("lastPoint");
            if (point != null && !point.equals(lastPoint)) {
                if (lastPoint != null && now.isEmpty()) {
                    alerter.heartbeat();
                }
                lastPoint = point.toString();
            }
        } catch (RuntimeException e) {
            LOG.warn("alerts: check failed: {}", e.toString());
        }
    }

    /** What is wrong, by the daemon's status: condition → one-line message. */
    @SuppressWarnings("unchecked")
    static Map<String, String> conditions(Map<String, Object> s, Instant now, Duration missedAfter) {
        Map<String, String> c = new TreeMap<>();
        for (Map<String, Object> t : (List<Map<String, Object>>) s.getOrDefault("trees", List.of())) {
            if (t.get("alarm") != null) {
                c.put("alarm:" + t.get("name"), "tree " + t.get("name") + ": " + t.get("alarm"));
            }
            if (t.get("unreadableCount") instanceof Number n && n.longValue() > 0) {
                c.put("unreadable:" + t.get("name"), "tree " + t.get("name") + ": " + n + " paths cannot be read "
                        + "and are not backed up, such as " + t.get("unreadable"));
            }
        }
        if (s.get("lastPointError") != null) {
            c.put("point-failed", "the last scheduled restore point failed: " + s.get("lastPointError"));
        }
        Object last = s.get("lastPointTime");
        if (last != null && Instant.parse(last.toString()).plus(missedAfter).isBefore(now)) {
            c.put("point-missed", "no restore point since " + last + " (" + Sizes.duration(Duration.between(
                    Instant.parse(last.toString()), now)) + "; alerts.missedAfter is " + Sizes.duration(missedAfter)
                    + ")");
        }
        for (Map<String, Object> r : (List<Map<String, Object>>) s.getOrDefault("replicas", List.of())) {
            if ("failing".equals(r.get("state"))) {
                c.put("replica:" + r.get("name"), "replica " + r.get("name") + " (" + r.get("location")
                        + ") cannot be brought up to date: " + r.get("lastError"));
            }
        }
        return c;
    }

    /** What is raised now, for status. */
    Map<String, String> raised() {
        return alerter.raised();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        Threads.awaitTermination(timer, "the alert check");
    }
}
