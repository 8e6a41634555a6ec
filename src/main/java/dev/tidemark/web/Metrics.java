package dev.tidemark.web;

import dev.tidemark.check.LastVerify;
import dev.tidemark.point.RestorePoint;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The daemon's Prometheus metrics, named by Prometheus's conventions: base units (seconds, bytes), {@code _total}
 * only on counters, timestamps as {@code _timestamp_seconds}. Each is read at scrape time from one snapshot of the
 * daemon's status (taken once per scrape), so the numbers of one scrape agree with each other.
 */
final class Metrics {
    /** What one scrape reads. */
    record Snapshot(Map<String, Object> status, RestorePoint latest, int points, LastVerify verify,
                    dev.tidemark.check.Drill.Result drill) {
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Supplier<Snapshot> source;
    private Snapshot current;

    Metrics(Supplier<Snapshot> source) {
        this.source = source;
        gauge("tidemark_healthy", "1 when every tree is followed and the last point and replicas are fine, else 0",
                s -> Boolean.TRUE.equals(s.status().get("healthy")) ? 1 : 0);
        gauge("tidemark_last_point_timestamp_seconds", "When the newest restore point was taken",
                s -> s.latest() == null ? Double.NaN : seconds(s.latest().time()));
        gauge("tidemark_last_point_duration_seconds", "How long taking the newest restore point took",
                s -> s.latest() == null ? Double.NaN : s.latest().durationMillis() / 1000.0);
        gauge("tidemark_last_point_files", "Files in the newest restore point",
                s -> s.latest() == null ? Double.NaN : s.latest().totals().files());
        gauge("tidemark_last_point_bytes", "Bytes of the files in the newest restore point",
                s -> s.latest() == null ? Double.NaN : s.latest().totals().bytes());
        gauge("tidemark_last_point_added_bytes", "Bytes of content the newest restore point added",
                s -> s.latest() == null ? Double.NaN : s.latest().totals().newBytes());
        gauge("tidemark_points", "Restore points in the repository", s -> s.points());
        gauge("tidemark_next_point_timestamp_seconds", "When the next scheduled restore point is due",
                s -> instant(s.status().get("nextPoint")));
        gauge("tidemark_last_durable_timestamp_seconds", "When a change was last made durable in the journal",
                s -> instant(s.status().get("lastDurable")));
        gauge("tidemark_changes_waiting", "Changes seen and not yet durable", s -> number(s.status(), "waiting"));
        counter("tidemark_changes_journaled", "Changes made durable in the journal since the daemon started",
                s -> number(s.status(), "changesJournaled"));
        counter("tidemark_files_copied", "Files copied into the repository since the daemon started",
                s -> number(s.status(), "filesCopied"));
        counter("tidemark_stored", "Bytes written into packs since the daemon started",
                s -> number(s.status(), "bytesStored"), "bytes");
        counter("tidemark_watcher_overflows", "Times a tree's watcher lost events (each answered by a rescan)",
                s -> number(s.status(), "watcherOverflows"));
        counter("tidemark_prunes", "Prunes the daemon has finished since it started",
                s -> number(maintenance(s), "prunes"));
        counter("tidemark_maintenance_failures", "Maintenance steps that failed since the daemon started",
                s -> number(maintenance(s), "maintenanceFailures"));
        gauge("tidemark_pack_bytes", "Bytes of packs in the repository, as the last prune plan measured them",
                s -> number(maintenance(s), "packBytes"));
        gauge("tidemark_reclaimable_bytes", "Bytes a prune would take away, as its last plan measured them",
                s -> number(maintenance(s), "reclaimableBytes"));
        gauge("tidemark_resident_memory_bytes", "Resident memory of the daemon",
                s -> number(s.status(), "residentBytes"));
        gauge("tidemark_last_verify_timestamp_seconds", "When 'tidemark verify' last finished on this host",
                s -> s.verify() == null ? Double.NaN : seconds(s.verify().at()));
        gauge("tidemark_last_verify_damage", "Problems the last 'tidemark verify' found (0: none)",
                s -> s.verify() == null ? Double.NaN : s.verify().damage());
        gauge("tidemark_last_drill_timestamp_seconds", "When the newest restore drill finished",
                s -> s.drill() == null ? Double.NaN : seconds(s.drill().at()));
        gauge("tidemark_last_drill_success", "1 if the newest restore drill passed, else 0",
                s -> s.drill() == null ? Double.NaN : s.drill().ok() ? 1 : 0);
        gauge("tidemark_last_drill_expected_restore_seconds", "How long restoring the drilled point's files whole "
                + "would take, at the drill's pace", s -> s.drill() == null ? Double.NaN
                : s.drill().expectedRestoreSeconds());
        GaugeWithCallback.builder().name("tidemark_tree_alarm").help("1 while a tree has an alarm (root gone, not "
                + "followed), else 0").labelNames("tree").callback(cb -> each(m -> list(m.get("trees")), t ->
                cb.call(t.get("alarm") != null ? 1 : 0, String.valueOf(t.get("name"))))).register(registry);
        GaugeWithCallback.builder().name("tidemark_tree_unreadable_files").help("Files of a tree that could not be "
                + "read (left out)").labelNames("tree").callback(cb -> each(m -> list(m.get("trees")), t ->
                cb.call(number(t, "unreadableCount", 0), String.valueOf(t.get("name"))))).register(registry);
        GaugeWithCallback.builder().name("tidemark_replica_lag_seconds").help("How far a replica is behind the "
                + "repository").labelNames("replica").callback(cb -> each(m -> list(m.get("replicas")), r ->
                cb.call(number(r, "lagSeconds"), String.valueOf(r.get("name"))))).register(registry);
        GaugeWithCallback.builder().name("tidemark_replica_failing").help("1 while copying to a replica fails")
                .labelNames("replica").callback(cb -> each(m -> list(m.get("replicas")), r ->
                cb.call("failing".equals(r.get("state")) ? 1 : 0, String.valueOf(r.get("name")))))
                .register(registry);
    }

    /** Writes every metric in Prometheus's text format. */
    synchronized void write(OutputStream out) throws IOException {
        current = source.get();
        try {
            writer.write(out, registry.scrape());
        } finally {
            current = null;
        }
    }

    String contentType() {
        return writer.getContentType();
    }

    private void gauge(String name, String help, ToDoubleFunction<Snapshot> f) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> {
            double v = f.applyAsDouble(current);
            if (!Double.isNaN(v)) {
                cb.call(v);
            }
        }).register(registry);
    }

    private void counter(String name, String help, ToDoubleFunction<Snapshot> f) {
        counter(name, help, f, null);
    }

    private void counter(String name, String help, ToDoubleFunction<Snapshot> f, String unit) {
        CounterWithCallback.Builder b = CounterWithCallback.builder().name(name).help(help).callback(cb -> {
            double v = f.applyAsDouble(current);
            if (!Double.isNaN(v)) {
                cb.call(v);
            }
        });
        if (unit != null) {
            b.unit(new io.prometheus.metrics.model.snapshots.Unit(unit));
        }
        b.register(registry);
    }

    private void each(java.util.function.Function<Map<String, Object>, List<Map<String, Object>>> rows,
                      Consumer<Map<String, Object>> f) {
        for (Map<String, Object> row : rows.apply(current.status())) {
            f.accept(row);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return o instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> maintenance(Snapshot s) {
        return s.status().get("maintenance") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static double number(Map<String, Object> m, String key) {
        return number(m, key, Double.NaN);
    }

    private static double number(Map<String, Object> m, String key, double absent) {
        return m.get(key) instanceof Number n ? n.doubleValue() : absent;
    }

    private static double instant(Object o) {
        if (o == null) {
            return Double.NaN;
        }
        try {
            return seconds(Instant.parse(o.toString()));
        } catch (RuntimeException e) {
            return Double.NaN; // "null": not yet
        }
    }

    private static double seconds(Instant t) {
        return t.getEpochSecond() + t.getNano() / 1e9;
    }
}
