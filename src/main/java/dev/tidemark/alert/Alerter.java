package dev.tidemark.alert;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tidemark.config.Config;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends alerts where the config's {@code alerts} section says. A condition is a short name ("alarm:facedata",
 * "point-missed", "verify-damage") with a one-line message; {@link #reconcile} raises the ones present and clears
 * the ones gone. Delivery failures are logged and tried again at the next check; they never stop the caller.
 */
public final class Alerter {
    private static final Logger LOG = LoggerFactory.getLogger(Alerter.class);
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    static final String FILE = "alerts.json";

    /** What was sent for one condition. */
    record Sent(Instant since, Instant lastSent, String message) {
    }

    private final Config.Alerts cfg;
    private final Path state;
    private final Clock clock;
    private final HttpClient http;
    private final String host;

    public Alerter(Config.Alerts cfg, Path state, Clock clock) {
        this.cfg = cfg;
        this.state = state;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();
        String h;
        try {
            h = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            h = "unknown";
        }
        this.host = h;
    }

    /**
     * Makes the conditions {@code owns} accepts be exactly {@code current} (condition → message): new ones are sent,
     * ongoing ones again once {@code alerts.repeat} has passed, and ones no longer present are sent as resolved.
     */
    public synchronized void reconcile(Map<String, String> current, Predicate<String> owns) {
        try {
            update(sent -> {
                Instant now = clock.instant();
                for (Map.Entry<String, String> c : current.entrySet()) {
                    Sent s = sent.get(c.getKey());
                    if (s == null || !s.lastSent().plus(cfg.repeat()).isAfter(now)) {
                        if (deliver(c.getKey(), c.getValue(), false)) {
                            sent.put(c.getKey(), new Sent(s == null ? now : s.since(), now, c.getValue()));
                        }
                    }
                }
                for (String k : sent.keySet().toArray(String[]::new)) {
                    if (owns.test(k) && !current.containsKey(k)) {
                        Sent s = sent.get(k);
                        if (deliver(k, "resolved after " + dev.tidemark.util.Sizes.duration(
                                Duration.between(s.since(), now)) + ": " + s.message(), true)) {
                            sent.remove(k);
                        }
                    }
                }
            });
        } catch (IOException e) {
            LOG.warn("alerts: cannot read or write {}: {}", state.resolve(FILE), e.getMessage());
        }
    }

    /** A healthchecks-style "all is well" ping (after a point, while nothing is raised). */
    public void heartbeat() {
        if (cfg.healthcheck() != null) {
            send(HttpRequest.newBuilder(cfg.healthcheck()).GET(), "healthcheck");
        }
    }

    /** The conditions raised now (for status). */
    public synchronized Map<String, String> raised() {
        try {
            Map<String, String> out = new TreeMap<>();
            for (Map.Entry<String, Sent> e : load().entrySet()) {
                out.put(e.getKey(), e.getValue().message());
            }
            return out;
        } catch (IOException e) {
            return Map.of();
        }
    }

    /** Sends one alert everywhere configured; true if at least one place took it. */
    private boolean deliver(String condition, String message, boolean resolved) {
        LOG.warn("alert {}{}: {}", condition, resolved ? " resolved" : "", message);
        boolean any = false;
        if (cfg.command() != null) {
            any |= command(Map.of("TIDEMARK_ALERT_CONDITION", condition, "TIDEMARK_ALERT_MESSAGE", message,
                    "TIDEMARK_ALERT_RESOLVED", resolved ? "1" : "0", "TIDEMARK_ALERT_HOST", host));
        }
        if (cfg.webhook() != null) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("condition", condition);
            body.put("message", message);
            body.put("resolved", resolved);
            body.put("host", host);
            body.put("at", clock.instant().toString());
            try {
                any |= send(HttpRequest.newBuilder(cfg.webhook()).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body))), "webhook");
            } catch (IOException e) {
                LOG.warn("alerts: webhook: {}", e.getMessage());
            }
        }
        if (cfg.healthcheck() != null && !resolved) {
            URI fail = URI.create(cfg.healthcheck().toString().replaceAll("/+$", "") + "/fail");
            any |= send(HttpRequest.newBuilder(fail).POST(HttpRequest.BodyPublishers.ofString(condition + ": "
                    + message)), "healthcheck");
        } else if (cfg.healthcheck() != null) {
            any = true; // the next point's ping says all is well again
        }
        return any;
    }

    /**
     * Runs alerts.command; its output goes to {@code <state>/logs/alerts-command.log}, never into the output of the
     * command that raised the alert (a 'verify --json' stays parseable).
     */
    private boolean command(Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(cfg.command()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        try {
            Path log = state.resolve("logs").resolve("alerts-command.log");
            Files.createDirectories(log.getParent());
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Process p = pb.start();
            if (!p.waitFor(COMMAND_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                LOG.warn("alerts: {} did not finish in {} s and was killed", cfg.command().get(0),
                        COMMAND_TIMEOUT.toSeconds());
                return false;
            }
            if (p.exitValue() != 0) {
                LOG.warn("alerts: {} exited with {} (its output: {})", cfg.command().get(0), p.exitValue(), log);
                return false;
            }
            return true;
        } catch (IOException e) {
            LOG.warn("alerts: {} cannot be started: {}", cfg.command().get(0), e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean send(HttpRequest.Builder b, String what) {
        try {
            HttpResponse<Void> r = http.send(b.timeout(HTTP_TIMEOUT).build(), HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 == 2) {
                return true;
            }
            LOG.warn("alerts: {} {} answered {}", what, r.uri(), r.statusCode());
        } catch (IOException e) {
            LOG.warn("alerts: {} {}: {}", what, b.build().uri(), e.getMessage() == null ? e.toString()
                    : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private interface Change {
        void apply(Map<String, Sent> sent);
    }

    /** Reads, changes and writes alerts.json under a file lock (the daemon and a verify may both send). */
    private void update(Change change) throws IOException {
        Files.createDirectories(state);
        try (FileChannel ch = FileChannel.open(state.resolve("alerts.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = ch.lock()) {
            Map<String, Sent> sent = load();
            Map<String, Sent> before = new TreeMap<>(sent);
            change.apply(sent);
            if (!sent.equals(before)) {
                dev.tidemark.util.LocalFiles.writeAtomically(state.resolve(FILE), Json.MAPPER.writeValueAsBytes(sent));
            }
        }
    }

    private Map<String, Sent> load() throws IOException {
        Path f = state.resolve(FILE);
        if (!Files.exists(f)) {
            return new TreeMap<>();
        }
        try {
            return new TreeMap<>(Json.MAPPER.readValue(f.toFile(), new TypeReference<Map<String, Sent>>() { }));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            LOG.warn("alerts: {} cannot be read ({}); starting afresh", f, e.getOriginalMessage());
            return new TreeMap<>();
        }
    }
}
