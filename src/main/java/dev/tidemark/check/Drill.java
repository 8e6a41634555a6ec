package dev.tidemark.check;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tidemark.config.Config;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.db.Db;
import dev.tidemark.db.Loader;
import dev.tidemark.db.ReferenceCheck;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.repo.Contents;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.Repository;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A restore drill: a random sample of a point's files restored into scratch space and read back from the disk
 * against their content keys, the point's database loaded into scratch schemas and its reference queries checked
 * against the point's own manifests; the time taken, and from it the time a whole restore can be expected to take.
 * The outcome is recorded in the repository ({@code drills/<time>-<host>-<pid>.json}: an optional kind of object that
 * every reader of format 4 passes over, so no format change), where the status page and replicas see it.
 */
public final class Drill {
    public static final String PREFIX = "drills/";
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'")
            .withZone(ZoneOffset.UTC);

    /**
     * @param point                   the point drilled
     * @param at                      when the drill finished
     * @param host                    where it ran
     * @param ok                      nothing wrong found
     * @param files                   files restored and checked
     * @param bytes                   their bytes
     * @param filesSeconds            how long restoring and checking them took
     * @param expectedRestoreSeconds  the whole point's files at the sample's pace (by files or by bytes, the longer)
     * @param database                the database part; null when there was none
     * @param problems                what was wrong, one line each
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Result(String point, Instant at, String host, boolean ok, int files, long bytes,
                         double filesSeconds, double expectedRestoreSeconds, DatabaseResult database,
                         List<String> problems) {
    }

    /**
     * @param schemas    the point's schemas
     * @param seconds    loading them into scratch schemas
     * @param references reference queries run against them, paths looked up in the point's manifests
     * @param dangling   referenced paths the point's trees lack (as many as the point recorded is not a problem)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record DatabaseResult(List<String> schemas, double seconds, int references, long dangling) {
    }

    private final Repository repo;
    private final Contents contents;
    private final Config config;
    private final Clock clock;

    public Drill(Repository repo, Contents contents, Config config, Clock clock) {
        this.repo = repo;
        this.contents = contents;
        this.config = config;
        this.clock = clock;
    }

    /**
     * Drills {@code p}: {@code sample} files into a new directory under {@code scratch} (removed afterwards), and the database if
     * {@code database} and the point has one. Damage is a problem of the result, not an exception.
     */
    public Result run(RestorePoint p, int sample, Path scratch, boolean database, Random rnd) throws IOException {
        List<String> problems = new ArrayList<>();
        // Reservoir sampling over every file of every tree: each file equally likely, one pass, bounded memory.
        List<Map.Entry<String, FileEntry>> chosen = new ArrayList<>();
        long seen = 0;
        for (TreeSnapshot t : p.trees()) {
            try (ManifestReader r = new ManifestReader(contents, t.manifest())) {
                for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                    if (!e.isFile()) {
                        continue;
                    }
                    seen++;
                    if (chosen.size() < sample) {
                        chosen.add(Map.entry(t.name(), e));
                    } else {
                        long j = (long) (rnd.nextDouble() * seen);
                        if (j < sample) {
                            chosen.set((int) j, Map.entry(t.name(), e));
                        }
                    }
                }
            } catch (DamageException e) {
                problems.add("tree " + t.name() + ": its manifest: " + e.getMessage());
            }
        }
        long t0 = System.nanoTime();
        long bytes = 0;
        Path dir = Files.createTempDirectory(Files.createDirectories(scratch), "drill-");
        byte[] buf = new byte[1 << 16];
        ContentHasher hasher = repo.hasher();
        try {
            for (int i = 0; i < chosen.size(); i++) {
                String tree = chosen.get(i).getKey();
                FileEntry e = chosen.get(i).getValue();
                Path f = dir.resolve(i + ".restored");
                try {
                    try (OutputStream out = Files.newOutputStream(f)) {
                        contents.read(e.key(), out::write);
                    }
                    ContentHasher.Stream h = hasher.stream();
                    long n = 0;
                    try (InputStream in = Files.newInputStream(f)) {
                        for (int r = in.read(buf); r > 0; r = in.read(buf)) {
                            h.update(buf, 0, r);
                            n += r;
                        }
                    }
                    ContentKey back = h.key();
                    if (n != e.size() || !back.equals(e.key())) {
                        problems.add(tree + "/" + e.path() + ": restored as " + n + " bytes with key "
                                + back.shortHex() + ", recorded " + e.size() + " bytes, key " + e.key().shortHex());
                    }
                    bytes += n;
                } catch (DamageException d) {
                    problems.add(tree + "/" + e.path() + ": " + d.getMessage());
                } finally {
                    Files.deleteIfExists(f);
                }
            }
        } finally {
            Files.deleteIfExists(dir);
        }
        double filesSeconds = (System.nanoTime() - t0) / 1e9;
        double expected = chosen.isEmpty() ? 0 : filesSeconds * Math.max(
                (double) p.totals().files() / chosen.size(), bytes == 0 ? 0 : (double) p.totals().bytes() / bytes);
        DatabaseResult db = null;
        DatabaseSnapshot snap = p.database();
        if (database && config.database() != null && snap != null && snap.dump() != null) {
            db = database(p, snap, problems);
        }
        return new Result(p.id(), clock.instant(), repo.host(), problems.isEmpty(), chosen.size(), bytes, filesSeconds,
                expected, db, List.copyOf(problems));
    }

    /** Loads the dump into scratch schemas, runs the reference queries against the point's manifests, drops them. */
    private DatabaseResult database(RestorePoint p, DatabaseSnapshot snap, List<String> problems) throws IOException {
        DatabaseConfig dbc = config.database();
        Map<String, String> targets = new LinkedHashMap<>();
        String tag = "tidemark_drill_" + ProcessHandle.current().pid() + "_";
        for (DatabaseSnapshot.Schema s : snap.schemas()) {
            String name = tag + s.name();
            targets.put(s.name(), name.length() > 64 ? name.substring(0, 64) : name);
        }
        long t0 = System.nanoTime();
        try {
            try {
                new Loader(dbc, contents).load(snap.dump(), targets, false);
            } catch (DamageException d) {
                problems.add("database dump of point " + p.id() + ": " + d.getMessage());
                return new DatabaseResult(List.copyOf(targets.keySet()), (System.nanoTime() - t0) / 1e9, 0, 0);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            List<DatabaseConfig.ReferenceQuery> queries = ReferenceCheck.queries(dbc, snap);
            Map<String, Predicate<String>> present = new HashMap<>();
            Map<String, Path> roots = new HashMap<>();
            for (TreeConfig t : config.trees()) {
                TreeSnapshot ts = p.tree(t.name());
                if (ts != null && queries.stream().anyMatch(q -> q.tree().equals(t.name()))) {
                    present.put(t.name(), paths(ts)::contains);
                    roots.put(t.name(), t.path());
                }
            }
            long dangling = 0;
            for (ReferenceCheck.Result r : ReferenceCheck.run(dbc, queries, targets, roots, roots, present)) {
                dangling += r.dangling();
                long recorded = snap.references().stream().filter(x -> x.name().equals(r.name()))
                        .mapToLong(DatabaseSnapshot.References::dangling).findFirst().orElse(0);
                if (r.dangling() > recorded) {
                    problems.add("references " + r.name() + ": " + r.dangling() + " rows name files the point "
                            + "lacks (it recorded " + recorded + " when sealed), such as " + r.examples());
                }
            }
            return new DatabaseResult(List.copyOf(targets.keySet()), seconds, queries.size(), dangling);
        } finally {
            drop(dbc, targets.values());
        }
    }

    private Set<String> paths(TreeSnapshot t) throws IOException {
        Set<String> out = new HashSet<>();
        try (ManifestReader r = new ManifestReader(contents, t.manifest())) {
            for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                if (!e.isDir()) {
                    out.add(e.path());
                }
            }
        }
        return out;
    }

    private static void drop(DatabaseConfig dbc, java.util.Collection<String> schemas) {
        try (Connection c = Db.connect(dbc); Statement st = c.createStatement()) {
            for (String s : schemas) {
                st.execute("DROP DATABASE IF EXISTS " + Db.quote(s));
            }
        } catch (SQLException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(Drill.class).warn("drill: could not drop the scratch schemas {}: {}",
                    schemas, e.getMessage());
        }
    }

    /** Raises the {@code drill-failed} alert for a failed drill, or clears it for a passing one (if alerts are set). */
    public static void alert(Config config, Result r, Clock clock) {
        if (config.alerts() == null) {
            return;
        }
        new dev.tidemark.alert.Alerter(config.alerts(), config.state(), clock).reconcile(r.ok() ? Map.of()
                : Map.of("drill-failed", "drill of point " + r.point() + " found " + r.problems().size()
                + " problems, the first: " + r.problems().get(0)), "drill-failed"::equals);
    }

    /** Records {@code r} in the repository. */
    public static void record(Repository repo, Result r) throws IOException {
        String base = PREFIX + NAME.format(r.at()) + "-" + r.host().replaceAll("[^A-Za-z0-9._-]", "_") + "-"
                + ProcessHandle.current().pid();
        byte[] bytes = Json.MAPPER.writeValueAsBytes(r);
        for (int n = 0; !repo.store().putIfAbsent(base + (n == 0 ? "" : "-" + n) + ".json", bytes); n++) {
            if (n > 100) {
                throw new IOException("cannot record the drill under " + base + ": every name is taken");
            }
        }
    }

    /**
     * The newest drill of this view's host recorded in the repository (another host's drill rehearsed its own
     * points, not these), or null. Before format 5, the newest of any.
     */
    public static Result latest(Repository repo) throws IOException {
        List<String> keys = new ArrayList<>(repo.store().list(PREFIX));
        keys.sort(null);
        for (int i = keys.size() - 1; i >= 0; i--) {
            Result r;
            try {
                r = Json.MAPPER.readValue(repo.store().get(keys.get(i)), Result.class);
            } catch (IOException e) {
                continue; // unreadable (written by a newer tidemark, or damaged): the one before
            }
            if (repo.space().whole() || repo.host().equals(r.host())) {
                return r;
            }
        }
        return null;
    }
}
