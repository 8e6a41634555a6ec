package dev.tidemark.cli;

import dev.tidemark.config.Config;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.S3Store;
import dev.tidemark.repo.store.Store;
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
        if (config.repositoryDir() != null) {
            Files.createDirectories(config.repositoryDir());
        }
        Files.createDirectories(config.state());
        Logging.file(config.logDir());
        try (Store store = config.openStore()) {
            if (store instanceof S3Store s3) {
                s3.check(); // the bucket is there and takes these credentials, before anything is written
            }
            Repository repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
            spec.commandLine().getOut().printf("created repository %s (id %s)%n", config.repository(), repo.id());
        }
        return 0;
    }
}
