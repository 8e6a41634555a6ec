package dev.tidemark.repo.crypto;

import dev.tidemark.TidemarkException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * Where an encrypted repository's password comes from, never the command line: {@code TIDEMARK_PASSWORD}, else the
 * file {@code TIDEMARK_PASSWORD_FILE} names, else the config's {@code repositoryPasswordFile}. A file's first line is the
 * password (a trailing newline is not part of it). {@code TIDEMARK_NEW_PASSWORD} / {@code TIDEMARK_NEW_PASSWORD_FILE}
 * give the password that {@code tidemark key add} adds.
 */
public final class Passwords {
    private final Function<String, String> env;
    private final Path configFile;

    public Passwords(Function<String, String> env, Path configFile) {
        this.env = env;
        this.configFile = configFile;
    }

    /** The environment only (no config). */
    public static Passwords environment() {
        return new Passwords(System::getenv, null);
    }

    /** The password, or null if none is given anywhere. */
    public char[] password() {
        return find("TIDEMARK_PASSWORD", "TIDEMARK_PASSWORD_FILE", configFile);
    }

    /** The password to add, or null if none is given. */
    public char[] newPassword() {
        return find("TIDEMARK_NEW_PASSWORD", "TIDEMARK_NEW_PASSWORD_FILE", null);
    }

    private char[] find(String var, String fileVar, Path fallback) {
        String direct = env.apply(var);
        if (direct != null && !direct.isEmpty()) {
            return direct.toCharArray();
        }
        String file = env.apply(fileVar);
        if (file != null && !file.isEmpty()) {
            return readFile(Path.of(file), fileVar);
        }
        return fallback == null ? null : readFile(fallback, "repositoryPasswordFile");
    }

    /** The password on the first line of {@code file}; {@code from} names where the file was given, for messages. */
    public static char[] readFile(Path file, String from) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            String line = nl < 0 ? s : s.substring(0, nl);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                throw TidemarkException.usage("password file " + file + " (" + from + ") is empty: write the "
                        + "password on its first line");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw dev.tidemark.util.Problems.unreadable(e, "password file " + file + " (" + from + ") cannot be "
                    + "read: " + e.getMessage());
        }
    }

    /** For tests: a fixed environment. */
    public static Passwords of(Map<String, String> env, Path configFile) {
        return new Passwords(env::get, configFile);
    }
}
