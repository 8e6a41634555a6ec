package dev.tidemark.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Trees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore keeps its open files bounded, whatever the number of packs its files lie in: a real process under
 * {@code ulimit -n 256} restores a point spread over more than ten times that many packs. (Before, every pack read
 * stayed open until the end: the daemon's one-pack-per-batch repositories broke restores after minutes of use.)
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BoundedRestoreTest {
    /** Files, each in a pack of its own. The CI size; the lifecycle benchmark restores from 100,000 packs. */
    static final int FILES = Integer.getInteger("tidemark.test.boundedRestoreFiles", 3000);

    @TempDir
    Path tmp;

    @Test
    void aPointInThousandsOfPacksRestoresUnderUlimit256() throws Exception {
        Env env = new Env(tmp, "t");
        Path t = env.tree("t");
        for (int i = 0; i < FILES; i++) {
            Path p = t.resolve("d" + (i % 37)).resolve("f" + i + ".txt");
            Files.createDirectories(p.getParent());
            Files.writeString(p, "file " + i + " " + "x".repeat(i % 50), StandardCharsets.UTF_8);
        }
        // A pack size of one byte: every blob is committed in a pack of its own.
        Files.createDirectories(env.repo);
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository.init(store, Clock.systemUTC(), 1);
        }
        env.ok("point");
        long packs;
        try (Stream<Path> s = Files.walk(env.repo.resolve("data"))) {
            packs = s.filter(Files::isRegularFile).count();
        }
        assertTrue(packs >= FILES, "expected a pack per file, got " + packs);

        Path out = tmp.resolve("out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = "ulimit -n 256 && exec '" + java + "' -Xmx256m -cp '" + dev.tidemark.testing.RuntimeClasspath.get()
                + "' dev.tidemark.cli.Main restore latest --to '" + out + "' --no-sync --no-progress --config '"
                + env.configFile + "'";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C.UTF-8");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), output);
        assertEquals(0, p.exitValue(), "restore of " + packs + " packs under ulimit -n 256:\n" + output);
        Trees.assertSame(t, out.resolve("t"));
    }
}
