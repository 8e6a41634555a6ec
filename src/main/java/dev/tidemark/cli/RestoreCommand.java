package dev.tidemark.cli;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.BlobReader;
import dev.tidemark.restore.Restorer;
import dev.tidemark.util.Sizes;
import dev.tidemark.journal.Journal;
import dev.tidemark.db.ReferenceCheck;
import dev.tidemark.restore.TopUp;
import java.io.PrintWriter;
import java.time.Instant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "restore", sortOptions = false, description = {
    "Restore a point, or the trees as they were at any second.",
    "Restore a point exactly: bytes (each checked against its content key as it is written), modes,",
    "mtimes, symlinks, and owners when run as root. Files appear whole or not at all.",
    "",
    "With --to DIR each tree lands in DIR/<tree name>/. Without --to each tree goes back to its",
    "configured path (the disaster case). A target must be empty unless --mirror is given, which",
    "makes it exactly the point: files the point does not have are removed. Nothing is ever written",
    "outside the target, whatever a manifest says.",
    "",
    "Examples:",
    "  tidemark restore latest --to /tmp/check                 # rehearse a restore",
    "  tidemark restore 20261121T0300 --tree facedata --mirror # put facedata back exactly",
    "  tidemark restore latest --to /tmp/x --path 'config/**' --dry-run",
    "  tidemark restore --at 2026-11-21T14:05:09Z --tree qr --to /tmp/before-the-bad-upload",
    "",
    "The database (--db): the full restore puts the trees back exactly (mirror) and the point's",
    "schemas into the server, in this order: hooks.preRestore (stop the photo services), files,",
    "database, hooks.postRestore (regenerate thumbnails); then every reference query runs against",
    "what was restored and each path it returns is looked for on disk. A schema that exists and is",
    "not empty is refused unless --force (it is dropped, then loaded). --db-into NAME loads the",
    "point's schema under another name, beside the live one.",
    "  tidemark restore latest --db --dry-run                  # print the plan, change nothing",
    "  tidemark restore latest --db                            # the disaster case",
    "  tidemark restore latest --db-only --db-into s01_check   # rehearse the database only",
    "",
    "Any second (--at TIME with --db, --db-into or --db-only): the dump of the last point at or",
    "before TIME, then the transactions the daemon archived from the server's binlog up to TIME",
    "(whole transactions, to the second), then the files as of TIME from the journal; a row",
    "committed by TIME whose file was journaled just after it gets that file. Refused, with the",
    "reason, if the archived binlog does not reach TIME (a gap, or the daemon was not following).",
    "  tidemark restore --at 2026-11-21T14:04:59Z --db --dry-run      # base point, binlog, files",
    "  tidemark restore --at 2026-11-21T14:04:59Z --db-only --db-into s01_before"})
