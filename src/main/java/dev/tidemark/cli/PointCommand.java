package dev.tidemark.cli;

import dev.tidemark.ExitCode;
import dev.tidemark.config.Config;
import dev.tidemark.config.ConfigLoader;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.scan.PointTaker;
import dev.tidemark.util.Sizes;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.daemon.Control;
import dev.tidemark.point.DatabaseSnapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "point", description = {"Take a restore point.",
    "Take a restore point: scan every tree, copy new content into the repository,",
    "commit the point. Unchanged files (same size, mtime, ctime and inode) are not read again.",
    "With a database configured, its snapshot is sealed into the same point (see 'tidemark help db').",
    "Exit code 5 if the point is committed incomplete: files that could not be read, the database",
    "skipped (database.whenDown \"skip\"), or rows naming files the trees lack (database.dangling \"flag\").",
    "While 'tidemark run' is running, the daemon takes the point (it holds the writer lock)."})
final class PointCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    JsonProgressOption jsonProgress;

    @Option(names = {"-t", "--tag"}, paramLabel = "TAG", description = "Tag the point (repeatable).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--json", description = {"Print {\"message_type\":\"summary\", \"point\": the committed point's record,",
        "\"problems\": [...]} on one line instead of the summary."})
    boolean json;

    @Option(names = "--allow-empty", description = {"Record a tree that is empty now although the latest point has",
        "files in it. Without this, that fails: an unmounted disk looks exactly like an emptied tree."})
    boolean allowEmpty;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        tags.forEach(dev.tidemark.point.PointStore::checkTag); // before anything is read or written
        Config config = common.load();
        org.slf4j.LoggerFactory.getLogger(PointCommand.class).debug("JVM up for {} ms when the config was read",
                java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime());
        PrintWriter w = common.summary(spec.commandLine().getOut());
        // A running daemon holds the writer lock: ask it to take the point.
        if (!allowEmpty) {
            JsonNode reply = Control.call(config.controlSocket(), Map.of("command", "point", "tags", tags));
            if (reply != null) {
                RestorePoint byDaemon = StatusCommand.point(reply);
                if (json) {
                    json(byDaemon, List.of(), "daemon");
                } else {
                    print(w, byDaemon, "by the running daemon");
                }
                return 0;
            }
        }
        ConfigLoader.requireTreesExist(config);
        PointTaker.Outcome out;
        try (RepoSession s = RepoSession.writeShared(config, Clock.systemUTC(), "tidemark point", null)) {
            out = new PointTaker(config, s.repo, s.index, s.lock, Clock.systemUTC(),
                    common.progress(json, jsonProgress, spec.commandLine().getOut())).take(tags, allowEmpty);
        }
        RestorePoint p = out.point();
        if (json) {
            json(p, out.problems(), "point");
            return out.problems().isEmpty() ? 0 : ExitCode.INCOMPLETE.code();
        }
        print(w, p, null);
        if (!out.problems().isEmpty()) {
            w.flush();
            PrintWriter err = spec.commandLine().getErr();
            int shown = 0;
            for (String prob : out.problems()) {
                if (shown++ == 20) {
                    err.printf("  ... and %d more (see the log)%n", out.problems().size() - 20);
                    break;
                }
                err.println(prob.startsWith("database: ") ? "  " + prob : "  left out: " + prob);
            }
            err.printf("tidemark: point %s is incomplete: %d problem(s), listed above%n", p.id(), out.problems().size());
            err.flush();
            return ExitCode.INCOMPLETE.code();
        }
        return 0;
    }

    private void json(RestorePoint p, List<String> problems, String by) throws java.io.IOException {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("message_type", "summary");
        m.put("takenBy", by);
        m.put("point", p);
        m.put("problems", problems);
        PrintWriter out = spec.commandLine().getOut();
        out.println(dev.tidemark.util.Json.MAPPER.writeValueAsString(m));
        out.flush();
    }

    private static void print(PrintWriter w, RestorePoint p, String by) {
        w.printf("restore point %s committed%s%n", p.id(), by == null ? "" : " " + by);
        for (TreeSnapshot t : p.trees()) {
            w.printf("  %-16s %10s files %10s   read %s, new: %s files, %s (stored %s)%n", t.name(),
                    Sizes.count(t.totals().files()), Sizes.bytes(t.totals().bytes()), Sizes.count(t.totals().readFiles()),
                    Sizes.count(t.totals().newFiles()), Sizes.bytes(t.totals().newBytes()),
                    Sizes.bytes(t.totals().storedBytes()));
        }
        DatabaseSnapshot db = p.database();
        if (db != null && db.dump() != null) {
            w.printf("  %-16s %10s rows   %s (stored %s), view opened %s%s%n", "database " + String.join(",",
                    db.schemas().stream().map(DatabaseSnapshot.Schema::name).toList()), Sizes.count(db.rows()),
                    Sizes.bytes(db.rawBytes()), Sizes.bytes(db.storedBytes()), db.viewOpenedAt(),
                    db.binlogFile() == null ? "" : ", binlog " + db.binlogFile() + ":" + db.binlogPosition());
            for (DatabaseSnapshot.References r : db.references()) {
                w.printf("  references %-7s %10s paths, %s dangling%s%n", r.name(), Sizes.count(r.rows()),
                        Sizes.count(r.dangling()), r.toppedUp() == 0 ? "" : " (" + r.toppedUp()
                        + " written after the scan passed, added)");
            }
        } else if (db != null) {
            w.printf("  database         not in this point: %s%n", db.skipped());
        }
        w.printf("  took %s%n", Sizes.duration(Duration.ofMillis(p.durationMillis())));
    }
}
