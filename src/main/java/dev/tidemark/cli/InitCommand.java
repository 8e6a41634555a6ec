package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
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
    "Refuses a location that already holds a repository.",
    "With --encrypt every object is encrypted (AES-256-GCM) under a random key that only the password opens; the",
    "password comes from TIDEMARK_PASSWORD, a file named by TIDEMARK_PASSWORD_FILE, or the config's repositoryPasswordFile,",
    "never from the command line. Lose every password and the repository cannot be read by anyone.",
    "Examples:",
    "  tidemark init",
    "  TIDEMARK_PASSWORD_FILE=/etc/tidemark/password tidemark init --encrypt"})
final class InitCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Option(names = "--encrypt", description = "Encrypt the repository (password from the "
            + "environment or the config's repositoryPasswordFile).")
    boolean encrypt;

    @Override
    public Integer call() throws Exception {
        Config config = common.load();
        char[] password = null;
        if (encrypt) {
            password = config.passwords().password();
            if (password == null) {
                throw TidemarkException.usage("--encrypt needs a password: set TIDEMARK_PASSWORD, or "
                        + "TIDEMARK_PASSWORD_FILE to a file holding it, or repositoryPasswordFile in the config");
            }
        }
        if (config.repositoryDir() != null) {
            Files.createDirectories(config.repositoryDir());
        }
        Files.createDirectories(config.state());
        Logging.file(config.logDir());
        try (Store store = config.openStore()) {
            if (store instanceof S3Store s3) {
                s3.check(); // the bucket is there and takes these credentials, before anything is written
            }
            Repository repo = encrypt
                    ? Repository.initEncrypted(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE, password)
                    : Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
            spec.commandLine().getOut().printf("created %srepository %s (id %s)%n", encrypt ? "encrypted " : "",
                    config.repository(), repo.id());
            if (encrypt) {
                spec.commandLine().getOut().printf("key %s opens it: keep the password safe, without it nothing "
                        + "in the repository can be read ('tidemark key add' adds another)%n", repo.keyId());
            }
        }
        return 0;
    }
}
