package dev.tidemark.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.config.Config;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.CountingStore;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.FaultyStore;
import dev.tidemark.testing.Points;
import dev.tidemark.testing.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A point that fails part-way (disk full, crash) leaves no point, a repository that verifies, and nothing the next
 * point has to copy twice.
 */
class InterruptedPointTest {
    @TempDir
    Path tmp;

    /** Fails the n-th commit under a prefix: a pack in the middle, the last pack (it holds the manifest), the point. */
    @ParameterizedTest(name = "failure at {0}")
    @ValueSource(strings = {"data:2", "data:3", "points:1"})
    void aFailedCommitLeavesNoPointAndTheNextPointFinishesTheJob(String where) throws Exception {
        String prefix = where.substring(0, where.indexOf(':'));
        int nth = Integer.parseInt(where.substring(where.indexOf(':') + 1));
        Env env = new Env(tmp, "facedata");
        Random r = new Random(4);
        // About 45 MiB in 11,000 files: three packs, and more files than one index batch, so a failure can hit a
        // pack in the middle after records of files in it were ready to be written.
        for (int i = 0; i < 11_000; i++) {
            Trees.write(env.tree("facedata").resolve("d" + (i % 16) + "/crop-" + i + ".jpg"), r, 4_000);
        }
        env.ok("init");
        Config config = env.config();
        // "Later" than the files were written, so the index trusts its records: a record written for content
        // that never reached the repository would then be reused blindly and the point would name missing data.
        Clock later = Clock.offset(Clock.systemUTC(), java.time.Duration.ofSeconds(30));
        try (LocalDirStore local = new LocalDirStore(env.repo)) {
            FaultyStore faulty = new FaultyStore(local, k -> k.startsWith(prefix + "/"), nth);
            IOException e = assertThrows(IOException.class, () -> Points.take(config, faulty, later));
            assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
            assertEquals(0, local.list("points/").size(), "no point was written");
            try (Stream<Path> s = Files.list(env.repo.resolve("tmp"))) {
                assertEquals(0, s.count(), "aborted uploads cleaned up");
            }
            env.ok("verify", "--read-data");

            long total = Trees.files(env.tree("facedata")).stream().mapToLong(p -> p.toFile().length()).sum();
            CountingStore counting = new CountingStore(local);
            var next = Points.take(config, counting, later);
            assertEquals(11_000, next.point().totals().files());
            assertTrue(counting.bytes("data") < total, "content committed before the failure is not sent again: sent "
                    + counting.bytes("data") + " of " + total + " (" + prefix + ")");
        }
        Path out = tmp.resolve("out");
        env.ok("restore", "latest", "--to", out.toString());
        Trees.assertSame(env.tree("facedata"), out.resolve("facedata"));
    }
}
