package dev.tidemark.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.tidemark.TidemarkException;
import dev.tidemark.repo.store.StoreLocation;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads and validates a config file. Every error is one line that names the file, the field and the fix, and leads
 * to exit code 2; nothing is touched before the config is valid.
 */
public final class ConfigLoader {
    static final Pattern TREE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    /** The file as written; null means "not given". */
    record RawConfig(@JsonProperty("repository") String repository, @JsonProperty("state") String state,
                     @JsonProperty("exclude") List<String> exclude, @JsonProperty("trees") List<RawTree> trees,
                     @JsonProperty("scan") RawScan scan, @JsonProperty("points") RawPoints points,
                     @JsonProperty("run") RawRun run, @JsonProperty("database") RawDatabase database,
                     @JsonProperty("hooks") RawHooks hooks,
                     @JsonProperty("retention") RetentionSection.Raw retention,
                     @JsonProperty("s3") StoreSection.RawS3 s3,
                     @JsonProperty("repositoryPasswordFile") String repositoryPasswordFile,
                     @JsonProperty("replicas") List<StoreSection.RawReplica> replicas,
                     @JsonProperty("http") HttpSection.Raw http,
                     @JsonProperty("alerts") AlertsSection.Raw alerts,
                     @JsonProperty("drills") AlertsSection.RawDrills drills,
                     @JsonProperty("host") String host) {
    }

    record RawDatabase(@JsonProperty("url") String url, @JsonProperty("user") String user,
                       @JsonProperty("passwordFile") String passwordFile, @JsonProperty("passwordEnv") String passwordEnv,
                       @JsonProperty("tls") String tls, @JsonProperty("tlsCa") String tlsCa,
                       @JsonProperty("schemas") List<String> schemas,
                       @JsonProperty("nonTransactional") String nonTransactional,
                       @JsonProperty("whenDown") String whenDown, @JsonProperty("dangling") String dangling,
                       @JsonProperty("connectTimeout") String connectTimeout,
                       @JsonProperty("referenceQueries") List<RawReference> referenceQueries,
                       @JsonProperty("binlog") String binlog) {
    }

    record RawReference(@JsonProperty("name") String name, @JsonProperty("tree") String tree,
                        @JsonProperty("schema") String schema, @JsonProperty("sql") String sql) {
    }

    record RawHooks(@JsonProperty("preRestore") RawHook preRestore, @JsonProperty("postRestore") RawHook postRestore) {
    }

    record RawHook(@JsonProperty("command") List<String> command, @JsonProperty("timeout") String timeout) {
    }

    record RawPoints(@JsonProperty("interval") String interval) {
    }

    record RawRun(@JsonProperty("settle") String settle, @JsonProperty("maxDelay") String maxDelay,
                  @JsonProperty("reconcile") String reconcile, @JsonProperty("poll") String poll,
                  @JsonProperty("watch") String watch) {
    }

    record RawTree(@JsonProperty("name") String name, @JsonProperty("path") String path,
                   @JsonProperty("exclude") List<String> exclude) {
    }

    record RawScan(@JsonProperty("threads") Integer threads) {
    }

    private ConfigLoader() {
    }

    /** Where the system-wide config lives: the second place looked in, after TIDEMARK_CONFIG. */
    public static final Path SYSTEM_FILE = Path.of("/etc/tidemark/tidemark.json");

    /**
     * The config file: {@code given} (--config) if there is one; else the file {@code TIDEMARK_CONFIG} names (which
     * must exist); else {@link #SYSTEM_FILE} if it exists; else {@value Config#DEFAULT_FILE} in the current directory.
     */
    public static Path locate(Path given, java.util.function.Function<String, String> env) {
        if (given != null) {
            return given;
        }
        String var = env.apply("TIDEMARK_CONFIG");
        if (var != null && !var.isBlank()) {
            Path p = Path.of(var);
            if (!Files.isRegularFile(p)) {
                throw TidemarkException.usage("TIDEMARK_CONFIG names " + p + ", which is not a file: correct it, or "
                        + "unset it to use " + SYSTEM_FILE);
            }
            return p;
        }
        if (Files.isRegularFile(SYSTEM_FILE)) {
            return SYSTEM_FILE;
        }
        return Path.of(Config.DEFAULT_FILE);
    }

