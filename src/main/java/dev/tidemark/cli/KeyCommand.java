package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.repo.crypto.EncryptedStore;
import dev.tidemark.repo.crypto.Keys;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "key", description = {"Manage the passwords of an encrypted repository.",
    "Manage the passwords of an encrypted repository: each key is the repository's",
    "master key sealed under one password. The current password (TIDEMARK_PASSWORD, TIDEMARK_PASSWORD_FILE or the",
    "config's repositoryPasswordFile) opens the repository; a new one comes from TIDEMARK_NEW_PASSWORD or",
    "TIDEMARK_NEW_PASSWORD_FILE. Changing a password: add the new key, then remove the old one with the new password.",
    "Examples:",
    "  tidemark key list",
    "  TIDEMARK_NEW_PASSWORD_FILE=/root/new-password tidemark key add",
    "  TIDEMARK_PASSWORD_FILE=/root/new-password tidemark key remove 3fa2"},
        subcommands = {KeyCommand.ListKeys.class, KeyCommand.Add.class, KeyCommand.Remove.class})
final class KeyCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a subcommand: list, add, remove");
    }

    /** The encrypted repository, opened with the current password, under a reader's lease. */
    static RepoSession open(Config config, String command) throws Exception {
        RepoSession s = RepoSession.read(config, command);
        if (!s.repo.encrypted()) {
            s.close();
            throw TidemarkException.usage("repository " + s.repo.location() + " is not encrypted: it has no keys "
                    + "(a new repository made with 'tidemark init --encrypt' has)");
        }
        return s;
    }

    static EncryptedStore store(RepoSession s) {
        return (EncryptedStore) s.repo.wholeStore();
    }

    @Command(name = "list", description = {"List the keys: id, when added, and which one the current password opens.",
        "Example:", "  tidemark key list"})
    static final class ListKeys implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (RepoSession s = open(common.load(), "key list")) {
                PrintWriter w = spec.commandLine().getOut();
                for (Keys.Entry e : Keys.list(store(s).inner())) {
                    w.printf("%s  added %s%s%n", e.id(), e.created(), e.id().equals(s.repo.keyId())
                            ? "  (this password)" : "");
                }
            }
            return 0;
        }
    }

    @Command(name = "add", description = {"Add a password.",
        "Add a password: from --new-password-file, TIDEMARK_NEW_PASSWORD or the file",
        "TIDEMARK_NEW_PASSWORD_FILE names. Both passwords then open the repository.", "Examples:",
        "  tidemark key add --new-password-file /root/second-password",
        "  TIDEMARK_NEW_PASSWORD_FILE=/root/second-password tidemark key add"})
    static final class Add implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @picocli.CommandLine.Option(names = "--new-password-file", paramLabel = "FILE",
                description = "The file whose first line is the new password.")
        java.nio.file.Path newPasswordFile;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Config config = common.load();
            char[] fresh = newPasswordFile != null ? dev.tidemark.repo.crypto.Passwords.readFile(newPasswordFile,
                    "--new-password-file") : config.passwords().newPassword();
            if (fresh == null) {
                throw TidemarkException.usage("key add needs the new password: set TIDEMARK_NEW_PASSWORD, or "
                        + "TIDEMARK_NEW_PASSWORD_FILE to a file holding it");
            }
            try (RepoSession s = open(config, "key add")) {
                EncryptedStore enc = store(s);
                String id = Keys.add(enc.inner(), enc.masterKey(), fresh, Clock.systemUTC().instant());
                spec.commandLine().getOut().printf("added key %s%n", id);
            }
            return 0;
        }
    }

    @Command(name = "remove", description = {"Remove a key.",
        "Remove a key (its id, or a unique start of it). The key the current",
        "password opens, and the last key, are refused.", "Example:", "  tidemark key remove 3fa2"})
    static final class Remove implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "ID", description = "The key to remove.")
        String id;

        @Override
        public Integer call() throws Exception {
            try (RepoSession s = open(common.load(), "key remove")) {
                String removed = Keys.remove(store(s).inner(), id, s.repo.keyId());
                spec.commandLine().getOut().printf("removed key %s%n", removed);
            }
            return 0;
        }
    }
}
