package dev.tidemark.cli;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.check.Checker;
import dev.tidemark.util.Sizes;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "verify", description = {"Check the repository against itself (never against the index).",
    "Always: pack trailers, points, manifests, and that every file's content is held by some pack.",
    "With --read-data: also every byte of every pack, every blob against its content key, and every",
    "database dump (read and parsed statement by statement).",
    "Exit code 3 if anything is damaged; the files and points affected are listed."})
final class VerifyCommand implements Callable<Integer> {
    private static final int SHOWN = 100;

    @Mixin
    CommonOptions common;

    @Mixin
    JsonProgressOption jsonProgress;

    @Mixin
    ReplicaOption replica;

    @Option(names = "--read-data", description = "Read and check all data (slow: reads the whole repository).")
    boolean readData;

    @Option(names = "--read-data-subset", paramLabel = "PERCENT", description = {"Read and check the data of a random",
        "PERCENT of the packs, dumps and binlog pieces (e.g. 10%%: a different tenth each run), and the structure of",
        "all. For a nightly check that reads everything over ten nights."})
    String subset;

    @Option(names = "--json", description = {"Print the report as one JSON object: ok, damage, affected, and the counts",
        "(points, manifests, fileEntries, dumps, journalObjects, journalChanges, packs, blobs, bytesRead,",
        "binlogPieces, binlogBytes)."})
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        double fraction = 1.0;
        if (subset != null) {
            String v = subset.endsWith("%") ? subset.substring(0, subset.length() - 1) : subset;
            try {
                fraction = Double.parseDouble(v) / 100;
            } catch (NumberFormatException e) {
                fraction = -1;
            }
            if (!(fraction > 0 && fraction <= 1)) {
                throw TidemarkException.usage("--read-data-subset " + subset + ": give a percentage above 0 and up to "
                        + "100, like 10%");
            }
            readData = true;
        }
        Checker.Report r;
        dev.tidemark.config.Config config = replica.apply(common.load());
        long t0 = System.nanoTime();
        try (RepoSession s = RepoSession.read(config, "tidemark verify")) {
            r = new Checker(s.repo, common.progress(json, jsonProgress, spec.commandLine().getOut())).check(readData, fraction);
        }
        if (replica.name == null && config.alerts() != null) {
            // Raised once per alerts.repeat; cleared only by a verify that read every pack and found nothing.
            boolean whole = readData && subset == null;
            new dev.tidemark.alert.Alerter(config.alerts(), config.state(), java.time.Clock.systemUTC()).reconcile(
                    r.ok() ? java.util.Map.of() : java.util.Map.of("verify-damage", "verify found " + r.damage().size()
                            + " problems in " + config.repository() + ", the first: " + r.damage().get(0)),
                    c -> whole && c.equals("verify-damage"));
        }
        if (replica.name == null) { // the status page shows the primary's last verify
            try {
                new dev.tidemark.check.LastVerify(java.time.Instant.now(), config.repository().toString(), r.ok(),
                        readData, r.packsRead(), r.packs(), r.damage().size(),
                        r.damage().isEmpty() ? null : r.damage().get(0), (System.nanoTime() - t0) / 1_000_000)
                        .save(config.state());
            } catch (java.io.IOException e) {
                org.slf4j.LoggerFactory.getLogger(VerifyCommand.class).warn("could not record the verify's outcome "
                        + "in {}: {}", config.state(), e.getMessage());
            }
        }
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("ok", r.ok());
            m.put("readData", readData);
            m.putAll(dev.tidemark.util.Json.MAPPER.convertValue(r, new com.fasterxml.jackson.core.type.TypeReference<
                    java.util.Map<String, Object>>() { }));
            w.println(dev.tidemark.util.Json.MAPPER.writeValueAsString(m));
            w.flush();
            return r.ok() ? 0 : ExitCode.DAMAGED.code();
        }
        w.printf("checked %d points, %d manifests (%s entries), %d database dumps%s, %d journal objects (%s changes), "
                + "%d packs (%s blobs)%s%s%n",
                r.points(), r.manifests(), Sizes.count(r.fileEntries()), r.dumps(), readData ? " (read)" : "",
                r.journalObjects(),
                Sizes.count(r.journalChanges()), r.packs(), Sizes.count(r.blobs()),
                readData ? ", read " + Sizes.bytes(r.bytesRead()) + (subset == null ? "" : " (" + r.packsRead()
                        + " of " + r.packs() + " packs: " + subset + ")") : "", r.binlogPieces() == 0 ? ""
                        : ", " + r.binlogPieces() + " binlog pieces (" + Sizes.bytes(r.binlogBytes())
                        + (readData ? ", read" : "") + ")");
        if (r.ok()) {
            w.println("no damage found");
            return 0;
        }
        for (String d : r.damage()) {
            w.println("damage: " + d);
        }
        int n = 0;
        for (String a : r.affected()) {
            if (n++ == SHOWN) {
                w.printf("... and %d more affected files%n", r.affected().size() - SHOWN);
                break;
            }
            w.println("affected: " + a);
        }
        w.flush();
        spec.commandLine().getErr().printf("tidemark: verify found damage: %d problems, %d files affected%n",
                r.damage().size(), r.affected().size());
        return ExitCode.DAMAGED.code();
    }
}
