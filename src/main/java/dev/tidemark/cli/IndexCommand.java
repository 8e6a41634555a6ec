package dev.tidemark.cli;

import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.index.IndexSync;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.Store;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "index", description = "Manage the index, the local cache of the repository.",
        subcommands = {IndexCommand.Rebuild.class})
final class IndexCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a subcommand: rebuild");
    }

    @Command(name = "rebuild", description = {"Rebuild the index from the repository.",
        "Throw the index away and rebuild it from the repository: every pack",
        "trailer, and the file records of the latest point. The next point then copies nothing again."})
    static final class Rebuild implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Config config = common.load();
            Logging.file(config.logDir());
            try (Store store = config.openStore()) {
                Repository repo = Repository.open(store, config.passwords()).forHost(config.hostName());
                // Open first: fails with exit code 4 if another process holds the index, before anything is deleted.
                Index.open(config.indexDir(), repo.id()).close();
                Index.delete(config.indexDir());
                try (Index index = Index.open(config.indexDir(), repo.id())) {
                    IndexSync.Result packs = IndexSync.syncPacks(repo, index);
                    long files = IndexSync.rebuildFiles(repo, index);
                    index.flush();
                    PrintWriter w = spec.commandLine().getOut();
                    w.printf("index rebuilt at %s: %d packs, %d blobs, %d file records%n", config.indexDir(),
                            packs.packsAdded(), packs.blobsAdded(), files);
                    if (!packs.damagedPacks().isEmpty()) {
                        w.printf("%d packs have damaged trailers and were skipped: run 'tidemark verify --read-data'%n",
                                packs.damagedPacks().size());
                    }
                }
            }
            return 0;
        }
    }
}