final class RestoreCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    JsonProgressOption jsonProgress;

    @Mixin
    ReplicaOption replica;

    @Parameters(paramLabel = "POINT", arity = "0..1",
            description = "A point id, a unique prefix of one, a tag, or 'latest' (or use --at).")
    String point;

    @Option(names = "--at", paramLabel = "TIME", description = {"Restore the trees as they were at TIME, to the second:",
        "the last point before TIME with the daemon's journal on top (and with --db, the database",
        "through the archived binlog). TIME is ISO-8601, with a zone",
        "(2026-11-21T14:05:09Z, 2026-11-21T15:05:09+01:00) or local (2026-11-21T15:05:09)."})
    String at;

    @Option(names = "--to", paramLabel = "DIR", description = "Restore under DIR/<tree name>/ instead of the trees' own paths.")
    Path to;

    @Option(names = "--tree", paramLabel = "NAME", description = "Only this tree (repeatable). Default: every tree of the point.")
    List<String> trees = new ArrayList<>();

    @Option(names = "--path", paramLabel = "GLOB", description = {"Only paths matching GLOB, relative to the tree root",
        "(repeatable; a matching directory brings everything under it; ** crosses '/')."})
    List<String> paths = new ArrayList<>();

    @Option(names = "--dry-run", description = "Print what would be restored and removed; change nothing.")
    boolean dryRun;

    @Option(names = "--mirror", description = "Make each target exactly the point: overwrite, and remove extra files.")
    boolean mirror;

    @Option(names = "--no-sync", description = {"Skip the final flush of the restored files to disk (one syncfs).",
        "Faster, as cp and rsync are; a power cut right after may lose part of the restore."})
    boolean noSync;

    @Option(names = "--json", description = {"One JSON object per line instead of the summary: {\"message_type\":",
        "\"undo\", \"point\"} when an undo point was taken, {\"message_type\":\"tree\", \"tree\", \"from\", \"target\",",
        "\"files\", \"dirs\", \"symlinks\", \"bytes\", \"removed\", \"failed\", \"dryRun\"} per tree, then",
        "{\"message_type\":\"summary\", \"trees\", \"files\", \"bytes\", \"failed\", \"database\"}."})
    boolean json;

    @Option(names = "--no-undo", description = {"Do not take a point of the trees (and the live database) before a",
        "restore replaces them in place. Without this, such a restore first takes one, tagged before-restore,",
        "and says how to go back to it."})
    boolean noUndo;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "4", description = "Files written at once (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--db", description = {"Full restore: the trees (mirror mode unless --to) and the point's database",
        "into its own schemas, with the restore hooks around them."})
    boolean db;

    @Option(names = "--db-into", paramLabel = "NAME", description = "Load the point's schema as NAME instead (implies --db).")
    String dbInto;

    @Option(names = "--db-only", description = "Restore the database and nothing else (no files, no hooks).")
    boolean dbOnly;

    @Option(names = "--force", description = "Replace a target schema that exists and is not empty (it is dropped first).")
    boolean force;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Config config = replica.apply(common.load());
        if (threads < 1 || threads > 64) {
            throw TidemarkException.usage("--threads " + threads + ": use 1 to 64");
        }
        for (String g : paths) {
            try {
                java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + g);
            } catch (RuntimeException e) {
                throw TidemarkException.usage("--path '" + g + "' is not a valid glob: " + e.getMessage());
            }
        }
        if ((point == null) == (at == null)) {
            throw TidemarkException.usage(point == null ? "name a POINT (an id, a tag, 'latest') or give --at TIME"
                    : "give either POINT or --at TIME, not both");
        }
        Instant time = at == null ? null : RestoreJobs.parseTime(at);
        boolean withDb = db || dbInto != null || dbOnly;
        if (force && !withDb) {
            throw TidemarkException.usage("--force replaces a database schema: it needs --db, --db-into or --db-only");
        }
        if (withDb && config.database() == null) {
            throw TidemarkException.usage(config.file() + " has no 'database' section: it names the server to restore "
                    + "into (url, user, password)");
        }
        if (dbOnly && (!trees.isEmpty() || !paths.isEmpty() || to != null || mirror)) {
            throw TidemarkException.usage("--db-only restores no files: drop --tree, --path, --to and --mirror");
        }
        boolean full = withDb && !dbOnly;
        if (full && to == null) {
            mirror = true; // the disaster case: each tree becomes exactly the point, as the database will be
        }
        PrintWriter w = json ? new PrintWriter(java.io.Writer.nullWriter())
                : dryRun ? spec.commandLine().getOut() : common.summary(spec.commandLine().getOut());
        // In place: the live trees (no --to) or the live schema (no --db-into) are about to be replaced. What is
        // there now, backed up or not, goes into a point first, so that the restore can be undone.
        boolean filesInPlace = !dbOnly && to == null;
        boolean dbInPlace = withDb && dbInto == null;
        if (!dryRun && !noUndo && (filesInPlace || dbInPlace)) {
            // The checks first (a refused restore takes no point), and the point named now, so that 'latest' is the
            // latest before the undo point, not the undo point itself.
            try (RepoSession s = RepoSession.withIndex(config, "tidemark restore")) {
                if (time == null) {
                    point = new PointStore(s.repo).resolve(point).id();
                }
                for (RestoreJobs.Job j : jobs(config, s, time, dbOnly)) {
                    Restorer.checkTarget(j.tree().name(), j.target(), mirror);
                }
                if (withDb) {
                    PointStore store = new PointStore(s.repo);
                    DatabaseRestore pre = new DatabaseRestore(config, s.contents(), time == null
                            ? store.resolve(point) : DatabaseRestore.baseAt(store.ofHost(), time), dbInto, force,
                            new PrintWriter(java.io.Writer.nullWriter()));
                    try {
                        pre.check(false); // a live schema without --force is refused here, before any point
                    } finally {
                        pre.cleanUp();
                    }
                }
            }
            UndoPoint undo = new UndoPoint(config, common, replica.name != null, json, spec.commandLine().getOut(),
                    spec.commandLine().getErr());
            RestorePoint taken = undo.take(filesInPlace, dbInPlace);
            if (taken != null && filesInPlace && mirror) {
                try (RepoSession s = RepoSession.withIndex(config, "tidemark restore")) {
                    undo.removals(s, taken, jobs(config, s, time, dbOnly), paths.isEmpty());
                }
            }
        }
        DatabaseRestore dbr = null;
        try (RepoSession s = RepoSession.withIndex(config, "tidemark restore")) {
            List<RestoreJobs.Job> jobs = jobs(config, s, time, dbOnly);
            for (RestoreJobs.Job j : jobs) {
                Restorer.checkTarget(j.tree().name(), j.target(), mirror);
            }
            if (withDb) {
                PointStore store = new PointStore(s.repo);
                dbr = new DatabaseRestore(config, s.contents(), time == null ? store.resolve(point)
                        : DatabaseRestore.baseAt(store.ofHost(), time), dbInto, force, w);
                if (time != null) {
                    dbr.replayTo(s.repo, time);
                }
                dbr.check(dryRun);
                if (full) {
                    dbr.hook("hooks.preRestore", config.hooks().preRestore(), dryRun);
                }
            }
            boolean asRoot = "root".equals(System.getProperty("user.name"));
            long failed = 0;
            long totalFiles = 0;
            long totalBytes = 0;
            try (BlobReader blobs = s.index.reader(s.repo)) {
                Restorer restorer = new Restorer(blobs, new Restorer.Options(mirror, dryRun, paths, asRoot,
                        threads, common.progress(json, jsonProgress, spec.commandLine().getOut())));
                for (RestoreJobs.Job j : jobs) {
                    Restorer.Result r = restorer.restore(j.tree(), j.target(), j.entries());
                    String verb = dryRun ? "would restore" : "restored";
                    w.printf("%s tree %s of %s into %s: %s files, %s dirs, %s symlinks, %s%s%n", verb,
                            r.tree(), j.what(), r.target(), Sizes.count(r.files()), Sizes.count(r.dirs()),
                            Sizes.count(r.symlinks()), Sizes.bytes(r.bytes()),
                            mirror ? (dryRun ? "; would remove " : "; removed ") + Sizes.count(r.removed())
                                    + " extra entries" : "");
                    failed += r.failed();
                    for (String f : r.failures()) { // once each, on stderr (and in the log file)
                        spec.commandLine().getErr().println("  " + f);
                    }
                    if (r.failed() > r.failures().size()) {
                        spec.commandLine().getErr().printf("  ... and %d more (only the count is kept)%n",
                                r.failed() - r.failures().size());
                    }
                    if (json) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("message_type", "tree");
                        m.put("tree", r.tree());
                        m.put("from", j.what());
                        m.put("target", r.target().toString());
                        m.put("files", r.files());
                        m.put("dirs", r.dirs());
                        m.put("symlinks", r.symlinks());
                        m.put("bytes", r.bytes());
                        m.put("removed", r.removed());
                        m.put("failed", r.failed());
                        m.put("dryRun", dryRun);
                        jsonLine(m);
                    }
                    totalFiles += r.files();
                    totalBytes += r.bytes();
                    if (!dryRun && !noSync) {
                        Restorer.syncFileSystem(r.target());
                    }
                }
            }
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("message_type", "summary");
                m.put("trees", jobs.size());
                m.put("files", totalFiles);
                m.put("bytes", totalBytes);
                m.put("failed", failed);
                m.put("database", withDb && failed == 0);
                m.put("dryRun", dryRun);
                jsonLine(m);
            }
            if (failed > 0) {
                throw new TidemarkException(ExitCode.FAILED, failed + " entries could not be restored (named "
                        + "above); everything else was restored"
                        + (withDb ? "; the database was not restored" : ""));
            }
            if (dbr != null) {
                dbr.load(dryRun);
                if (full) {
                    dbr.hook("hooks.postRestore", config.hooks().postRestore(), dryRun);
                }
                Map<String, Path> where = new LinkedHashMap<>();
                for (TreeConfig t : config.trees()) {
                    where.put(t.name(), t.path());
                }
                for (RestoreJobs.Job j : jobs) {
                    where.put(j.tree().name(), j.target());
                }
                if (!dryRun) {
                    List<ReferenceCheck.Result> refs = dbr.references(where);
                    if (refs != null && time != null && !dbOnly && DatabaseRestore.dangling(refs) > 0) {
                        if (topUp(config, s, time, refs, where, asRoot) > 0) {
                            refs = dbr.references(where);
                        }
                    }
                    if (refs != null && !dbr.report(refs, !dbOnly)) {
                        return ExitCode.FAILED.code();
                    }
                }
            }
        } finally {
            if (dbr != null) {
                dbr.cleanUp();
            }
        }
        return 0;
    }

    /** The trees to restore: none with --db-only, the point's, or a point and the journal at {@code time}. */
    private List<RestoreJobs.Job> jobs(Config config, RepoSession s, Instant time, boolean none)
            throws java.io.IOException {
        RestoreJobs plan = new RestoreJobs(config, trees, to);
        return none ? List.of() : time == null ? plan.forPoint(s, point) : plan.atTime(s, time);
    }

    private void jsonLine(Map<String, Object> m) throws java.io.IOException {
        PrintWriter out = spec.commandLine().getOut();
        out.println(dev.tidemark.util.Json.MAPPER.writeValueAsString(m));
        out.flush();
    }

    /**
     * A restore to a time put back rows committed at or before it whose files the daemon journaled just after it (the
     * app writes the file, then the row; the daemon copies the file once it settles, up to run.maxDelay later): each
     * such file is taken from the journal's first version of it after the time, as a point's seal does.
     */
    private int topUp(Config config, RepoSession s, Instant time, List<ReferenceCheck.Result> refs,
                      Map<String, Path> where, boolean asRoot) throws java.io.IOException {
        Map<String, Map<String, dev.tidemark.point.FileEntry>> wanted = new LinkedHashMap<>();
        for (ReferenceCheck.Result r : refs) {
            Map<String, dev.tidemark.point.FileEntry> m = wanted.computeIfAbsent(r.tree(), k -> new LinkedHashMap<>());
            for (String p : r.missing()) {
                m.put(p, null);
            }
        }
        Instant until = time.plus(config.run().maxDelay()).plus(config.run().settle()).plusSeconds(60);
        new Journal(s.repo).readBetween(time.plusNanos(1), until, e -> {
            Map<String, dev.tidemark.point.FileEntry> m = wanted.get(e.tree());
            if (m != null && e.entry() != null && m.containsKey(e.path()) && m.get(e.path()) == null) {
                m.put(e.path(), e.entry());
            }
        });
        int n = 0;
        PrintWriter w = spec.commandLine().getOut();
        try (BlobReader blobs = s.index.reader(s.repo)) {
            for (Map.Entry<String, Map<String, dev.tidemark.point.FileEntry>> t : wanted.entrySet()) {
                List<dev.tidemark.point.FileEntry> files = t.getValue().values().stream()
                        .filter(java.util.Objects::nonNull).toList();
                Path target = where.get(t.getKey());
                if (files.isEmpty() || target == null) {
                    continue;
                }
                int k = TopUp.write(blobs, target, files, asRoot);
                w.printf("tree %s: added %d files the restored rows name, journaled within %s after %s%n",
                        t.getKey(), k, Sizes.duration(java.time.Duration.between(time, until)), time);
                n += k;
            }
        }
        return n;
    }
}
