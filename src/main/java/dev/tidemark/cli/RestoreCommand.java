package dev.tidemark.cli;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.config.TreeConfig;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.restore.BlobReader;
import dev.tidemark.restore.Restorer;
import dev.tidemark.util.Sizes;
import java.io.PrintWriter;
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
    "  tidemark restore latest --to /tmp/x --path 'config/**' --dry-run"})
final class RestoreCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "POINT", description = "A point id, a unique prefix of one, a tag, or 'latest'.")
    String point;

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

    @Option(names = "--threads", paramLabel = "N", defaultValue = "4", description = "Files written at once (default: ${DEFAULT-VALUE}).")
    int threads;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Config config = common.load();
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
        PrintWriter w = spec.commandLine().getOut();
        try (RepoSession s = RepoSession.withIndex(config)) {
            RestorePoint p = new PointStore(s.repo).resolve(point);
            Map<TreeSnapshot, Path> plan = plan(config, p);
            for (Map.Entry<TreeSnapshot, Path> e : plan.entrySet()) {
                Restorer.checkTarget(e.getKey().name(), e.getValue(), mirror);
            }
            boolean asRoot = "root".equals(System.getProperty("user.name"));
            Restorer restorer;
            long failed = 0;
            try (BlobReader blobs = new BlobReader(s.repo.store(), s.repo.hasher(), s.index)) {
                restorer = new Restorer(s.repo, blobs, new Restorer.Options(mirror, dryRun, paths, asRoot, threads,
                        common.progress()));
                for (Map.Entry<TreeSnapshot, Path> e : plan.entrySet()) {
                    Restorer.Result r = restorer.restore(e.getKey(), e.getValue());
                    String verb = dryRun ? "would restore" : "restored";
                    w.printf("%s tree %s of point %s into %s: %s files, %s dirs, %s symlinks, %s%s%n", verb,
                            r.tree(), p.id(), r.target(), Sizes.count(r.files()), Sizes.count(r.dirs()),
                            Sizes.count(r.symlinks()), Sizes.bytes(r.bytes()),
                            mirror ? (dryRun ? "; would remove " : "; removed ") + Sizes.count(r.removed())
                                    + " extra entries" : "");
                    for (String f : r.failures()) {
                        w.println("  FAILED " + f);
                    }
                    failed += r.failed();
                    if (!dryRun && !noSync) {
                        Restorer.syncFileSystem(r.target());
                    }
                }
            }
            if (failed > 0) {
                throw new TidemarkException(ExitCode.FAILED, failed + " entries could not be restored (listed above"
                        + " and in the log); everything else was restored");
            }
        }
        return 0;
    }

    private Map<TreeSnapshot, Path> plan(Config config, RestorePoint p) {
        List<TreeSnapshot> chosen = new ArrayList<>();
        if (trees.isEmpty()) {
            chosen.addAll(p.trees());
        } else {
            for (String name : trees) {
                TreeSnapshot t = p.tree(name);
                if (t == null) {
                    throw TidemarkException.usage("point " + p.id() + " has no tree '" + name + "'; it has: "
                            + String.join(", ", p.trees().stream().map(TreeSnapshot::name).toList()));
                }
                chosen.add(t);
            }
        }
        Map<TreeSnapshot, Path> plan = new LinkedHashMap<>();
        for (TreeSnapshot t : chosen) {
            Path target;
            if (to != null) {
                target = to.toAbsolutePath().normalize().resolve(t.name());
            } else {
                TreeConfig tc = config.tree(t.name());
                target = tc != null ? tc.path() : Path.of(t.path());
            }
            plan.put(t, target);
        }
        return plan;
    }
}
