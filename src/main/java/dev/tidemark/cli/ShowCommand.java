package dev.tidemark.cli;

import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.util.Sizes;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "show", description = "Show a restore point: its trees and totals, and with --files every entry.")
final class ShowCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    ReplicaOption replica;

    @Parameters(paramLabel = "POINT", description = "A point id, a unique prefix of one, a tag, or 'latest'.")
    String point;

    @Option(names = "--files", description = "List every entry (mode, size, mtime, path).")
    boolean files;

    @Option(names = "--tree", paramLabel = "NAME", description = "Only this tree.")
    String tree;

    @Option(names = "--json", description = {"One JSON object per line: {\"message_type\":\"point\", \"point\": the",
        "point's record}, then with --files {\"message_type\":\"entry\", \"tree\", \"type\", \"mode\", \"size\",",
        "\"mtime\", \"path\", \"target\"} for each entry."})
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        try (RepoSession s = RepoSession.read(replica.apply(common.load()), "tidemark show")) {
            RestorePoint p = new PointStore(s.repo).resolve(point);
            if (tree != null && p.tree(tree) == null) {
                throw dev.tidemark.TidemarkException.usage("point " + p.id() + " has no tree '" + tree + "'; it has: "
                        + String.join(", ", p.trees().stream().map(TreeSnapshot::name).toList()));
            }
            if (json) {
                json(w, s, p);
                return 0;
            }
            w.printf("restore point %s%n  time     %s%n  host     %s%n  tags     %s%n  took     %s%n", p.id(), p.time(),
                    p.host(), p.tags().isEmpty() ? "-" : String.join(", ", p.tags()),
                    Sizes.duration(Duration.ofMillis(p.durationMillis())));
            w.printf("  total    %s files, %s dirs, %s symlinks, %s; new %s files, %s (stored %s)%n",
                    Sizes.count(p.totals().files()), Sizes.count(p.totals().dirs()), Sizes.count(p.totals().symlinks()),
                    Sizes.bytes(p.totals().bytes()), Sizes.count(p.totals().newFiles()),
                    Sizes.bytes(p.totals().newBytes()), Sizes.bytes(p.totals().storedBytes()));
            showDatabase(w, p.database());
            for (TreeSnapshot t : p.trees()) {
                if (tree != null && !t.name().equals(tree)) {
                    continue;
                }
                w.printf("  tree %s  %s%n    %s files, %s dirs, %s symlinks, %s; manifest %s%n", t.name(), t.path(),
                        Sizes.count(t.totals().files()), Sizes.count(t.totals().dirs()),
                        Sizes.count(t.totals().symlinks()), Sizes.bytes(t.totals().bytes()), t.manifest());
                if (files) {
                    try (ManifestReader r = new ManifestReader(s.contents(), t.manifest())) {
                        for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                            w.printf("    %s %04o %12s %s %s%s%n", e.type().code(), e.mode(),
                                    e.isFile() ? Long.toString(e.size()) : "-",
                                    FileEntry.instant(e.mtimeNanos()).toString(), e.path(),
                                    e.isSymlink() ? " -> " + e.target() : "");
                        }
                    }
                }
            }
        }
        return 0;
    }

    private void json(PrintWriter w, RepoSession s, RestorePoint p) throws java.io.IOException {
        java.util.Map<String, Object> head = new java.util.LinkedHashMap<>();
        head.put("message_type", "point");
        head.put("point", p);
        w.println(dev.tidemark.util.Json.MAPPER.writeValueAsString(head));
        if (!files) {
            return;
        }
        for (TreeSnapshot t : p.trees()) {
            if (tree != null && !t.name().equals(tree)) {
                continue;
            }
            try (ManifestReader r = new ManifestReader(s.contents(), t.manifest())) {
                for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                    java.util.Map<String, Object> m = dev.tidemark.point.PointBrowser.json(t.name(), e);
                    w.println(dev.tidemark.util.Json.MAPPER.writeValueAsString(m));
                }
            }
        }
    }

    private static void showDatabase(PrintWriter w, DatabaseSnapshot db) {
        if (db == null) {
            return;
        }
        if (db.dump() == null) {
            w.printf("  database not in this point: %s%n", db.skipped());
            return;
        }
        w.printf("  database %s, read view opened %s (%d view%s), %s%n", db.server(), db.viewOpenedAt(), db.views(),
                db.views() == 1 ? "" : "s", db.consistency());
        w.printf("    binlog   %s%n", db.binlogFile() == null ? "off (no coordinates)"
                : db.binlogFile() + ":" + db.binlogPosition() + (db.gtid() == null ? "" : ", gtid " + db.gtid()));
        w.printf("    dump     %s of SQL, stored %s, in %s; %s%n", Sizes.bytes(db.rawBytes()), Sizes.bytes(db.storedBytes()),
                Sizes.duration(Duration.ofMillis(db.durationMillis())), db.dump());
        for (DatabaseSnapshot.Schema s : db.schemas()) {
            w.printf("    schema %s (%s, %s): %d tables, %s rows, %d views, %d routines, %d triggers, %d events%n",
                    s.name(), s.charset(), s.collation(), s.tables(), Sizes.count(s.rows()), s.views(), s.routines(),
                    s.triggers(), s.events());
        }
        for (DatabaseSnapshot.References r : db.references()) {
            w.printf("    references %s (tree %s): %s paths, %s dangling, %s added after the scan%s%n", r.name(), r.tree(),
                    Sizes.count(r.rows()), Sizes.count(r.dangling()), Sizes.count(r.toppedUp()),
                    r.examples().isEmpty() ? "" : " (" + String.join(", ", r.examples()) + ")");
        }
    }
}
