package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import dev.tidemark.binlog.BinlogArchive;
import dev.tidemark.binlog.Position;
import dev.tidemark.binlog.Replay;
import dev.tidemark.config.Config;
import dev.tidemark.config.HookConfig;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.db.Db;
import dev.tidemark.db.Hooks;
import dev.tidemark.db.Loader;
import dev.tidemark.db.ReferenceCheck;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.util.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The database half of {@code tidemark restore}: target checks, hooks, the load, and the reference check after. */
final class DatabaseRestore {
    private final Config config;
    private final dev.tidemark.repo.Contents contents;
    private final RestorePoint point;
    private final DatabaseSnapshot snap;
    private final Map<String, String> targets;
    private final boolean force;
    private final PrintWriter w;
    /** With --at: the binlog to replay after the point's dump, and the directory holding it. */
    private Replay.Plan replay;
    private Path replayWork;

    DatabaseRestore(Config config, dev.tidemark.repo.Contents contents, RestorePoint point, String into, boolean force,
                    PrintWriter w) {
        this.config = config;
        this.contents = contents;
        this.point = point;
        this.snap = point.database();
        if (snap == null) {
            throw TidemarkException.failed("point " + point.id() + " has no database: it was taken without a "
                    + "'database' section in the config");
        }
        if (snap.dump() == null) {
            throw TidemarkException.failed("point " + point.id() + " was taken without the database ("
                    + snap.skipped() + "); choose an earlier point ('tidemark points' shows which have one)");
        }
        if (into != null && (into.isBlank() || into.length() > 64 || into.contains("`") || into.contains("/")
                || into.contains("\\") || into.contains("."))) {
            throw TidemarkException.usage("--db-into '" + into + "' is not a usable schema name (1-64 characters, no "
                    + "backtick, slash, backslash or dot)");
        }
        this.targets = Loader.targets(snap, into);
        this.force = force;
        this.w = w;
    }

    /**
     * The last point at or before {@code time} that has the database with its binlog coordinates: the base of a
     * restore to {@code time}; a one-line refusal naming what is missing otherwise.
     */
    static RestorePoint baseAt(List<RestorePoint> points, Instant time) {
        RestorePoint base = null;
        for (RestorePoint p : points) {
            DatabaseSnapshot d = p.database();
            if (!p.time().isAfter(time) && d != null && d.dump() != null && d.binlogFile() != null) {
                base = p;
            }
        }
        if (base == null) {
            boolean any = points.stream().anyMatch(p -> p.database() != null && p.database().dump() != null
                    && !p.time().isAfter(time));
            throw TidemarkException.failed("no point at or before " + time + " has the database" + (any
                    ? " with binlog coordinates (the server wrote no binary log then): restore a point by id instead"
                    : ": 'tidemark points' lists the points; the database can be restored only from one of them on"));
        }
        return base;
    }

    /** Plans the replay of the archived binlog from the point's coordinates to {@code time}. */
    void replayTo(dev.tidemark.repo.Repository repo, Instant time) throws IOException {
        // The transactions to replay are copied out first; as large as the binlog since the point, so in the state
        // directory (tidemark's own, on disk), not in /tmp (often a small tmpfs).
        Files.createDirectories(config.state());
        replayWork = Files.createTempDirectory(config.state(), "replay-");
        BinlogArchive archive = BinlogArchive.load(repo);
        if (archive.isEmpty()) {
            throw TidemarkException.failed("the database cannot be restored to " + time + ": no binlog is archived "
                    + "(the daemon archives it when the server writes one: 'tidemark status' says why not). Restore "
                    + "point " + point.id() + " instead");
        }
        Map<String, String> schemas = new LinkedHashMap<>(targets);
        replay = Replay.plan(archive, new Position(snap.binlogFile(), snap.binlogPosition()), time, schemas,
                replayWork);
    }

    /** Removes the replay's local files. */
    void cleanUp() {
        if (replayWork == null) {
            return;
        }
        try (java.util.stream.Stream<Path> s = Files.walk(replayWork)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // temp files; the OS cleans them up eventually
        }
    }