    public static Config load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw TidemarkException.usage("config file " + file + " not found: pass --config FILE, set "
                    + "TIDEMARK_CONFIG, or write " + SYSTEM_FILE + " (config/tidemark.json is a commented example)");
        } catch (IOException e) {
            // Permission denied is the user's to fix (exit 2); EIO is the disk's (exit 1), as for any I/O failure.
            throw dev.tidemark.util.Problems.unreadable(e, "config file " + file + " cannot be read: "
                    + dev.tidemark.util.Problems.reason(e));
        }
        RawConfig raw;
        try {
            // A key given twice is refused: JSON parsers disagree on which one wins, and a reader would not know.
            raw = Json.MAPPER.readerFor(RawConfig.class)
                    .with(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).readValue(bytes);
        } catch (UnrecognizedPropertyException e) {
            String where = fieldPath(e);
            List<String> known = e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList();
            throw bad(file, where, "is not a known field; known here: " + String.join(", ", known));
        } catch (MismatchedInputException e) {
            throw bad(file, fieldPath(e), "has the wrong type: give " + expected(e.getTargetType()));
        } catch (JacksonException e) {
            JsonLocation loc = e.getLocation();
            String m = e.getOriginalMessage();
            if (m != null && m.startsWith("Duplicate field ")) {
                throw TidemarkException.usage(file + ": " + m.substring("Duplicate field ".length())
                        + " is given twice (the second at line " + (loc == null ? "?" : loc.getLineNr())
                        + "): keep one");
            }
            throw TidemarkException.usage(file + ": not valid JSON at line " + (loc == null ? "?" : loc.getLineNr())
                    + ", column " + (loc == null ? "?" : loc.getColumnNr()) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw TidemarkException.usage("config file " + file + " cannot be read: " + e.getMessage());
        }
        if (raw == null) {
            throw TidemarkException.usage(file + " is empty: see config/tidemark.json for an example");
        }
        return validate(file, raw);
    }

    /** What a JSON value of {@code type} looks like, in the config's words (never a Java class name). */
    static String expected(Class<?> type) {
        if (type == null) {
            return "the kind of value config/tidemark.json shows for it";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list: [ ... ]";
        }
        if (type == String.class) {
            return "a string in double quotes";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a number";
        }
        return "an object: { ... }";
    }

    private static String fieldPath(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "(top level)" : sb.toString();
    }

    static TidemarkException bad(Path file, String field, String what) {
        return TidemarkException.usage(file + ": '" + field + "' " + what);
    }

    private static Config validate(Path file, RawConfig raw) {
        StoreLocation repository = StoreSection.repository(file, "", raw.repository(), raw.s3());
        Path state = absolute(file, "state", raw.state());
        List<String> globalExclude = raw.exclude() == null ? List.of() : raw.exclude();
        TreesSection.checkGlobs(file, "exclude", globalExclude);
        List<TreeConfig> trees = TreesSection.trees(file, raw.trees(), repository, state);
        Config.ScanOptions scan = Config.ScanOptions.DEFAULTS;
        if (raw.scan() != null && raw.scan().threads() != null) {
            int n = raw.scan().threads();
            if (n < 1 || n > 64) {
                throw bad(file, "scan.threads", "is " + n + ": use 1 to 64");
            }
            scan = new Config.ScanOptions(n);
        }
        DatabaseConfig db = raw.database() == null ? null : DatabaseSection.validate(file, raw.database(), trees,
                System::getenv);
        Config.Hooks hooks = raw.hooks() == null ? Config.Hooks.NONE : new Config.Hooks(
                hook(file, "hooks.preRestore", raw.hooks().preRestore()),
                hook(file, "hooks.postRestore", raw.hooks().postRestore()));
        Retention retention = raw.retention() == null ? null : RetentionSection.validate(file, raw.retention());
        List<Config.Replica> replicas = StoreSection.replicas(file, raw.replicas(), repository);
        Path passwordFile = raw.repositoryPasswordFile() == null ? null
                : absolute(file, "repositoryPasswordFile", raw.repositoryPasswordFile());
        return new Config(file, repository, state, globalExclude, trees, scan, run(file, raw), db, hooks,
                retention, passwordFile, replicas, HttpSection.validate(file, raw.http()),
                AlertsSection.validate(file, raw.alerts()), AlertsSection.drills(file, raw.drills()),
                host(file, raw.host()));
    }

    /** The name points are taken under; null: the machine's. Printable, at most 255 characters. */
    public static String host(Path file, String host) {
        if (host == null) {
            return null;
        }
        if (host.isBlank() || host.length() > 255 || host.chars().anyMatch(c -> c < 0x20 || c == 0x7f)
                || !host.strip().equals(host)) {
            throw TidemarkException.usage((file == null ? "--host" : file + ": 'host'") + " is not a usable host name: give 1 to 255 printable characters without leading "
                    + "or trailing spaces (or leave it out for the machine's name)");
        }
        return host;
    }

    private static HookConfig hook(Path file, String field, RawHook h) {
        if (h == null) {
            return null;
        }
        if (h.command() == null || h.command().isEmpty() || h.command().get(0) == null
                || h.command().get(0).isBlank()) {
            throw bad(file, field + ".command", "is missing or empty: give the program and its arguments as a list, "
                    + "such as [\"/usr/bin/systemctl\", \"stop\", \"qumagie\"] (no shell is involved)");
        }
        for (int i = 0; i < h.command().size(); i++) {
            if (h.command().get(i) == null) {
                throw bad(file, field + ".command[" + i + "]", "is null: give a string");
            }
        }
        Duration timeout = duration(file, field + ".timeout", h.timeout(), Duration.ofMinutes(5), Duration.ofSeconds(1),
                Duration.ofDays(1));
        return new HookConfig(List.copyOf(h.command()), timeout);
    }

    private static Config.RunOptions run(Path file, RawConfig raw) {
        Config.RunOptions d = Config.RunOptions.DEFAULTS;
        RawRun r = raw.run() == null ? new RawRun(null, null, null, null, null) : raw.run();
        Duration points = duration(file, "points.interval", raw.points() == null ? null : raw.points().interval(),
                d.pointInterval(), Duration.ofMinutes(1), Duration.ofDays(31));
        Duration settle = duration(file, "run.settle", r.settle(), d.settle(), Duration.ofMillis(10),
                Duration.ofMinutes(1));
        Duration maxDelay = duration(file, "run.maxDelay", r.maxDelay(), d.maxDelay(), Duration.ofSeconds(1),
                Duration.ofHours(1));
        if (maxDelay.compareTo(settle) < 0) {
            throw bad(file, "run.maxDelay", "is shorter than run.settle: give at least " + settle.toMillis() + "ms");
        }
        Duration reconcile = duration(file, "run.reconcile", r.reconcile(), d.reconcileInterval(),
                Duration.ofMinutes(1), Duration.ofDays(7));
        Duration poll = duration(file, "run.poll", r.poll(), d.pollInterval(), Duration.ofSeconds(1),
                Duration.ofHours(1));
        boolean forcePolling;
        if (r.watch() == null || r.watch().equals("inotify")) {
            forcePolling = false;
        } else if (r.watch().equals("poll")) {
            forcePolling = true;
        } else {
            throw bad(file, "run.watch", "is '" + r.watch() + "': use \"inotify\" (default) or \"poll\"");
        }
        return new Config.RunOptions(points, settle, maxDelay, reconcile, poll, forcePolling);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d|w)");

    /** Parses "300ms", "10s", "15m", "1h", "2d" or "4w" within [min, max]; null gives the default. */
    static Duration duration(Path file, String field, String value, Duration dflt, Duration min, Duration max) {
        if (value == null) {
            return dflt;
        }
        java.util.regex.Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw bad(file, field, "is '" + value + "': give a number and a unit (ms, s, m, h, d, w), such as 300ms, "
                    + "10s, 15m, 1h, 2d or 4w");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw bad(file, field, "is " + value + ": use " + spell(min) + " to " + spell(max));
        }
        return d;
    }

    /** Parses a duration given on the command line as {@code flag}, with the config's units and messages. */
    public static Duration flagDuration(String flag, String value, Duration min, Duration max) {
        try {
            return duration(Path.of("command line"), flag, value, null, min, max);
        } catch (TidemarkException e) {
            throw TidemarkException.usage(e.getMessage().replace("command line: '" + flag + "'", flag));
        }
    }

    /** Parses a size given on the command line as {@code flag} ("500MiB", "2GiB", "1048576"). */
    public static long flagSize(String flag, String value) {
        try {
            return RetentionSection.size(Path.of("command line"), flag, value);
        } catch (TidemarkException e) {
            throw TidemarkException.usage(e.getMessage().replace("command line: '" + flag + "'", flag));
        }
    }

    /** Parses {@code --max-unused}: "5%", "unlimited" or a size. */
    public static Retention.MaxUnused flagMaxUnused(String flag, String value) {
        try {
            return RetentionSection.maxUnused(Path.of("command line"), flag, value);
        } catch (TidemarkException e) {
            throw TidemarkException.usage(e.getMessage().replace("command line: '" + flag + "'", flag));
        }
    }

    /** A duration in the config's own units. */
    public static String spell(Duration d) {
        long ms = d.toMillis();
        if (ms % 86_400_000 == 0) {
            return ms / 86_400_000 + "d";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    static Path absolute(Path file, String field, String value) {
        if (value == null || value.isBlank()) {
            throw bad(file, field, "is missing: give an absolute path");
        }
        Path p = Path.of(value);
        if (!p.isAbsolute()) {
            throw bad(file, field, "is '" + value + "', a relative path: give an absolute path");
        }
        return p.normalize();
    }

    /** For commands that read the trees: every tree must exist and be a directory. */
    public static void requireTreesExist(Config config) {
        for (int i = 0; i < config.trees().size(); i++) {
            TreeConfig t = config.trees().get(i);
            if (!Files.isDirectory(t.path())) {
                String what = Files.exists(t.path()) ? "is not a directory" : "does not exist";
                throw bad(config.file(), "trees[" + i + "].path", t.path() + " " + what
                        + ": create it, fix the path, or check that its disk is mounted");
            }
        }
    }


    static String names(List<TreeConfig> trees) {
        return trees.stream().map(TreeConfig::name).collect(Collectors.joining(", "));
    }
}
