package dev.tidemark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.ExitCode;
import dev.tidemark.binlog.BinlogArchive;
import dev.tidemark.config.Config;
import dev.tidemark.daemon.Control;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.store.S3Capabilities;
import dev.tidemark.repo.store.S3Store;
import dev.tidemark.util.Json;
import dev.tidemark.util.Sizes;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "status", sortOptions = false, description = {
    "Show what the daemon is doing.",
    "Show what the daemon ('tidemark run') is doing: each tree watched, polled or suspended (with",
    "its alarm), changes waiting, changes made durable, copy latency, the last and next restore point,",
    "compaction and prune, and its memory.",
    "",
    "Exit code 0 if the daemon runs and every tree is followed; 1 if it is not running or a tree is",
    "suspended (a vanished root): fit for a monitoring check."})
final class StatusCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--json", description = "Print the daemon's status as JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Config config = common.load();
        PrintWriter w = spec.commandLine().getOut();
        JsonNode reply = Control.call(config.controlSocket(), Map.of("command", "status"));
        if (reply == null) {
            String latest;
            BinlogArchive binlog;
            try (RepoSession s = RepoSession.read(config, "tidemark status")) {
                List<String> ids = new PointStore(s.repo).ids();
                latest = ids.isEmpty() ? "none" : ids.get(ids.size() - 1);
                binlog = BinlogArchive.load(s.repo);
            }
            if (json) {
                Map<String, Object> m = new java.util.LinkedHashMap<>(Map.of("running", false, "lastPoint", latest));
                if (!binlog.isEmpty()) {
                    m.put("binlog", Map.of("state", "not followed (the daemon is not running)", "archivedTo",
                            String.valueOf(binlog.end()), "completeTo", binlog.checked().toString(), "gaps",
                            binlog.gaps().size()));
                }
                List<Map<String, Object>> probed = s3Servers(config);
                if (!probed.isEmpty()) {
                    m.put("s3Servers", probed);
                }
                w.println(Json.MAPPER.writeValueAsString(m));
            } else {
                w.printf("daemon: not running (no answer on %s)%nlatest restore point: %s%n", config.controlSocket(),
                        latest);
                printS3Servers(w, config);
                if (!binlog.isEmpty()) {
                    w.printf("binlog: not followed; archived to %s, complete to %s%s%n", binlog.end(), binlog.checked(),
                            binlog.gaps().isEmpty() ? "" : "; " + binlog.gaps().size() + " gap(s)");
                }
            }
            w.flush();
            return ExitCode.FAILED.code();
        }
        JsonNode st = reply.path("status");
        if (json) {
            List<Map<String, Object>> probed = s3Servers(config);
            if (!probed.isEmpty() && st instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
                o.set("s3Servers", Json.MAPPER.valueToTree(probed));
            }
            w.println(Json.MAPPER.writeValueAsString(st));
            return st.path("healthy").asBoolean() ? 0 : ExitCode.FAILED.code();
        }
        w.printf("daemon: running, pid %d, since %s%n", st.path("pid").asLong(), st.path("since").asText());
        for (JsonNode t : st.path("trees")) {
            w.printf("  tree %-16s %-9s %s%s%n", t.path("name").asText(), t.path("mode").asText(),
                    t.path("path").asText(), t.has("alarm") ? "   ALARM: " + t.path("alarm").asText() : "");
        }
        w.printf("changes waiting: %d; made durable since start: %s (%s files copied, %s stored)%n",
                st.path("waiting").asLong(), Sizes.count(st.path("changesJournaled").asLong()),
                Sizes.count(st.path("filesCopied").asLong()), Sizes.bytes(st.path("bytesStored").asLong()));
        if (st.has("latencyP50Millis")) {
            w.printf("change -> durable: p50 %.0f ms, p99 %.0f ms (last %d changes)%n",
                    st.path("latencyP50Millis").asDouble(), st.path("latencyP99Millis").asDouble(),
                    st.path("latencySamples").asLong());
        }
        w.printf("last restore point: %s; next: %s%n", st.path("lastPoint").asText("none"),
                st.path("nextPoint").asText());
        if (st.has("lastPointError")) {
            w.printf("last scheduled point FAILED: %s%n", st.path("lastPointError").asText());
        }
        JsonNode m = st.path("maintenance");
        if (!m.isMissingNode()) {
            w.printf("maintenance: %s journal merges, %s pack merges, %s objects deleted (%s waiting for readers)%s%n",
                    Sizes.count(m.path("journalMerges").asLong()), Sizes.count(m.path("packMerges").asLong()),
                    Sizes.count(m.path("objectsDeleted").asLong()),
                    Sizes.count(m.path("deletionsWaitingForReaders").asLong()),
                    m.path("pruning").asBoolean() ? "; pruning now" : "");
            if (m.has("lastPrune")) {
                w.printf("last prune: %s: %s%n", m.path("lastPrune").asText(), m.path("lastPruneResult").asText());
            }
            if (m.has("lastMaintenanceError")) {
                w.printf("last maintenance error: %s (replication goes on)%n", m.path("lastMaintenanceError").asText());
            }
        }
        JsonNode b = st.path("binlog");
        if (!b.isMissingNode()) {
            w.println(binlogLine(b));
            for (JsonNode g : b.path("gaps")) {
                w.printf("  binlog GAP: %s%n", g.asText());
            }
        }
        for (JsonNode r : st.path("replicas")) {
            w.printf("replica %s (%s): %s%s%s%n", r.path("name").asText(), r.path("location").asText(),
                    r.path("state").asText(),
                    r.path("syncedAt").isNull() ? "" : "; holds everything up to " + r.path("syncedAt").asText()
                            + " (" + r.path("lagSeconds").asLong() + " s behind)",
                    r.has("lastError") ? "; " + r.path("lastError").asText()
                            : r.has("keptBy") ? " (" + r.path("keptBy").asText() + ")" : "");
        }
        printS3Servers(w, config);
        w.printf("resident memory: %s%n", Sizes.bytes(st.path("residentBytes").asLong()));
        if (st.hasNonNull("statusPage")) {
            w.printf("status page: %s (metrics: %smetrics)%n", st.path("statusPage").asText(),
                    st.path("statusPage").asText());
        }
        return st.path("healthy").asBoolean() ? 0 : ExitCode.FAILED.code();
    }

    /**
     * What the capability probe found for each S3 store of the config (the repository, then each replica), as this
     * state directory recorded it ({@link S3Store#probe}); stores never written from here have no record.
     */
    static List<Map<String, Object>> s3Servers(Config config) {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        java.util.LinkedHashMap<String, java.nio.file.Path> records = new java.util.LinkedHashMap<>();
        records.put("repository", S3Store.probeRecord(config.spool(null)));
        for (Config.Replica r : config.replicas()) {
            records.put("replica " + r.name(), S3Store.probeRecord(config.spool(r)));
        }
        records.forEach((store, file) -> {
            S3Capabilities c = java.nio.file.Files.isRegularFile(file) ? S3Store.recorded(file) : null;
            if (c != null) {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("store", store);
                m.put("location", c.location());
                m.put("server", c.server());
                m.put("probed", c.probed().toString());
                m.put("missing", c.findings().stream().filter(f -> !f.ok()).map(S3Capabilities.Finding::capability)
                        .toList());
                m.put("summary", c.summary());
                out.add(m);
            }
        });
        return out;
    }

    private static void printS3Servers(PrintWriter w, Config config) {
        for (Map<String, Object> m : s3Servers(config)) {
            w.printf("S3 server of the %s (%s): %s%n", m.get("store"), m.get("location"), m.get("summary"));
        }
    }

    /** One line on the binlog: following and how far, or why not. */
    static String binlogLine(JsonNode b) {
        String state = b.path("state").asText();
        StringBuilder sb = new StringBuilder("binlog: ").append(state);
        if (b.has("archivedTo")) {
            sb.append("; archived to ").append(b.path("archivedTo").asText()).append(" at ")
                    .append(b.path("archivedAt").asText());
        }
        if (b.has("lastTransaction")) {
            sb.append(" (last transaction committed ").append(b.path("lastTransaction").asText()).append(')');
        }
        if (b.has("piecesWritten")) {
            sb.append("; ").append(Sizes.bytes(b.path("bytesArchived").asLong())).append(" in ")
                    .append(Sizes.count(b.path("piecesWritten").asLong())).append(" pieces since start");
        }
        if (b.has("why")) {
            sb.append("; ").append(b.path("why").asText());
        }
        return sb.toString();
    }

    static RestorePoint point(JsonNode reply) throws java.io.IOException {
        return Json.MAPPER.treeToValue(reply.path("point"), RestorePoint.class);
    }
}
