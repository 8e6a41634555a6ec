package dev.tidemark.cli;

import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PointBrowser;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.util.Json;
import dev.tidemark.util.Sizes;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "ls", sortOptions = false, description = {
    "List what a restore point holds under a path, without restoring it.",
    "List what a restore point holds under a path, without restoring anything. A path is TREE or",
    "TREE/DIR/...; with none, the point's trees are listed.",
    "",
    "Examples:",
    "  tidemark ls latest                          # the trees",
    "  tidemark ls latest facedata/2024            # one directory",
    "  tidemark ls 20261121T1015 uploads -r        # everything in a tree",
    "  tidemark ls latest uploads --json | jq -r 'select(.type==\"file\") | .path'"})
final class LsCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    ReplicaOption replica;

    @Parameters(index = "0", paramLabel = "POINT", description = "A point id, a unique prefix of one, a tag, or "
            + "'latest'.")
    String point;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH", description = "TREE or TREE/DIR/...")
    String path;

    @Option(names = {"-r", "--recursive"}, description = "Everything below the path, not only its children.")
    boolean recursive;

    @Option(names = "--json", description = {"One JSON object per line: {\"message_type\":\"entry\", \"tree\",",
        "\"path\", \"type\", \"mode\", \"size\", \"mtime\", \"target\"}; without PATH one",
        "{\"message_type\":\"tree\", \"name\", \"path\", \"files\", \"bytes\"} per tree."})
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        try (RepoSession s = RepoSession.read(replica.apply(common.load()), "tidemark ls")) {
            RestorePoint p = new PointStore(s.repo).resolve(point);
            if (path == null) {
                for (TreeSnapshot t : p.trees()) {
                    if (json) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("message_type", "tree");
                        m.put("name", t.name());
                        m.put("path", t.path());
                        m.put("files", t.totals().files());
                        m.put("bytes", t.totals().bytes());
                        w.println(Json.MAPPER.writeValueAsString(m));
                    } else {
                        w.printf("%-20s %s files, %s  (%s)%n", t.name() + "/", Sizes.count(t.totals().files()),
                                Sizes.bytes(t.totals().bytes()), t.path());
                    }
                }
                return 0;
            }
            PointBrowser b = new PointBrowser(s.contents(), p);
            PointBrowser.Location at = b.locate(path);
            b.list(at, recursive, e -> {
                if (json) {
                    w.println(Json.MAPPER.writeValueAsString(PointBrowser.json(at.tree().name(), e)));
                } else {
                    w.printf("%s %04o %12s %s %s%s%n", e.type().code(), e.mode(),
                            e.isFile() ? Long.toString(e.size()) : "-", FileEntry.instant(e.mtimeNanos()),
                            at.tree().name() + "/" + e.path() + (e.isDir() ? "/" : ""),
                            e.isSymlink() ? " -> " + e.target() : "");
                }
            });
        }
        return 0;
    }
}
