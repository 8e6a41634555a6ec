package dev.tidemark.daemon;

import dev.tidemark.binlog.BinlogFollower;
import dev.tidemark.config.Config;
import dev.tidemark.point.RestorePoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What the daemon has done, for {@code tidemark status} and its summary lines. Counters are written by the worker. */
final class DaemonStatus {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Daemon.class);
    private static final int LATENCY_SAMPLES = 4096;
    private static final java.time.Duration SUMMARY = java.time.Duration.ofMinutes(1);
    private long summaryChanges;
    private long nextSummary;

    final AtomicLong changesJournaled = new AtomicLong();
    final AtomicLong filesCopied = new AtomicLong();
    final AtomicLong bytesStored = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    private final long[] latencies = new long[LATENCY_SAMPLES];
    private long latencyCount;
    volatile Instant lastDurable;

    /** The first summary line is due a minute after {@code now} (a {@link System#nanoTime}). Worker only. */
    void summaryFrom(long now) {
        nextSummary = now + SUMMARY.toNanos();
    }

    /** Logs a summary line once a minute, if anything was made durable in it. Worker only. */
    void summary(long now, int waiting) {
        if (now - nextSummary < 0) {
            return;
        }
        nextSummary = now + SUMMARY.toNanos();
        long total = changesJournaled.get();
        long recent = total - summaryChanges;
        summaryChanges = total;
        if (recent > 0) {
            LOG.info("{} changes made durable in the last {}; {} files copied and {} stored since start; {} waiting",
                    recent, dev.tidemark.util.Sizes.duration(SUMMARY), filesCopied.get(),
                    dev.tidemark.util.Sizes.bytes(bytesStored.get()), waiting);
        }
    }

    /** Records how long each change of a batch took from its first event to durable. */
    void durable(long nowNanos, long[] firstEvents, Instant at) {
        synchronized (latencies) {
            for (long first : firstEvents) {
                latencies[(int) (latencyCount++ % LATENCY_SAMPLES)] = nowNanos - first;
            }
        }
        lastDurable = at;
    }

    /** Latency percentiles of the last changes, into {@code s}. */
    void latencies(Map<String, Object> s) {
        long[] lat;
        synchronized (latencies) {
            lat = Arrays.copyOf(latencies, (int) Math.min(latencyCount, LATENCY_SAMPLES));
        }
        if (lat.length > 0) {
            Arrays.sort(lat);
            s.put("latencyP50Millis", lat[(int) Math.floor(0.50 * (lat.length - 1))] / 1_000_000.0);
            s.put("latencyP99Millis", lat[(int) Math.floor(0.99 * (lat.length - 1))] / 1_000_000.0);
            s.put("latencySamples", lat.length);
        }
    }

    Map<String, Object> counters() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("changesJournaled", changesJournaled.get());
        s.put("filesCopied", filesCopied.get());
        s.put("bytesStored", bytesStored.get());
        s.put("journalBatches", batches.get());
        return s;
    }

    /** A snapshot of what the daemon is doing, for {@code tidemark status}. Any thread. */
    Map<String, Object> report(Instant startedAt, Follower follower, ChangeQueue queue, DaemonPoints points,
                               Maintenance maintenance, Config config, BinlogFollower binlog,
                               ReplicaKeeper replicas) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("pid", ProcessHandle.current().pid());
        s.put("since", startedAt.toString());
        List<Map<String, Object>> ts = new ArrayList<>();
        boolean healthy = true;
        for (FollowedTree t : follower.all()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", t.name());
            m.put("path", t.cfg.path().toString());
            m.put("mode", t.mode.name().toLowerCase(java.util.Locale.ROOT));
            m.put("since", String.valueOf(t.since));
            if (t.alarm != null) {
                m.put("alarm", t.alarm);
                healthy = false;
            }
            Map<String, String> unreadable = Map.copyOf(t.unreadable);
            if (!unreadable.isEmpty()) {
                // Left out, not stopped for: still an alarm, since what is under them is not being backed up.
                m.put("unreadable", t.unreadable.entrySet().stream().limit(5)
                        .map(e -> e.getKey() + ": " + e.getValue()).toList());
                m.put("unreadableCount", unreadable.size());
                healthy = false;
            }
            ts.add(m);
        }
        s.put("healthy", healthy);
        s.put("trees", ts);
        s.put("waiting", queue.size());
        s.putAll(counters());
        s.put("watcherOverflows", follower.watcherLosses());
        s.put("lastDurable", String.valueOf(lastDurable));
        latencies(s);
        RestorePoint p = points.last;
        s.put("lastPoint", p == null ? null : p.id());
        s.put("lastPointTime", p == null ? null : p.time().toString());
        s.put("nextPoint", String.valueOf(points.next));
        List<String> problems = points.lastProblems;
        if (!problems.isEmpty()) {
            s.put("lastPointProblems", problems.subList(0, Math.min(5, problems.size())));
            s.put("lastPointProblemCount", problems.size());
            s.put("healthy", false);
        }
        String pointError = points.lastError;
        if (pointError != null) {
            s.put("lastPointError", pointError);
        }
        Maintenance m = maintenance;
        if (m != null) {
            s.put("maintenance", m.status());
        }
        BinlogArchiving.status(config, binlog, s);
        if (replicas != null) {
            List<Map<String, Object>> rs = replicas.status();
            s.put("replicas", rs);
            if (rs.stream().anyMatch(r -> "failing".equals(r.get("state")))) {
                s.put("healthy", false);
            }
        }
        s.put("residentBytes", residentBytes());
        return s;
    }

    /** VmRSS of this process, or -1 where /proc is not there. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
