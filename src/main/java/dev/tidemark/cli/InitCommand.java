package dev.tidemark.cli;

import dev.tidemark.config.Config;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import java.nio.file.Files;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "init", description = {"Create the repository named in the config (and the state directory).",
    "Refuses a location that already holds a repository."})
final class InitCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Config config = common.load();
        Files.createDirectories(config.repository());
        Files.createDirectories(config.state());
        Logging.file(config.logDir());
        try (LocalDirStore store = new LocalDirStore(config.repository())) {
            Repository repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
            spec.commandLine().getOut().printf("created repository %s (id %s)%n", config.repository(), repo.id());
        }
        return 0;
    }
}
