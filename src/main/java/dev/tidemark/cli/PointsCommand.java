package dev.tidemark.cli;

import dev.tidemark.binlog.BinlogArchive;
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
    "Every host's, with a HOST column when the repository holds several hosts' points;",
    "--host NAME lists one host's.",
    "--json prints an array of objects with id, time, host, tags, trees and totals."})
final class PointsCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    ReplicaOption replica;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<RestorePoint> all;
        BinlogArchive binlog;
        String host;
        try (RepoSession s = RepoSession.read(replica.apply(common.load()), "tidemark points")) {
            host = s.repo.host();
            all = common.host != null ? new PointStore(s.repo).ofHost() : new PointStore(s.repo).all();
            binlog = BinlogArchive.load(s.repo);
        }
        boolean hosts = all.stream().map(RestorePoint::host).distinct().count() > 1;
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            w.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all));
            return 0;
        }
        if (all.isEmpty()) {
            w.println("no restore points yet: take one with 'tidemark point'");
            return 0;
        }
        w.printf("%-20s %-20s %s%10s %10s %10s  %-9s %s%n", "ID", "TIME (UTC)", hosts ? String.format("%-16s ", "HOST")
                : "", "FILES", "SIZE", "NEW", "DATABASE", "TAGS");
        for (RestorePoint p : all) {
            String db = p.database() == null ? "-" : p.database().dump() == null ? "SKIPPED"
                    : p.database().dangling() > 0 ? "DANGLING" : "yes";
            w.printf("%-20s %-20s %s%10s %10s %10s  %-9s %s%n", p.id(),
                    p.time().toString().substring(0, 19).replace('T', ' '),
                    hosts ? String.format("%-16s ", p.host()) : "", Sizes.count(p.totals().files()),
                    Sizes.bytes(p.totals().bytes()),
                    Sizes.bytes(p.totals().newBytes()), db, String.join(",", p.tags()));
        }
        String between = databaseBetweenPoints(hosts ? all.stream().filter(p -> p.host().equals(host)).toList()
                : all, binlog);
        if (between != null) {
            w.println(between);
        }
        return 0;
    }

    /** What the database can be restored to besides the points: a line, or null if no point has the database. */
    static String databaseBetweenPoints(List<RestorePoint> all, BinlogArchive binlog) {
        RestorePoint first = null;
        RestorePoint last = null;
        for (RestorePoint p : all) {
            if (p.database() != null && p.database().dump() != null) {
                last = p;
                if (first == null && p.database().binlogFile() != null) {
                    first = p;
                }
            }
        }
        if (last == null) {
            return null;
        }
        if (last.database().binlogFile() == null) {
            return "database: restorable to the points only: the server wrote no binary log when " + last.id()
                    + " was taken (log_bin; the README lists the settings for restores to any second)";
        }
        if (binlog.isEmpty()) {
            return "database: restorable to the points only: no binlog is archived yet ('tidemark run' archives it; "
                    + "'tidemark status' says how it goes)";
        }
        String gaps = binlog.gaps().isEmpty() ? "" : "; " + binlog.gaps().size() + " gap(s) in the archived binlog "
                + "(the first at " + binlog.gaps().get(0).at() + "): no restore to a time across one";
        return "database: restorable to any second from " + (first == null ? last.id() : first.id()) + " to "
                + binlog.checked() + " (restore --at TIME --db)" + gaps;
    }
}
