package dev.tidemark.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Validates the {@code retention} section; every error is one line naming the field and the fix (exit code 2). */
final class RetentionSection {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*(B|KiB|MiB|GiB|TiB|K|M|G|T|KB|MB|GB|TB)?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern PERCENT = Pattern.compile("(\\d{1,2}(?:\\.\\d+)?)%");

    /** The section as written; null means "not given". */
    record Raw(@JsonProperty("keepLast") Integer keepLast, @JsonProperty("keepWithin") String keepWithin,
               @JsonProperty("keepHourly") Integer keepHourly, @JsonProperty("keepDaily") Integer keepDaily,
               @JsonProperty("keepWeekly") Integer keepWeekly, @JsonProperty("keepMonthly") Integer keepMonthly,
               @JsonProperty("keepYearly") Integer keepYearly, @JsonProperty("keepTags") List<String> keepTags,
               @JsonProperty("journalWithin") String journalWithin, @JsonProperty("every") String every,
               @JsonProperty("maxUnused") String maxUnused, @JsonProperty("maxRepack") String maxRepack) {
    }

    private RetentionSection() {
    }

    static Retention validate(Path file, Raw r) {
        Retention.Policy policy = policy(file, "retention.", r.keepLast(), r.keepWithin(), r.keepHourly(),
                r.keepDaily(), r.keepWeekly(), r.keepMonthly(), r.keepYearly(), r.keepTags());
        if (policy.empty()) {
            throw ConfigLoader.bad(file, "retention", "keeps nothing but the newest point: give at least one of "
                    + "keepLast, keepWithin, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepTags "
                    + "(or remove the section to keep every point)");
        }
        Duration journal = ConfigLoader.duration(file, "retention.journalWithin", r.journalWithin(),
                Retention.DEFAULT_JOURNAL_WITHIN, Duration.ofHours(1), Duration.ofDays(36_500));
        Duration every = ConfigLoader.duration(file, "retention.every", r.every(), Retention.DEFAULT_EVERY,
                Duration.ofSeconds(10), Duration.ofDays(31));
        Retention.MaxUnused unused = r.maxUnused() == null ? Retention.DEFAULT_MAX_UNUSED
                : maxUnused(file, "retention.maxUnused", r.maxUnused());
        Long repack = r.maxRepack() == null ? null : size(file, "retention.maxRepack", r.maxRepack());
        return new Retention(policy, journal, every, unused, repack);
    }

    /** A policy from config fields or command-line flags; {@code field} prefixes the names in messages. */
    static Retention.Policy policy(Path file, String field, Integer last, String within, Integer hourly,
                                   Integer daily, Integer weekly, Integer monthly, Integer yearly, List<String> tags) {
        Duration w = within == null ? null : ConfigLoader.duration(file, field + "keepWithin", within, null,
                Duration.ofMinutes(1), Duration.ofDays(36_500));
        List<String> t = tags == null ? List.of() : List.copyOf(tags);
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i) == null || t.get(i).isBlank()) {
                throw ConfigLoader.bad(file, field + "keepTags[" + i + "]", "is empty: give a tag");
            }
        }
        return new Retention.Policy(count(file, field + "keepLast", last), w, count(file, field + "keepHourly", hourly),
                count(file, field + "keepDaily", daily), count(file, field + "keepWeekly", weekly),
                count(file, field + "keepMonthly", monthly), count(file, field + "keepYearly", yearly), t);
    }

    private static int count(Path file, String field, Integer n) {
        if (n == null) {
            return 0;
        }
        if (n < 0) {
            throw ConfigLoader.bad(file, field, "is " + n + ": give a number of points, 0 or more");
        }
        return n;
    }

    /** "5%", "unlimited", or a size such as "200MiB". */
    static Retention.MaxUnused maxUnused(Path file, String field, String v) {
        String s = v.trim();
        if (s.equalsIgnoreCase("unlimited")) {
            return new Retention.MaxUnused(0, Long.MAX_VALUE);
        }
        Matcher m = PERCENT.matcher(s);
        if (m.matches()) {
            return new Retention.MaxUnused(Double.parseDouble(m.group(1)), -1);
        }
        if (s.endsWith("%")) {
            throw ConfigLoader.bad(file, field, "is '" + v + "': give a percentage from 0% to 99%");
        }
        return new Retention.MaxUnused(0, size(file, field, s));
    }

    /** A size: "1048576", "200MiB", "1G" (powers of 1024). */
    static long size(Path file, String field, String v) {
        Matcher m = SIZE.matcher(v.trim());
        if (!m.matches()) {
            throw ConfigLoader.bad(file, field, "is '" + v + "': give a size such as 500MiB, 2GiB or 1048576");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        int shift = switch (unit.charAt(0)) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
            throw ConfigLoader.bad(file, field, "is '" + v + "': too large");
        }
        return n << shift;
    }
}
