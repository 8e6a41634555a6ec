package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.config.ConfigLoader;
import dev.tidemark.config.Retention;
import dev.tidemark.prune.Forget;
import dev.tidemark.util.Json;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "forget", sortOptions = false, description = {
    "Forget the restore points a retention policy does not keep.",
    "Forget restore points a retention policy does not keep: their records go; their content stays",
    "in the repository until 'tidemark prune' (or --prune) removes what nothing needs any more.",
    "",
    "The policy is the config's 'retention' section, or the --keep-* options (which replace it).",
    "Every point is listed with the rules that keep it, or 'forget'. The newest point is always kept,",
    "and so is the point the journal starts from (so 'restore --at' reaches back retention.journalWithin).",
    "Calendar rules use this machine's time zone; --keep-within counts back from the newest point.",
    "",
    "Examples:",
    "  tidemark forget --dry-run                       # what the config's policy would forget",
    "  tidemark forget --keep-daily 7 --keep-weekly 4 --prune",
    "  tidemark forget --keep-within 48h --keep-tag manual --json"})
final class ForgetCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--keep-last", paramLabel = "N", description = "Keep the N newest points.")
    Integer keepLast;

    @Option(names = "--keep-within", paramLabel = "DURATION",
            description = "Keep every point within DURATION (48h, 7d, 4w) of the newest.")
    String keepWithin;

    @Option(names = "--keep-hourly", paramLabel = "N", description = "Keep the newest point of each of the last N hours.")
    Integer keepHourly;

    @Option(names = "--keep-daily", paramLabel = "N", description = "Likewise for days.")
    Integer keepDaily;

    @Option(names = "--keep-weekly", paramLabel = "N", description = "Likewise for ISO weeks.")
    Integer keepWeekly;

    @Option(names = "--keep-monthly", paramLabel = "N", description = "Likewise for months.")
    Integer keepMonthly;

    @Option(names = "--keep-yearly", paramLabel = "N", description = "Likewise for years.")
    Integer keepYearly;

    @Option(names = "--keep-tag", paramLabel = "TAG", description = "Keep every point tagged TAG (repeatable).")
    List<String> keepTags = new ArrayList<>();

    @Option(names = "--dry-run", description = "Show what would be forgotten; change nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "Print the decisions as JSON.")
    boolean json;

    @Option(names = "--prune", description = "Then prune: delete the content nothing needs any more (see 'tidemark prune').")
    boolean prune;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Config config = common.load();
        Retention.Policy policy = policy(config);
        Duration journalWithin = config.retention() == null ? Retention.DEFAULT_JOURNAL_WITHIN
                : config.retention().journalWithin();
        PrintWriter w = json || dryRun ? spec.commandLine().getOut() : common.summary(spec.commandLine().getOut());
        List<Forget.Decision> decisions;
        try (RepoSession s = !dryRun ? RepoSession.write(config, Clock.systemUTC(), "tidemark forget",
                "the daemon forgets and prunes by itself every retention.every (see 'tidemark status'); stop it to forget now")
                : prune ? RepoSession.withIndex(config, "tidemark forget --dry-run")
                : RepoSession.read(config, "tidemark forget --dry-run")) {
            decisions = Forget.run(s.repo, policy, journalWithin, ZoneId.systemDefault(), Clock.systemUTC(),
                    dryRun ? null : s.lock);
            print(w, policy, decisions);
            if (prune) {
                w.flush();
                Set<String> forgetting = new HashSet<>();
                for (Forget.Decision d : decisions) {
                    if (!d.keep()) {
                        forgetting.add(d.point().id());
                    }
                }
                return PruneCommand.prune(s, PruneCommand.options(config, null, null), forgetting, dryRun, json, w,
                        common, null);
            }
        }
        return 0;
    }

    private Retention.Policy policy(Config config) {
        boolean flags = keepLast != null || keepWithin != null || keepHourly != null || keepDaily != null
                || keepWeekly != null || keepMonthly != null || keepYearly != null || !keepTags.isEmpty();
        Retention.Policy p;
        if (flags) {
            p = new Retention.Policy(count("--keep-last", keepLast),
                    keepWithin == null ? null : ConfigLoader.flagDuration("--keep-within", keepWithin,
                            Duration.ofMinutes(1), Duration.ofDays(36_500)),
                    count("--keep-hourly", keepHourly), count("--keep-daily", keepDaily),
                    count("--keep-weekly", keepWeekly), count("--keep-monthly", keepMonthly),
                    count("--keep-yearly", keepYearly), List.copyOf(keepTags));
        } else if (config.retention() != null) {
            p = config.retention().policy();
        } else {
            throw TidemarkException.usage(config.file() + " has no 'retention' section: add one (see "
                    + "config/tidemark.json) or give --keep-last, --keep-daily, ... on the command line");
        }
        if (p.empty()) {
            throw TidemarkException.usage("that policy keeps nothing but the newest point: give at least one --keep-* "
                    + "option with a count above 0");
        }
        return p;
    }

    private static int count(String flag, Integer n) {
        if (n == null) {
            return 0;
        }
        if (n < 0) {
            throw TidemarkException.usage(flag + " " + n + ": give a number of points, 0 or more");
        }
        return n;
    }

    private void print(PrintWriter w, Retention.Policy policy, List<Forget.Decision> decisions) throws Exception {
        long kept = decisions.stream().filter(Forget.Decision::keep).count();
        long gone = decisions.size() - kept;
        if (json) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (Forget.Decision d : decisions) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", d.point().id());
                m.put("time", d.point().time().toString());
                m.put("tags", d.point().tags());
                m.put("keep", d.keep());
                m.put("reasons", d.reasons());
                list.add(m);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("policy", policy.toString());
            out.put("dryRun", dryRun);
            out.put("kept", kept);
            out.put("forgotten", gone);
            out.put("points", list);
            w.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out));
            return;
        }
        w.printf("policy: %s%n", policy);
        for (Forget.Decision d : decisions) {
            w.printf("  %-20s %-8s %-36s %s%n", d.point().id(), d.keep() ? "keep" : "forget",
                    String.join(", ", d.reasons()), d.point().tags().isEmpty() ? "" : "[" + String.join(",",
                    d.point().tags()) + "]");
        }
        w.printf("%d restore points kept, %d %s%s%n", kept, gone, dryRun ? "would be forgotten" : "forgotten",
                dryRun ? " (dry run: nothing was changed)" : gone > 0 && !prune
                        ? "; their content stays until 'tidemark prune'" : "");
    }
}
