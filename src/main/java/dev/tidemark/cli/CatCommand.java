package dev.tidemark.cli;

import dev.tidemark.point.FileEntry;
import dev.tidemark.point.PointBrowser;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "cat", sortOptions = false, description = {
    "Write one file of a restore point to stdout.",
    "Write one file of a restore point to standard output, checked against its content key as it",
    "is read. The check ends with the file: if the repository's copy is damaged, cat exits 3 and",
    "what it wrote is not the file (a script should test the exit code before using the output).",
    "",
    "Examples:",
    "  tidemark cat latest config/app.yaml",
    "  tidemark cat before-upgrade facedata/2024/0001.jpg > /tmp/0001.jpg",
    "  tidemark ls latest uploads     # to find the path first"})
final class CatCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    ReplicaOption replica;

    @Parameters(index = "0", paramLabel = "POINT", description = "A point id, a unique prefix of one, a tag, or "
            + "'latest'.")
    String point;

    @Parameters(index = "1", paramLabel = "PATH", description = "TREE/DIR/NAME of a file.")
    String path;

    @Override
    public Integer call() throws Exception {
        try (RepoSession s = RepoSession.read(replica.apply(common.load()), "tidemark cat")) {
            RestorePoint p = new PointStore(s.repo).resolve(point);
            PointBrowser b = new PointBrowser(s.contents(), p);
            FileEntry e = b.entry(b.locate(path));
            OutputStream out = new BufferedOutputStream(System.out, 1 << 16); // raw bytes, not a Writer
            b.copy(e, out);
            out.flush();
        }
        return 0;
    }
}
