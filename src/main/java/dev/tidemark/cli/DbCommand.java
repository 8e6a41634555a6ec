package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import dev.tidemark.db.DumpReader;
import dev.tidemark.db.ReferenceDiscovery;
import dev.tidemark.util.Json;
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
    "Restoring through tidemark: 'tidemark restore POINT --db' (see its help).",
    "Which columns name files: 'tidemark db references'."},
        subcommands = {DbCommand.Export.class, DbCommand.References.class})
final class DbCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    @Command(name = "export", description = {"Write a point's database as SQL.",
        "Write a point's database as SQL for the mariadb client: it creates the",
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
            "written beside it, then renamed). Default, or '-': standard output."})
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
                if (output == null || output.toString().equals("-")) { // "-o -": standard output, as usual
                    OutputStream out = new BufferedOutputStream(System.out, 1 << 16); // raw bytes: BLOBs stay exact
                    try (DumpReader r = new DumpReader(s.contents(), db.dump())) {
                        r.copyTo(out);
                    }
                    out.flush();
                    return 0;
                }
                Path target = output.toAbsolutePath();
                Path tmp = target.resolveSibling("." + target.getFileName() + ".tidemark-partial");
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                     DumpReader r = new DumpReader(s.contents(), db.dump())) {
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

    @Command(name = "references", description = {"Find the columns whose values name files of the trees.",
        "",
        "A point keeps rows and files in agreement by the columns that name files: the ones",
        "declared in database.referenceQueries, or, when none are declared, the ones tidemark",
        "finds itself: string columns where at least 80 %% of the values name an existing file of a",
        "tree (relative to it, or absolute under its path), on a sample of 200 and then on the",
        "whole column. This looks now and prints what it found as a snippet to paste into the",
        "config's \"database\" section, with how sure it is and the near misses.",
        "Exit 0 (also when nothing is found), 1 when the server cannot be reached, 2 without a",
        "database in the config.",
        "Examples:",
        "  tidemark db references",
        "  tidemark db references --json"})
    static final class References implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Option(names = "--json", description = "Machine-readable output: the finding as an object.")
        boolean json;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            dev.tidemark.config.Config config = common.load();
            if (config.database() == null) {
                throw TidemarkException.usage(config.file() + ": no \"database\" section: there are no columns to "
                        + "look at; add one (see the README) and run this again");
            }
            java.util.Map<String, Path> trees = new java.util.LinkedHashMap<>();
            for (dev.tidemark.config.TreeConfig t : config.trees()) {
                trees.put(t.name(), t.path());
            }
            ReferenceDiscovery.Found f = ReferenceDiscovery.discover(config.database(), trees,
                    java.time.Clock.systemUTC());
            java.io.PrintWriter w = spec.commandLine().getOut();
            if (json) {
                w.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(f));
                w.flush();
                return 0;
            }
            w.printf("looked at %d string column(s) of %s in %d ms%n", f.candidates(),
                    String.join(", ", config.database().schemas()), f.millis());
            if (f.references().isEmpty()) {
                w.println("no column names files of the trees: points cannot check rows against files.");
                w.println("If the application stores paths some other way (a directory and a file name in two "
                        + "columns), declare a query that puts them together in database.referenceQueries.");
            } else {
                w.printf("%d column(s) name files of the trees:%n", f.references().size());
                for (ReferenceDiscovery.Column c : f.references()) {
                    w.printf("  %s.%s -> tree %s: %s of %s values name a file (%.1f%%, %s)%n", c.schema(), c.name(),
                            c.tree(), Sizes.count(c.hits()), Sizes.count(c.values()), c.percent(), c.certainty());
                }
                w.println();
                w.println("Undeclared, these are used as they are and looked for again when the schema changes.");
                w.println("To declare them, paste into the config's \"database\" section:");
                w.println("  \"referenceQueries\": [");
                for (int i = 0; i < f.references().size(); i++) {
                    dev.tidemark.config.DatabaseConfig.ReferenceQuery q = f.references().get(i).query();
                    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
                    m.put("name", q.name());
                    m.put("tree", q.tree());
                    m.put("schema", q.schema());
                    m.put("sql", q.sql());
                    w.printf("    %s%s%n", Json.MAPPER.writeValueAsString(m), i + 1 < f.references().size() ? "," : "");
                }
                w.println("  ]");
            }
            if (!f.nearMisses().isEmpty()) {
                w.println();
                w.println("not references (too few values name files):");
                for (ReferenceDiscovery.Column c : f.nearMisses()) {
                    long n = c.values() > 0 ? c.values() : c.sampled();
                    long h = c.values() > 0 ? c.hits() : c.sampleHits();
                    w.printf("  %s.%s -> tree %s: %s of %s%s values (%.1f%%)%n", c.schema(), c.name(), c.tree(),
                            Sizes.count(h), Sizes.count(n), c.values() > 0 ? "" : " sampled", c.percent());
                }
            }
            w.flush();
            return 0;
        }
    }
}
