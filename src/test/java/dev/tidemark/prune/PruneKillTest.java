package dev.tidemark.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Env;
import dev.tidemark.testing.History;
import dev.tidemark.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of a real {@code tidemark prune} process at random moments, 30 times in the suite (~2 minutes; the
 * torture harness and {@code -Dtidemark.test.pruneKills=N} run more: 50 were run when prune landed). After each kill, with nothing cleaned up by hand (the dead process's lock
 * is stale because its pid is gone): {@code verify --read-data} exits 0, every kept point restores as it did before,
 * and the next prune converges.
 */
@Tag("slow")
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class PruneKillTest {
    static final int KILLS = Integer.getInteger("tidemark.test.pruneKills", 30);

    @TempDir
    Path tmp;

    private static Map<String, Long> listing(Path repo) throws Exception {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(repo)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String k = repo.relativize(p).toString();
                if (!k.startsWith("leases/") && !k.startsWith("locks/") && !k.startsWith("tmp/")) {
                    out.put(k, Files.size(p));
                }
            }
        }
        return out;
    }

    private static Process prune(Env env) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
                dev.tidemark.testing.RuntimeClasspath.get(), "dev.tidemark.cli.Main", "prune", "--max-unused", "0%",
                "--no-progress", "-q", "--config", env.configFile.toString());
        pb.environment().put("LC_ALL", "C.UTF-8");
        pb.redirectErrorStream(true).redirectOutput(env.base.resolve("prune.log").toFile());
        return pb.start();
    }

    @Test
    void fiftyKillsAtRandomMomentsOfPruneLoseNothing() throws Exception {
        History h = History.build(tmp.resolve("h"), 800, 6, 0.25, 32 << 10, 11);
        h.env.ok("forget", "--keep-last", "2");
        Map<String, Path> before = h.restore(tmp.resolve("before"), h.points.subList(4, 6));
        Path pristine = h.copyTo(tmp.resolve("pristine"));
        Map<String, Long> untouched = listing(pristine.resolve("repo"));

        // How long a whole prune takes here: kills land from the late start-up to a little after the end. The
        // shortest of three runs: the first one alone pays for cold caches, and timed by it most kills landed after
        // the end (once 15 of 30, and too few midway).
        long fullMillis = Long.MAX_VALUE;
        Map<String, Long> done = null;
        for (int run = 0; run < 3; run++) {
            Env timing = new Env(tmp.resolve("timing-" + run), "t");
            History.copyTree(pristine, timing.base);
            long t0 = System.nanoTime();
            Process full = prune(timing);
            assertTrue(full.waitFor(5, TimeUnit.MINUTES));
            assertEquals(0, full.exitValue(), Files.readString(timing.base.resolve("prune.log")));
            fullMillis = Math.min(fullMillis, (System.nanoTime() - t0) / 1_000_000);
            done = listing(timing.repo);
            Trees.deleteRecursively(timing.base);
        }

        Random rnd = new Random(17);
        int beforeAnyChange = 0;
        int midway = 0;
        int afterAll = 0;
        for (int i = 1; i <= KILLS; i++) {
            Env e = new Env(tmp.resolve("kill-" + i), "t");
            History.copyTree(pristine, e.base);
            Process p = prune(e);
            Thread.sleep((long) (fullMillis * (0.3 + 0.8 * rnd.nextDouble()))); // past most of the JVM's start-up
            p.destroyForcibly(); // SIGKILL
            assertTrue(p.waitFor(1, TimeUnit.MINUTES));
            Map<String, Long> now = listing(e.repo);
            if (now.equals(untouched)) {
                beforeAnyChange++;
            } else if (now.equals(done)) {
                afterAll++;
            } else {
                midway++;
            }
            History.assertWholeAndConverging(e, before, "kill " + i);
            Trees.deleteRecursively(e.base);
        }
        System.out.printf("prune (%d ms on its own) killed %d times: %d before it changed anything, %d midway, %d "
                + "after it finished%n", fullMillis, KILLS, beforeAnyChange, midway, afterAll);
        assertTrue(midway >= KILLS / 5, "too few kills landed while the prune was changing the repository: " + midway);
    }
}
