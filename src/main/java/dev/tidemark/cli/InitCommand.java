package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.config.ConfigLoader;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.S3Capabilities;
import dev.tidemark.repo.store.S3Store;
import dev.tidemark.repo.store.Store;
import java.nio.file.Files;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "init", description = {"Create the repository named in the config (and the state directory).",
    "Create the repository the config names, and the state directory. Refuses a",
    "location that already holds a repository.",
    "",
    "With --encrypt every object is encrypted (AES-256-GCM) under a random key that",
    "only the password opens. The password comes from TIDEMARK_PASSWORD, a file",
    "named by TIDEMARK_PASSWORD_FILE, or the config's repositoryPasswordFile, never",
    "from the command line. Lose every password and nobody can read the repository.",
    "",
    "With --preset NAME it first writes a commented config for a known app (never",
    "replacing one), then creates the repository that config names:",
    "  qumagie         QuMagie / Photo Station: the face crops and the s01 database",
    "                  together, thumbnails left out, QuMagie stopped around a",
    "                  full restore",
    "  qr-code-master  QR Code Master's /qr-data: config, uploads, output, logs",
    "",
    "Examples:",
    "  tidemark init",
    "  TIDEMARK_PASSWORD_FILE=/etc/tidemark/password tidemark init --encrypt",
    "  tidemark init --preset qumagie --repository /share/Backup/tidemark",
    "  tidemark init --preset qr-code-master --repository /mnt/usb/tidemark \\",
    "      --state /var/lib/tidemark --config /etc/tidemark/tidemark.json"})
final class InitCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Option(names = "--encrypt", description = "Encrypt the repository (password from the "
            + "environment or the config's repositoryPasswordFile).")
    boolean encrypt;

    @picocli.CommandLine.Option(names = "--preset", paramLabel = "NAME", completionCandidates = Presets.Names.class,
            description = "Write a config for a known app first: ${COMPLETION-CANDIDATES}.")
    String preset;

    @picocli.CommandLine.Option(names = "--repository", paramLabel = "DIR|s3://BUCKET/PREFIX",
            description = "With --preset: where the repository goes (default: the preset's).")
    String repository;

    @picocli.CommandLine.Option(names = "--state", paramLabel = "DIR",
            description = "With --preset: the state directory (default: the preset's).")
    String state;

    @Override
    public Integer call() throws Exception {
        if (preset == null && (repository != null || state != null)) {
            throw TidemarkException.usage("--repository and --state go with --preset; without it they come from the "
                    + "config file");
        }
        if (preset != null) {
            Presets.Written w = Presets.write(preset, common.config, repository, state);
            try {
                int code = init(ConfigLoader.load(w.staged()));
                w.commit();
                spec.commandLine().getOut().printf("wrote %s (preset %s): read it, then 'tidemark point' or "
                        + "'tidemark run'%s%n", w.target(), preset, w.missingTrees().isEmpty() ? ""
                        : "; not here yet: " + String.join(", ", w.missingTrees()));
                return code;
            } finally {
                w.discard();
            }
        }
        return init(common.load());
    }

    private int init(Config config) throws Exception {
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
                // What the server really does with each request the repository needs, before it holds anything:
                // a server that cannot hold it is refused here in one line (exit 2), nothing written.
                S3Capabilities found = s3.probe();
                if (!found.conditionalWrites()) {
                    spec.commandLine().getErr().println("tidemark: note: " + config.repository() + " has no "
                            + "conditional writes; with \"conditionalWrites\": false every writer takes the "
                            + "repository alone (one point, daemon or prune at a time, across all hosts)");
                }
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
