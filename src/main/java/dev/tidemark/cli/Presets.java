package dev.tidemark.cli;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.config.ConfigLoader;
import dev.tidemark.config.TreeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Configs for the apps tidemark was made for ({@code init --preset}): commented templates in
 * {@code src/main/resources/presets}, with the repository and state directory filled in. A preset's config is
 * written beside its final place, validated, and moved into place only once the repository exists, so a failed
 * init leaves no config behind and an existing config is never replaced.
 */
final class Presets {
    /** name → {default repository, default state directory}. */
    static final Map<String, List<String>> PRESETS = Map.of(
            "qumagie", List.of("/share/Backup/tidemark", "/share/CACHEDEV1_DATA/.tidemark"),
            "qr-code-master", List.of("/srv/backup/tidemark", "/var/lib/tidemark"));

    /** For --preset's completion and help. */
    static final class Names implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("qumagie", "qr-code-master").iterator();
        }
    }

    /** A config written beside {@code target}, not yet in place. */
    record Written(Path staged, Path target, List<String> missingTrees) {
        /** Moves it into place. */
        void commit() throws IOException {
            try {
                Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(staged, target);
            }
        }

        /** Removes it if it was not moved into place. */
        void discard() throws IOException {
            Files.deleteIfExists(staged);
        }
    }

    private Presets() {
    }

    /**
     * Writes preset {@code name} for the config file {@code given} (--config; else TIDEMARK_CONFIG's file, else
     * {@link ConfigLoader#SYSTEM_FILE}), validated. A usage error if the preset is unknown or the file exists.
     */
    static Written write(String name, Path given, String repository, String state) throws IOException {
        List<String> defaults = PRESETS.get(name);
        if (defaults == null) {
            throw TidemarkException.usage("--preset " + name + ": no such preset; there are: qumagie, qr-code-master");
        }
        Path target = given != null ? given : System.getenv("TIDEMARK_CONFIG") != null
                && !System.getenv("TIDEMARK_CONFIG").isBlank() ? Path.of(System.getenv("TIDEMARK_CONFIG"))
                : ConfigLoader.SYSTEM_FILE;
        target = target.toAbsolutePath();
        if (Files.exists(target)) {
            throw TidemarkException.usage(target + " exists already: a preset never replaces a config; remove it, "
                    + "or give --config NEWFILE");
        }
        String text;
        try (InputStream in = Presets.class.getResourceAsStream("/presets/" + name + ".json")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        text = text.replace("@REPOSITORY@", json(repository != null ? repository : defaults.get(0)))
                .replace("@STATE@", json(state != null ? state : defaults.get(1)));
        Files.createDirectories(target.getParent());
        Path staged = target.resolveSibling("." + target.getFileName() + ".preset-" + ProcessHandle.current().pid());
        Files.writeString(staged, text);
        try {
            Config c = ConfigLoader.load(staged); // bad --repository or --state: one line naming the field
            List<String> missing = new ArrayList<>();
            for (TreeConfig t : c.trees()) {
                if (!Files.isDirectory(t.path())) {
                    missing.add("tree " + t.name() + " (" + t.path() + ")");
                }
            }
            return new Written(staged, target, missing);
        } catch (TidemarkException e) {
            Files.deleteIfExists(staged);
            throw new TidemarkException(e.exitCode(), e.getMessage().replace(staged.toString(), target + " (preset "
                    + name + ")"), e);
        } catch (RuntimeException e) {
            Files.deleteIfExists(staged);
            throw e;
        }
    }

    /** {@code s} as the inside of a JSON string. */
    private static String json(String s) {
        String q;
        try {
            q = dev.tidemark.util.Json.MAPPER.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return q.substring(1, q.length() - 1);
    }
}
