package dev.tidemark.cli;

import dev.tidemark.config.Config;
import dev.tidemark.config.ConfigLoader;
import dev.tidemark.config.Retention;
import dev.tidemark.prune.PrunePlan;
import dev.tidemark.prune.PruneRun;
import dev.tidemark.prune.Pruner;
import dev.tidemark.repo.DeferredDeletes;
import dev.tidemark.util.Json;
import dev.tidemark.util.Sizes;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "prune", sortOptions = false, description = {
    "Delete what no restore point needs any more.",
    "Delete what no restore point and no kept journal change needs any more: packs of forgotten",
    "content (packs that are partly in use are repacked first), manifests and database dumps of",
    "forgotten points, and journal objects older than retention.journalWithin or merged into others.",
    "",
    "First a plan, with counts and bytes (--dry-run prints it and stops); then, in an order that keeps",
    "the repository whole if it is interrupted: new packs written and made durable, the journal's horizon",
    "moved, then deletions. Objects a running reader (a restore, a verify) may still read are left for",
    "the next prune. The daemon ('tidemark run') forgets and prunes by itself every retention.every.",
    "",
    "Examples:",
    "  tidemark prune --dry-run",
    "  tidemark prune --max-unused 0%%           # repack until nothing unused is left",
    "  tidemark prune --max-repack 2GiB --json   # bound the work of one run"})
final class PruneCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    JsonProgressOption jsonProgress;

    @Option(names = "--dry-run", description = "Print the plan; change nothing.")
    boolean dryRun;

    @Option(names = "--max-unused", paramLabel = "LIMIT", description = {"Unused data tolerated after the prune: a",
        "percentage (default: retention.maxUnused, else 5%%), a size (200MiB), or 'unlimited' (no repacking)."})
    String maxUnused;

    @Option(names = "--max-repack", paramLabel = "SIZE", description = "Repack at most SIZE (500MiB, 2GiB) in this run.")
    String maxRepack;

    @Option(names = "--json", description = "Print the plan and the result as JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Config config = common.load();
        Pruner.Options o = options(config, maxUnused, maxRepack);
        PrintWriter w = json || dryRun ? spec.commandLine().getOut() : common.summary(spec.commandLine().getOut());
        try (RepoSession s = dryRun ? RepoSession.withIndex(config, "tidemark prune --dry-run")
                : RepoSession.write(config, Clock.systemUTC(), "tidemark prune",
                "the daemon prunes by itself every retention.every (see 'tidemark status'); stop it to prune now")) {
            return prune(s, o, dryRun, json, w, common, jsonProgress);
        }
    }

    /** Options from the config's retention section, overridden by the command line's. */
    static Pruner.Options options(Config config, String maxUnused, String maxRepack) {
        Pruner.Options o = Pruner.Options.of(config.retention());
        Retention.MaxUnused unused = maxUnused == null ? o.maxUnused()
                : ConfigLoader.flagMaxUnused("--max-unused", maxUnused);
        long repack = maxRepack == null ? o.maxRepack() : ConfigLoader.flagSize("--max-repack", maxRepack);
        return new Pruner.Options(unused, repack, o.journalWithin());
    }

    /** Plans, prints, and (unless a dry run) carries out a prune in session {@code s}. */
    static int prune(RepoSession s, Pruner.Options o, boolean dryRun, boolean json, PrintWriter w,
                     CommonOptions common, JsonProgressOption jp) throws Exception {
        return prune(s, o, Set.of(), dryRun, json, w, common, jp);
    }

    /** As above, treating the points in {@code forgetting} as gone (a dry run of forget --prune). */
    static int prune(RepoSession s, Pruner.Options o, Set<String> forgetting, boolean dryRun, boolean json,
                     PrintWriter w, CommonOptions common, JsonProgressOption jp) throws Exception {
        PrunePlan plan = new Pruner(s.repo, s.index, Clock.systemUTC(), common.progress(json, jp, w)).plan(o,
                forgetting);
        if (!json) {
            printPlan(w, plan, s.repo.location(), dryRun);
        }
        PruneRun.Result result = null;
        if (!dryRun && !plan.empty()) {
            DeferredDeletes deletes = new DeferredDeletes(s.repo.store(), Clock.systemUTC(), s.lock);
            result = new PruneRun(plan, s.repo, s.index, s.lock, deletes).runAll();
            if (!json) {
                printResult(w, result);
            }
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("message_type", "summary");
            out.put("dryRun", dryRun);
            out.put("plan", plan);
            out.put("result", result);
            w.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        }
        return 0;
    }

    private static String pct(long part, long whole) {
        return whole == 0 ? "0 %" : String.format("%.1f %%", 100.0 * part / whole);
    }

    static void printPlan(PrintWriter w, PrunePlan p, String where, boolean dryRun) {
        PrunePlan.Bytes b = p.bytes();
        w.printf("prune %s: %d restore points kept%s%n", where, p.points(), dryRun ? " (dry run: nothing is changed)" : "");
        w.printf("  in use      %12s blobs %12s%n", Sizes.count(p.blobs().used()), Sizes.bytes(b.used()));
        w.printf("  duplicates  %12s blobs %12s%n", Sizes.count(p.blobs().duplicate()), Sizes.bytes(b.duplicate()));
        w.printf("  unused      %12s blobs %12s  (+%s of dead space in packs)%n", Sizes.count(p.blobs().unused()),
                Sizes.bytes(b.unused()), Sizes.bytes(b.dead()));
        w.printf("  packs       %d in all (%s): %d kept, %d to repack (%s, %s of it unused), %d to delete (%s)%n",
                p.packs().total(), Sizes.bytes(b.total()), p.packs().keep(), p.packs().repack(),
                Sizes.bytes(p.repackBytes()), Sizes.bytes(p.repackUnused()), p.packs().delete(),
                Sizes.bytes(p.deleteBytes()));
        w.printf("  objects     %d manifests, %d database dumps, %d journal objects (%s) to delete%n",
                p.manifests().size(), p.dumps().size(), p.journal().size(), Sizes.bytes(p.journalBytes()));
        if (p.horizon() != null) {
            w.printf("  journal     kept from %s (point %s): 'restore --at' earlier uses points only%n",
                    p.horizon().time(), p.horizon().point());
        }
        if (!p.damagedPacks().isEmpty()) {
            w.printf("  damaged     %d packs with unreadable trailers are left alone: run 'tidemark verify "
                    + "--read-data'%n", p.damagedPacks().size());
        }
        w.printf("  after       %s in packs, %s unused (%s)%n", Sizes.bytes(p.afterBytes()),
                Sizes.bytes(p.afterUnused()), pct(p.afterUnused(), p.afterBytes()));
        if (p.empty()) {
            w.println("nothing to prune");
        }
    }

    static void printResult(PrintWriter w, PruneRun.Result r) {
        w.printf("pruned: %d packs repacked into %d (%s written); deleted %d packs, %d manifests, %d database dumps, "
                        + "%d journal objects%n", r.packsRepacked(), r.packsWritten(), Sizes.bytes(r.bytesWritten()),
                r.packsDeleted(), r.manifestsDeleted(), r.dumpsDeleted(), r.journalDeleted());
        if (r.objectsWaiting() > 0) {
            w.printf("%d objects are left for now: a reader that started before the prune may still need them (%s); "
                    + "the next prune deletes them%n", r.objectsWaiting(), String.join("; ", r.waitingFor()));
        }
        if (!r.packsKept().isEmpty()) {
            w.printf("%d packs were kept after all (damaged, or in use again): see the log%n", r.packsKept().size());
        }
    }
}
