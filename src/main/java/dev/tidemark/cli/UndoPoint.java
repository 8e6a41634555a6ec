package dev.tidemark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.Config;
import dev.tidemark.daemon.Control;
import dev.tidemark.point.Entries;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PathOrder;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.scan.PointTaker;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safety net of a restore that replaces live trees or a live schema in place: a point of what is there now
 * (tagged before-restore, taken by the daemon if one runs), how to go back to it, and what the restore will remove
 * (what the live tree has and the point does not: it is in the undo point).
 */
final class UndoPoint {
    static final String TAG = "before-restore";
    /** Paths named one by one; the rest are counted. */
    static final int SHOWN = 20;

    private final Config config;
    private final CommonOptions common;
    private final boolean fromReplica;
    private final boolean json;
    private final PrintWriter out;
    private final PrintWriter err;

    UndoPoint(Config config, CommonOptions common, boolean fromReplica, boolean json, PrintWriter out,
              PrintWriter err) {
        this.config = config;
        this.common = common;
        this.fromReplica = fromReplica;
        this.json = json;
        this.out = out;
        this.err = err;
    }

    /**
     * Takes the undo point of the trees ({@code files}) and the live schema ({@code database}) and says how to go back
     * to it; null (and a warning) when reading a replica, which only 'tidemark copy' writes.
     */
    RestorePoint take(boolean files, boolean database) throws Exception {
        if (fromReplica) {
            err.println("tidemark: no undo point: --replica reads a replica, which only 'tidemark copy' writes; "
                    + "what the restore replaces is not kept");
            return null;
        }
        RestorePoint undo;
        JsonNode reply = Control.call(config.controlSocket(), Map.of("command", "point", "tags", List.of(TAG)));
        if (reply != null) {
            undo = StatusCommand.point(reply);
        } else {
            try (RepoSession s = RepoSession.writeShared(config, java.time.Clock.systemUTC(), "tidemark restore (undo point)", null)) {
                // allowEmpty: a tree that is empty now is what there is to keep
                undo = new PointTaker(config, s.repo, s.index, s.lock, java.time.Clock.systemUTC(),
                        common.progress()).take(List.of(TAG), true).point();
            }
        }
        String how = files && database ? " --db" : database ? " --db-only" : " --mirror";
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("message_type", "undo");
            m.put("point", undo.id());
            m.put("undo", "tidemark restore " + undo.id() + how);
            line(m);
        } else {
            common.summary(out).printf("undo point %s holds the %s as they were before this restore; to go back: "
                    + "tidemark restore %s%s (--no-undo skips it)%n", undo.id(), files && database
                    ? "trees and the database" : database ? "database" : "trees", undo.id(), how);
        }
        return undo;
    }

    /**
     * Says what the mirror restore of {@code jobs} will remove from each live tree: the entries of the undo point's
     * tree that the restored state lacks. Only for whole trees ({@code whole}): with --path the restore removes
     * only under the paths asked for, which this does not work out.
     */
    void removals(RepoSession s, RestorePoint undo, List<RestoreJobs.Job> jobs, boolean whole) throws IOException {
        if (!whole) {
            return;
        }
        for (RestoreJobs.Job j : jobs) {
            TreeSnapshot live = undo.tree(j.tree().name());
            if (live == null) {
                continue;
            }
            List<String> gone = new ArrayList<>();
            long count = 0;
            try (ManifestReader now = new ManifestReader(s.contents(), live.manifest());
                 Entries then = j.entries().open()) {
                FileEntry b = then.nextOrNull();
                for (FileEntry a = now.nextOrNull(); a != null; a = now.nextOrNull()) {
                    while (b != null && PathOrder.compare(b.path(), a.path()) < 0) {
                        b = then.nextOrNull();
                    }
                    if (b == null || !b.path().equals(a.path())) {
                        count++;
                        if (gone.size() < SHOWN) {
                            gone.add(a.path() + (a.isDir() ? "/" : ""));
                        }
                    }
                }
            }
            if (count == 0) {
                continue;
            }
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("message_type", "removes");
                m.put("tree", j.tree().name());
                m.put("count", count);
                m.put("paths", gone);
                line(m);
            } else {
                common.summary(out).printf("tree %s: the restore removes %d entries the point does not have (kept in "
                        + "the undo point): %s%s%n", j.tree().name(), count, String.join(", ", gone),
                        count > gone.size() ? ", and " + (count - gone.size()) + " more" : "");
            }
        }
    }

    private void line(Map<String, Object> m) throws IOException {
        out.println(Json.MAPPER.writeValueAsString(m));
        out.flush();
    }
}
