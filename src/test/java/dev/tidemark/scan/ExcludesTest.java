package dev.tidemark.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Exclude globs: a name at any depth without '/', a path from the tree root with it. */
class ExcludesTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("*.tmp", "a/b/c.tmp", "c.tmp", true),
                Arguments.of("*.tmp", "a/b/c.tmp.keep", "c.tmp.keep", false),
                Arguments.of(".DS_Store", "x/.DS_Store", ".DS_Store", true),
                Arguments.of("thumbnail/**", "thumbnail/a/b.jpg", "b.jpg", true),
                Arguments.of("thumbnail/**", "facedata/thumbnail/b.jpg", "b.jpg", false),
                Arguments.of("thumbnail", "thumbnail", "thumbnail", true),
                Arguments.of("logs/*.gz", "logs/app.1.gz", "app.1.gz", true),
                Arguments.of("logs/*.gz", "logs/old/app.1.gz", "app.1.gz", false),
                Arguments.of("/backups/", "backups", "backups", true),
                Arguments.of("@Recycle", "share/@Recycle", "@Recycle", true));
    }

    @ParameterizedTest(name = "{0} on {1}: {3}")
    @MethodSource("cases")
    void globsMatchNamesOrPathsFromTheRoot(String glob, String rel, String name, boolean excluded) {
        assertEquals(excluded, new Excludes(List.of(glob)).excluded(rel, name));
    }

    @Test
    void excludedFilesAndDirectoriesStayOutOfPoints() throws Exception {
        Env env = new Env(tmp, "qr");
        Path src = env.tree("qr");
        Files.createDirectories(src.resolve("backups"));
        Files.writeString(src.resolve("backups/qr_backup_20261120_020000.tar.gz"), "old tarball");
        Files.createDirectories(src.resolve("uploads"));
        Files.writeString(src.resolve("uploads/scan.png"), "png");
        Files.writeString(src.resolve("uploads/scan.png.part"), "half an upload");
        Files.writeString(src.resolve("settings.json"), "{}");
        env.writeConfig("  \"exclude\": [\"*.part\"],\n");
        // Per-tree excludes go in the tree entry; rewrite the config by hand for that.
        String cfg = Files.readString(env.configFile).replace("\"path\": \"" + src + "\"}",
                "\"path\": \"" + src + "\", \"exclude\": [\"backups\"]}");
        Files.writeString(env.configFile, cfg);
        env.ok("init");
        env.ok("point");
        String files = env.ok("show", "latest", "--files").out();
        assertTrue(files.contains("uploads/scan.png"), files);
        assertTrue(files.contains("settings.json"), files);
        assertFalse(files.contains(".part"), files);
        assertFalse(files.contains("backups"), files);

        // A file that becomes excluded leaves the next point.
        Files.writeString(env.configFile, Files.readString(env.configFile).replace("[\"*.part\"]",
                "[\"*.part\", \"settings.json\"]"));
        env.ok("point");
        Cli.Result diff = env.ok("diff", firstId(env), "latest");
        assertTrue(diff.out().contains("- qr/settings.json"), diff.out());
    }

    private static String firstId(Env env) throws Exception {
        return env.ok("points").out().lines().skip(1).findFirst().orElseThrow().split("\\s+")[0];
    }
}
