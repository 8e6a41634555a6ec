package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
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
import java.nio.file.Path;
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
    }

    /** Prints the reference check; false if any row names a missing file. */
    boolean checkReferences(Map<String, Path> trees, boolean filesRestored) {
        List<DatabaseConfig.ReferenceQuery> queries = config.database().referenceQueries();
        if (queries.isEmpty()) {
            // None declared: the references the point was sealed with, as tidemark discovered them.
            queries = new ArrayList<>();
            for (DatabaseSnapshot.References r : snap.references()) {
                if (DatabaseSnapshot.References.DISCOVERED.equals(r.origin()) && r.sql() != null) {
                    queries.add(new DatabaseConfig.ReferenceQuery(r.name(), r.tree(), r.schema(), r.sql()));
                }
            }
        }
        if (queries.isEmpty()) {
            return true;
        }
        Map<String, Path> roots = new LinkedHashMap<>();
        for (TreeConfig t : config.trees()) {
            roots.put(t.name(), t.path());
        }
        List<ReferenceCheck.Result> results = ReferenceCheck.run(config.database(), queries, targets, trees, roots);
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
