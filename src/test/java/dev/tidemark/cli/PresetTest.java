package dev.tidemark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.config.Config;
import dev.tidemark.config.ConfigLoader;
import dev.tidemark.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tidemark init --preset}: a commented config for the seeds' apps, then the repository it names. */
class PresetTest {
    @TempDir
    Path tmp;

    @Test
    void qumagieSealsFaceCropsWithTheDatabaseAndLeavesThumbnailsOut() throws Exception {
        Path file = tmp.resolve("etc/tidemark.json");
        Cli.Result r = Cli.run("init", "--preset", "qumagie", "--repository", tmp.resolve("repo").toString(),
                "--state", tmp.resolve("state").toString(), "--config", file.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("wrote " + file + " (preset qumagie)"), r.out());
        assertTrue(r.out().contains("not here yet: tree facedata (/share/CACHEDEV1_DATA/.system/facedata)"), r.out());
        assertTrue(Files.isRegularFile(tmp.resolve("repo/config")), "the repository exists");
        Config c = ConfigLoader.load(file);
        assertEquals(List.of("facedata"), c.trees().stream().map(t -> t.name()).toList());
        assertEquals(Path.of("/share/CACHEDEV1_DATA/.system/facedata"), c.trees().get(0).path());
        assertTrue(c.trees().stream().noneMatch(t -> t.path().toString().contains("thumbnail")));
        assertEquals(List.of("s01"), c.database().schemas());
        assertEquals(List.of("/etc/init.d/QuMagie.sh", "stop"), c.hooks().preRestore().command());
        assertEquals(List.of("/etc/init.d/QuMagie.sh", "start"), c.hooks().postRestore().command());
        assertTrue(Files.readString(file).contains("// "), "the config explains itself");
        assertEquals(List.of(file), siblings(file), "nothing else left beside it");

        // Never replaces a config; nothing is touched.
        byte[] before = Files.readAllBytes(file);
        Cli.Result again = Cli.run("init", "--preset", "qr-code-master", "--repository",
                tmp.resolve("repo2").toString(), "--config", file.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains(file + " exists already"), again.err());
        assertEquals(new String(before), Files.readString(file));
        assertFalse(Files.exists(tmp.resolve("repo2")));
    }

    @Test
    void qrCodeMasterKeepsConfigUploadsOutputAndLogsButNotTheOldArchives() throws Exception {
        Path file = tmp.resolve("qr.json");
        Cli.Result r = Cli.run("init", "--preset", "qr-code-master", "--repository", tmp.resolve("repo").toString(),
                "--state", tmp.resolve("state").toString(), "--config", file.toString());
        assertEquals(0, r.code(), r.toString());
        Config c = ConfigLoader.load(file);
        assertEquals(Path.of("/qr-data"), c.trees().get(0).path());
        assertEquals(List.of("backups", "logs/*.gz"), c.trees().get(0).exclude());
        assertEquals(null, c.database());
        assertEquals(7, c.retention().policy().daily());
    }

    @Test
    void aBadPresetOrPathIsOneLineAndLeavesNothing() throws Exception {
        Path file = tmp.resolve("c.json");
        Cli.Result unknown = Cli.run("init", "--preset", "plex", "--config", file.toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("no such preset; there are: qumagie, qr-code-master"), unknown.err());
        Cli.Result relative = Cli.run("init", "--preset", "qumagie", "--repository", "backup", "--state",
                tmp.resolve("s").toString(), "--config", file.toString());
        assertEquals(2, relative.code());
        assertEquals(1, relative.err().lines().count(), relative.err());
        assertTrue(relative.err().contains(file + " (preset qumagie)") && relative.err().contains("'repository' is "
                + "'backup', a relative path"), relative.err());
        Cli.Result stray = Cli.run("init", "--repository", tmp.resolve("r").toString(), "--config", file.toString());
        assertEquals(2, stray.code());
        assertEquals(List.of(), siblings(file));
    }

    private static List<Path> siblings(Path file) throws Exception {
        try (var s = Files.list(file.getParent())) {
            return s.filter(p -> p.getFileName().toString().contains(file.getFileName().toString())).toList();
        }
    }
}
