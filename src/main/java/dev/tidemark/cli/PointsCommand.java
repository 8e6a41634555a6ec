package dev.tidemark.cli;

import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.util.Json;
import dev.tidemark.util.Sizes;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "points", description = {"List restore points, oldest first.",
    "--json prints an array of objects with id, time, host, tags, trees and totals."})
final class PointsCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<RestorePoint> all;
        try (RepoSession s = RepoSession.read(common.load(), "tidemark points")) {
            all = new PointStore(s.repo).all();
        }
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            w.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all));
            return 0;
        }
        if (all.isEmpty()) {
            w.println("no restore points yet: take one with 'tidemark point'");
            return 0;
        }
        w.printf("%-20s %-20s %10s %10s %10s  %-9s %s%n", "ID", "TIME (UTC)", "FILES", "SIZE", "NEW", "DATABASE",
                "TAGS");
        for (RestorePoint p : all) {
            String db = p.database() == null ? "-" : p.database().dump() == null ? "SKIPPED"
                    : p.database().dangling() > 0 ? "DANGLING" : "yes";
            w.printf("%-20s %-20s %10s %10s %10s  %-9s %s%n", p.id(), p.time().toString().substring(0, 19).replace('T', ' '),
                    Sizes.count(p.totals().files()), Sizes.bytes(p.totals().bytes()),
                    Sizes.bytes(p.totals().newBytes()), db, String.join(",", p.tags()));
        }
        return 0;
    }
}