    /** Connects and refuses non-empty targets (unless forced) before anything else happens. */
    void check(boolean dryRun) {
        try (Connection c = Db.connect(config.database())) {
            for (Map.Entry<String, String> t : targets.entrySet()) {
                Long n = Loader.contents(c, t.getValue());
                String state = n == null ? "does not exist" : n == 0 ? "exists, empty" : "exists with " + n
                        + " tables/views/routines/events" + (force ? ": will be dropped and replaced (--force)" : "");
                if (dryRun) {
                    w.printf("database: would load schema %s of point %s into %s (%s): %s rows, %s of SQL%n",
                            t.getKey(), point.id(), t.getValue(), state, Sizes.count(rows(t.getKey())),
                            Sizes.bytes(snap.rawBytes()));
                }
            }
            if (dryRun && replay != null) {
                w.printf("database: would then replay the binlog from %s to %s: %s transactions%s%s%n", replay.from(),
                        replay.to(), Sizes.count(replay.transactions()), replay.skipped() == 0 ? ""
                                : " (" + Sizes.count(replay.skipped()) + " of other schemas left out)",
                        replay.last() == null ? "" : ", the last " + replay.last() + " committed " + replay.lastTime());
            }
            if (!dryRun) {
                Loader.checkTargets(c, targets, force);
            } else {
                try {
                    Loader.checkTargets(c, targets, force);
                } catch (TidemarkException e) {
                    w.println("database: would refuse: " + e.getMessage());
                }
            }
        } catch (SQLException e) {
            throw TidemarkException.failed("checking the target schemas: " + e.getMessage(), e);
        }
    }

    private long rows(String schema) {
        return snap.schemas().stream().filter(s -> s.name().equals(schema)).mapToLong(DatabaseSnapshot.Schema::rows)
                .sum();
    }

    void hook(String field, HookConfig hook, boolean dryRun) {
        if (hook == null) {
            if (dryRun) {
                w.printf("%s: none configured%n", field);
            }
            return;
        }
        String cmd = String.join(" ", hook.command());
        if (dryRun) {
            w.printf("%s: would run %s (timeout %s)%n", field, cmd, Sizes.duration(hook.timeout()));
            return;
        }
        w.printf("%s: running %s%n", field, cmd);
        w.flush();
        long t0 = System.nanoTime();
        Hooks.run(field, hook, Map.of("TIDEMARK_POINT", point.id(), "TIDEMARK_HOOK", field,
                "TIDEMARK_SCHEMAS", String.join(",", targets.values())));
        w.printf("%s: done in %s%n", field, Sizes.duration(Duration.ofNanos(System.nanoTime() - t0)));
    }

    void load(boolean dryRun) throws IOException {
        if (dryRun) {
            return;
        }
        long t0 = System.nanoTime();
        Loader.Loaded l = new Loader(config.database(), contents).load(snap.dump(), targets, force);
        for (Map.Entry<String, String> t : targets.entrySet()) {
            w.printf("restored database %s of point %s into %s: %s rows, %s statements, in %s%n", t.getKey(),
                    point.id(), t.getValue(), Sizes.count(rows(t.getKey())), Sizes.count(l.statements()),
                    Sizes.duration(Duration.ofNanos(System.nanoTime() - t0)));
        }
        if (replay != null) {
            long t1 = System.nanoTime();
            w.flush();
            Replay.run(replay, config.database(), targets);
            w.printf("replayed the binlog from %s to %s: %s transactions%s, in %s%n", replay.from(), replay.to(),
                    Sizes.count(replay.transactions()), replay.last() == null ? "" : " (the last " + replay.last()
                            + ", committed " + replay.lastTime() + ")",
                    Sizes.duration(Duration.ofNanos(System.nanoTime() - t1)));
        }
    }

    /** Runs the reference queries against what was restored; null if there are none. */
    List<ReferenceCheck.Result> references(Map<String, Path> trees) {
        List<DatabaseConfig.ReferenceQuery> queries = ReferenceCheck.queries(config.database(), snap);
        if (queries.isEmpty()) {
            return null;
        }
        Map<String, Path> roots = new LinkedHashMap<>();
        for (TreeConfig t : config.trees()) {
            roots.put(t.name(), t.path());
        }
        return ReferenceCheck.run(config.database(), queries, targets, trees, roots);
    }

    static long dangling(List<ReferenceCheck.Result> results) {
        return results.stream().mapToLong(ReferenceCheck.Result::dangling).sum();
    }

    /** Prints the reference check; false if any row names a missing file. */
    boolean report(List<ReferenceCheck.Result> results, boolean filesRestored) {
        long dangling = 0;
        for (ReferenceCheck.Result r : results) {
            w.printf("references %s: %s paths in the restored database, %s without a file in %s%s%n", r.name(),
                    Sizes.count(r.rows()), Sizes.count(r.dangling()), r.where(), r.examples().isEmpty() ? ""
                            : " (" + String.join(", ", r.examples()) + ")");
            dangling += r.dangling();
        }
        if (dangling > 0) {
            w.printf("tidemark: %d restored rows name files that are not there%s%n", dangling, filesRestored ? ""
                    : " (the files were not restored: --db-only checks against the trees as they are now)");
            return false;
        }
        return true;
    }
}
