package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import dev.tidemark.db.DumpReader;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.util.Sizes;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "db", description = {"The database sealed in restore points.",
    "",
    "Each point with a database holds a dump of the configured schemas from one read view,",
    "stored as plain SQL (LZ4-compressed, checked as read). 'db export' gives it back as the",
    "SQL text the standard client loads, so nothing is locked into tidemark:",
    "  tidemark db export latest -o s01.sql && mariadb < s01.sql",
    "Restoring through tidemark: 'tidemark restore POINT --db' (see its help)."},
        subcommands = {DbCommand.Export.class})
final class DbCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    @Command(name = "export", description = {"Write a point's database as SQL for the mariadb client: it creates the",
        "schemas (IF NOT EXISTS) under their own names and loads them. Every byte is checked against",
        "the dump's content key; a damaged dump stops with exit 3 and no output file.",
        "Examples:",
        "  tidemark db export latest > s01.sql",
        "  tidemark db export 20261121T0300 -o /tmp/s01.sql"})
    static final class Export implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Parameters(paramLabel = "POINT", description = "A point id, a unique prefix of one, a tag, or 'latest'.")
        String point;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = {"Write to FILE (whole or not at all:",
            "written beside it, then renamed). Default: standard output."})
        Path output;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (RepoSession s = RepoSession.read(common.load(), "tidemark db export")) {
                RestorePoint p = new PointStore(s.repo).resolve(point);
                DatabaseSnapshot db = p.database();
                if (db == null || db.dump() == null) {
                    throw TidemarkException.failed("point " + p.id() + " has no database"
                            + (db == null ? "" : " (" + db.skipped() + ")"));
                }
                if (output == null) {
                    OutputStream out = new BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out),
                            1 << 16);
                    try (DumpReader r = new DumpReader(s.repo.store(), s.repo.hasher(), db.dump())) {
                        r.copyTo(out);
                    }
                    out.flush();
                    return 0;
                }
                Path target = output.toAbsolutePath();
                Path tmp = target.resolveSibling("." + target.getFileName() + ".tidemark-partial");
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                     DumpReader r = new DumpReader(s.repo.store(), s.repo.hasher(), db.dump())) {
                    r.copyTo(out);
                } catch (IOException | RuntimeException e) {
                    Files.deleteIfExists(tmp);
                    throw e;
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                spec.commandLine().getErr().printf("wrote %s: database of point %s, %s rows in %s%n", target, p.id(),
                        Sizes.count(db.rows()), String.join(", ", db.schemas().stream()
                                .map(DatabaseSnapshot.Schema::name).toList()));
                return 0;
            }
        }
    }
}
