package dev.tidemark.cli;

import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PathOrder;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "diff", description = {"Show what changed between two restore points.",
    "Show what changed between two restore points, one line per path:",
    "  + added   - removed   M changed (with what: content, mode, mtime, owner, type, target)"})
final class DiffCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    ReplicaOption replica;

    @Parameters(index = "0", paramLabel = "POINT", description = "The older point (id, prefix or 'latest').")
    String from;

    @Parameters(index = "1", paramLabel = "POINT", description = "The newer point.")
    String to;

    @Option(names = "--tree", paramLabel = "NAME", description = "Only this tree.")
    String tree;

    @Option(names = "--json", description = {"One JSON object per line: {\"message_type\":\"change\", \"op\": \"+\"|\"-\"|\"M\",",
        "\"tree\", \"path\", \"changes\"} for each path, then {\"message_type\":\"summary\", \"from\", \"to\",",
        "\"added\", \"removed\", \"changed\"}."})
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private long added;
    private long removed;
    private long changed;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        try (RepoSession s = RepoSession.read(replica.apply(common.load()), "tidemark diff")) {
            PointStore points = new PointStore(s.repo);
            RestorePoint a = points.resolve(from);
            RestorePoint b = points.resolve(to);
            Set<String> names = new LinkedHashSet<>();
            a.trees().forEach(t -> names.add(t.name()));
            b.trees().forEach(t -> names.add(t.name()));
            for (String name : names) {
                if (tree != null && !tree.equals(name)) {
                    continue;
                }
                diffTree(s.contents(), name, a.tree(name), b.tree(name), w);
            }
            if (json) {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("message_type", "summary");
                m.put("from", a.id());
                m.put("to", b.id());
                m.put("added", added);
                m.put("removed", removed);
                m.put("changed", changed);
                w.println(dev.tidemark.util.Json.MAPPER.writeValueAsString(m));
            } else {
                w.printf("%s -> %s: %d added, %d removed, %d changed%n", a.id(), b.id(), added, removed, changed);
            }
        }
        return 0;
    }

    private void diffTree(dev.tidemark.repo.Contents repo, String name, TreeSnapshot ta, TreeSnapshot tb, PrintWriter w)
            throws IOException {
        if (ta != null && tb != null && ta.manifest().equals(tb.manifest())) {
            return; // identical manifests: nothing changed in this tree
        }
        try (ManifestReader ra = ta == null ? null : new ManifestReader(repo, ta.manifest());
             ManifestReader rb = tb == null ? null : new ManifestReader(repo, tb.manifest())) {
            FileEntry ea = ra == null ? null : ra.nextOrNull();
            FileEntry eb = rb == null ? null : rb.nextOrNull();
            while (ea != null || eb != null) {
                int c = ea == null ? 1 : eb == null ? -1 : PathOrder.compare(ea.path(), eb.path());
                if (c < 0) {
                    line(w, "-", name, ea.path(), List.of());
                    removed++;
                    ea = ra.nextOrNull();
                } else if (c > 0) {
                    line(w, "+", name, eb.path(), List.of());
                    added++;
                    eb = rb.nextOrNull();
                } else {
                    List<String> what = changes(ea, eb);
                    if (!what.isEmpty()) {
                        line(w, "M", name, eb.path(), what);
                        changed++;
                    }
                    ea = ra.nextOrNull();
                    eb = rb.nextOrNull();
                }
            }
        }
    }

    private void line(PrintWriter w, String op, String tree, String path, List<String> what) throws IOException {
        if (json) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("message_type", "change");
            m.put("op", op);
            m.put("tree", tree);
            m.put("path", path);
            m.put("changes", what);
            w.println(dev.tidemark.util.Json.MAPPER.writeValueAsString(m));
        } else {
            w.printf("%s %s/%s%s%n", op, tree, path, what.isEmpty() ? "" : " (" + String.join(", ", what) + ")");
        }
    }

    static List<String> changes(FileEntry a, FileEntry b) {
        List<String> out = new ArrayList<>();
        if (a.type() != b.type()) {
            out.add("type");
            return out;
        }
        if (!Objects.equals(a.key(), b.key()) || a.size() != b.size()) {
            out.add("content");
        }
        if (!Objects.equals(a.target(), b.target())) {
            out.add("target");
        }
        if (a.mode() != b.mode()) {
            out.add("mode");
        }
        if (a.uid() != b.uid() || a.gid() != b.gid()) {
            out.add("owner");
        }
        // A directory's mtime changes with every entry added or removed below it; that is not news.
        if (a.mtimeNanos() != b.mtimeNanos() && !a.isDir()) {
            out.add("mtime");
        }
        return out;
    }
}
