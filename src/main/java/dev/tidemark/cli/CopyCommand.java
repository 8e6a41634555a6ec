package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.repo.ReplicaSync;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.Store;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "copy", description = {"Bring the config's replicas up to date with the repository.",
    "Make the replicas named in the config the same as the repository, object for",
    "object: what is new is copied (points last, so a replica never names data it lacks), what the repository no",
    "longer has is deleted. An encrypted repository is copied as ciphertext; its passwords open the replica.",
    "Read a replica with --replica NAME on points, show, diff, verify and restore.",
    "Examples:",
    "  tidemark copy",
    "  tidemark copy --to offsite",
    "  tidemark restore latest --replica offsite --to /restore"})
final class CopyCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--to", paramLabel = "NAME", description = "Only this replica (default: every replica).")
    String to;

    @Override
    public Integer call() throws Exception {
        Config config = common.load();
        List<Config.Replica> targets = config.replicas();
        if (to != null) {
            targets = List.of(config.replica("--to", to));
        }
        if (targets.isEmpty()) {
            throw TidemarkException.usage("the config names no replicas: add one, e.g. \"replicas\": [{\"name\": "
                    + "\"offsite\", \"repository\": \"s3://bucket/tidemark\"}]");
        }
        PrintWriter w = common.summary(spec.commandLine().getOut());
        // A reader's lease on the primary: a prune meanwhile (the daemon's) leaves what was listed in place.
        try (RepoSession s = RepoSession.read(config, "tidemark copy")) {
            Store primary = s.repo.rawStore();
            for (Config.Replica r : targets) {
                long t0 = System.nanoTime();
                try (Store raw = config.openReplica(r)) {
                    // The replica's own writer lock (sealed with the primary's key if it is encrypted): two copies
                    // to one replica at once would delete each other's work.
                    ReplicaSync.Result res;
                    try (WriterLock lock = WriterLock.acquire(s.repo.sealedLike(raw), Clock.systemUTC(),
                            "tidemark copy")) {
                        res = ReplicaSync.sync(primary, raw);
                    }
                    w.printf("replica %s (%s): %d objects copied (%s), %d new points, %d objects deleted, in %.1f s%n",
                            r.name(), r.location(), res.copied(), human(res.bytesCopied()), res.points(),
                            res.deleted(), (System.nanoTime() - t0) / 1e9);
                }
            }
        }
        return 0;
    }

    private static String human(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1 << 20) {
            return String.format("%.1f KiB", b / 1024.0);
        }
        return String.format("%.1f MiB", b / 1048576.0);
    }
}
