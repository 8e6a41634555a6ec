package dev.tidemark.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository of format 2 (written by tidemark at 1775007: whole manifests under {@code manifests/}, whole dumps
 * under {@code dumps/}, packs of whole blobs) is read as it is by every reader, and upgraded by the first writer
 * without rewriting anything.
 */
class OlderRepositoryTest {
    private static final String FIRST = "20261122T094216Z";
    private static final String SECOND = "20261122T094218Z";
    private static final String NUMBERS = IntStream.rangeClosed(1, 3000).mapToObj(Integer::toString)
            .collect(Collectors.joining("\n", "", "\n"));

    @TempDir
    Path tmp;

    private Env fixture() throws Exception {
        Env env = new Env(tmp, "t");
        Path from = Path.of(getClass().getResource("/fixtures/format2-repository/version").toURI()).getParent();
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path to = env.repo.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return env;
    }

    private void assertRestores(Env env, String point, String a) throws Exception {
        Path out = tmp.resolve("out-" + point + "-" + System.nanoTime());
        env.ok("restore", point, "--to", out.toString());
        assertEquals(a, Files.readString(out.resolve("t/a.txt")));
        assertEquals(NUMBERS, Files.readString(out.resolve("t/sub/numbers.txt")));
        assertEquals("a.txt", Files.readSymbolicLink(out.resolve("t/link")).toString());
    }

    @Test
    void readersReadAFormatTwoRepositoryAsItIsAndChangeNothing() throws Exception {
        Env env = fixture();
        assertTrue(env.ok("points").out().contains(SECOND));
        assertRestores(env, FIRST, "hello format 2\n");
        assertRestores(env, SECOND, "hello format 2\nmore\n");
        Cli.Result v = env.ok("verify", "--read-data");
        assertTrue(v.out().contains("no damage found"), v.out());
        assertTrue(env.ok("show", SECOND, "--files").out().contains("sub/numbers.txt"));
        assertTrue(env.ok("diff", FIRST, SECOND).out().contains("1 changed"));
        Path sql = tmp.resolve("dump.sql");
        env.ok("db", "export", FIRST, "-o", sql.toString());
        assertTrue(Files.readString(sql).contains("'sub/numbers.txt'"));
        assertEquals("tidemark repository format 2", Files.readString(env.repo.resolve("version")).trim(),
                "a reader upgrades nothing");
    }

    @Test
    void theFirstWriterUpgradesToFormatThreeAndOldPointsStayRestorableThroughPrune() throws Exception {
        Env env = fixture();
        Files.writeString(env.tree("t").resolve("a.txt"), "hello format 3\n");
        Files.createDirectories(env.tree("t").resolve("sub"));
        Files.writeString(env.tree("t").resolve("sub/numbers.txt"), NUMBERS);
        Files.createSymbolicLink(env.tree("t").resolve("link"), Path.of("a.txt"));
        env.ok("point");
        assertEquals("tidemark repository format " + Repository.FORMAT,
                Files.readString(env.repo.resolve("version")).trim());
        Repository repo = Repository.open(new LocalDirStore(env.repo));
        PointStore ps = new PointStore(repo);
        List<String> ids = ps.ids();
        assertEquals(3, ids.size());
        RestorePoint latest = ps.load(ids.get(2));
        assertFalse(latest.trees().get(0).manifest().contains("/"), "a new manifest is content: "
                + latest.trees().get(0).manifest());
        assertRestores(env, FIRST, "hello format 2\n");
        assertRestores(env, ids.get(2), "hello format 3\n");

        env.ok("forget", "--keep-last", "2", "--prune");
        try (Stream<Path> s = Files.walk(env.repo.resolve("manifests"))) {
            assertEquals(1, s.filter(Files::isRegularFile).count(), "the forgotten point's manifest is pruned");
        }
        try (Stream<Path> s = Files.walk(env.repo.resolve("dumps"))) {
            assertEquals(1, s.filter(Files::isRegularFile).count(), "the forgotten point's dump is pruned");
        }
        assertTrue(env.ok("verify", "--read-data").out().contains("no damage found"));
        assertRestores(env, SECOND, "hello format 2\nmore\n");
        assertRestores(env, "latest", "hello format 3\n");
    }
}
