package dev.tidemark.cli;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.check.Drill;
import dev.tidemark.config.Config;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.util.Json;
import dev.tidemark.util.Sizes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "drill", sortOptions = false, description = {
    "Rehearse a restore: a sample of files and the database, checked, timed and recorded.",
    "Rehearse a restore without touching anything live: a random sample of the point's files is",
    "restored into scratch space and read back from the disk against their content keys; the",
    "point's database is loaded into scratch schemas (tidemark_drill_<pid>_<schema>, dropped",
    "afterwards) and its reference queries are checked against the point's own manifests. The time",
    "taken gives the time a whole restore of the point can be expected to take. The outcome is",
    "recorded in the repository (drills/), shown on the status page, and a failure raises the",
    "'drill-failed' alert.",
    "",
    "Exit codes: 0 all sound, 3 damage found (the failing files and packs are named), 1 other failure.",
    "",
    "Examples:",
    "  tidemark drill                         # the latest point, 100 files and the database",
    "  tidemark drill before-upgrade --files 1000 --no-db",
    "  tidemark drill --json | jq .expectedRestoreSeconds",
    "  cron: 0 4 1 */3 *  tidemark drill -q   # a rehearsed restore every quarter"})
final class DrillCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", arity = "0..1", paramLabel = "POINT", description = "A point id, a unique prefix, a "
            + "tag, or 'latest' (the default).")
    String point = PointStore.LATEST;

    @Option(names = "--files", paramLabel = "N", description = "Files to restore and check (default 100).")
    int files = 100;

    @Option(names = "--no-db", description = "Leave the database out.")
    boolean noDb;

    @Option(names = "--scratch", paramLabel = "DIR", description = "Where the sample is restored (default: the "
            + "state directory); removed afterwards.")
    Path scratch;

    @Option(names = "--json", description = "The recorded outcome as one JSON object.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (files < 1 || files > 1_000_000) {
            throw TidemarkException.usage("--files " + files + ": give 1 to 1000000");
        }
        Config config = common.load();
        Drill.Result r;
        try (RepoSession s = RepoSession.read(config, "tidemark drill")) {
            RestorePoint p = new PointStore(s.repo).resolve(point);
            r = new Drill(s.repo, s.contents(), config, Clock.systemUTC()).run(p, files,
                    scratch != null ? scratch : config.state().resolve("drill"), !noDb, new Random());
            Drill.record(s.repo, r);
        }
        Drill.alert(config, r, Clock.systemUTC());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter w = r.ok() ? common.summary(out) : out; // -q: silent when it passed
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>(Json.MAPPER.convertValue(r,
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { }));
            out.println(Json.MAPPER.writeValueAsString(m));
        } else {
            w.printf("drill of point %s: %d files (%s) restored and read back in %s; a whole restore of its files "
                    + "would take about %s%n", r.point(), r.files(), Sizes.bytes(r.bytes()),
                    Sizes.duration(Duration.ofMillis((long) (r.filesSeconds() * 1000))),
                    Sizes.duration(Duration.ofMillis((long) (r.expectedRestoreSeconds() * 1000))));
            if (r.database() != null) {
                w.printf("database %s loaded into scratch schemas in %s; %d reference queries, %d paths the point "
                        + "lacks%n", String.join(", ", r.database().schemas()), Sizes.duration(Duration.ofMillis(
                        (long) (r.database().seconds() * 1000))), r.database().references(), r.database().dangling());
            }
            for (String problem : r.problems()) {
                w.println("problem: " + problem);
            }
            w.println(r.ok() ? "drill passed" : "drill FAILED");
        }
        out.flush();
        if (!r.ok()) {
            spec.commandLine().getErr().printf("tidemark: drill found %d problems%n", r.problems().size());
            return ExitCode.DAMAGED.code();
        }
        return 0;
    }
}
