package dev.tidemark.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Validates the {@code alerts} and {@code drills} sections (what watches over the backups); every error is one line
 * naming the field and the fix (exit code 2).
 */
final class AlertsSection {
    record Raw(@JsonProperty("command") List<String> command, @JsonProperty("webhook") String webhook,
               @JsonProperty("healthcheck") String healthcheck, @JsonProperty("repeat") String repeat,
               @JsonProperty("missedAfter") String missedAfter, @JsonProperty("check") String check) {
    }

    record RawDrills(@JsonProperty("every") String every, @JsonProperty("files") Integer files,
                     @JsonProperty("database") Boolean database) {
    }

    private AlertsSection() {
    }

    static Config.Drills drills(Path file, RawDrills r) {
        if (r == null) {
            return null;
        }
        Duration every = ConfigLoader.duration(file, "drills.every", r.every(), Duration.ofDays(7),
                Duration.ofSeconds(10), Duration.ofDays(366));
        int files = r.files() == null ? 100 : r.files();
        if (files < 1 || files > 1_000_000) {
            throw ConfigLoader.bad(file, "drills.files", "is " + files + ": use 1 to 1000000");
        }
        return new Config.Drills(every, files, r.database() == null || r.database());
    }

    static Config.Alerts validate(Path file, Raw r) {
        if (r == null) {
            return null;
        }
        if (r.command() == null && r.webhook() == null && r.healthcheck() == null) {
            throw ConfigLoader.bad(file, "alerts", "names nowhere to send alerts: give command, webhook or "
                    + "healthcheck (or remove the section)");
        }
        if (r.command() != null && (r.command().isEmpty() || r.command().stream().anyMatch(a -> a == null
                || a.isEmpty()) || !Path.of(r.command().get(0)).isAbsolute())) {
            throw ConfigLoader.bad(file, "alerts.command", "must be a list of arguments starting with an absolute "
                    + "program path, such as [\"/usr/local/bin/notify\", \"--to\", \"admin\"]");
        }
        Duration repeat = ConfigLoader.duration(file, "alerts.repeat", r.repeat(), Duration.ofHours(6),
                Duration.ofMinutes(1), Duration.ofDays(31));
        Duration missed = r.missedAfter() == null ? null : ConfigLoader.duration(file, "alerts.missedAfter",
                r.missedAfter(), null, Duration.ofMinutes(1), Duration.ofDays(62));
        Duration check = ConfigLoader.duration(file, "alerts.check", r.check(), Duration.ofSeconds(30),
                Duration.ofSeconds(1), Duration.ofHours(1));
        return new Config.Alerts(r.command() == null ? null : List.copyOf(r.command()),
                url(file, "alerts.webhook", r.webhook()), url(file, "alerts.healthcheck", r.healthcheck()), repeat,
                missed, check);
    }

    private static URI url(Path file, String field, String value) {
        if (value == null) {
            return null;
        }
        try {
            URI u = new URI(value);
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // below
        }
        throw ConfigLoader.bad(file, field, "is '" + value + "': give an http:// or https:// URL");
    }
}
