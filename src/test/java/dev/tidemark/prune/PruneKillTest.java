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
 * SIGKILL of a real {@code tidemark prune} process, 30 times in the suite (~2 minutes): half at random moments, half
 * aimed into the phase that changes the repository. The torture harness and {@code -Dtidemark.test.pruneKills=N} run
 * more (50 were run when prune landed). After each kill, with nothing cleaned up by hand (the dead process's lock
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

    /** Polls the repository's listing until it differs from {@code untouched}; the moment, in nanoTime. */
    private static long awaitChange(Env env, Process p, Map<String, Long> untouched) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (unchanged(env.repo, untouched)) {
            if (!p.isAlive() && unchanged(env.repo, untouched)) {
                throw new AssertionError("prune exited without changing the repository: "
                        + Files.readString(env.base.resolve("prune.log")));
            }
            assertTrue(System.nanoTime() < deadline, "prune changed nothing in 5 minutes");
            Thread.sleep(2);
        }
        return System.nanoTime();
    }

    private static boolean unchanged(Path repo, Map<String, Long> untouched) throws Exception {
        try {
            return listing(repo).equals(untouched);
        } catch (java.nio.file.NoSuchFileException | java.io.UncheckedIOException gone) {
            return false; // a file went away while it was listed: the prune is changing the repository
        }
    }

    @Test
    void fiftyKillsAtRandomMomentsOfPruneLoseNothing() throws Exception {
        History h = History.build(tmp.resolve("h"), 800, 6, 0.25, 32 << 10, 11);
        h.env.ok("forget", "--keep-last", "2");
        Map<String, Path> before = h.restore(tmp.resolve("before"), h.points.subList(4, 6));
        Path pristine = h.copyTo(tmp.resolve("pristine"));
        Map<String, Long> untouched = listing(pristine.resolve("repo"));

        // How long a whole prune takes here, and how long its changing phase (from the first change to the
        // listing until it exits). The shortest of three runs: the first one alone pays for cold caches.
        long fullMillis = Long.MAX_VALUE;
        long changingMillis = Long.MAX_VALUE;
        Map<String, Long> done = null;
        for (int run = 0; run < 3; run++) {
            Env timing = new Env(tmp.resolve("timing-" + run), "t");
            History.copyTree(pristine, timing.base);
            long t0 = System.nanoTime();
            Process full = prune(timing);
            long firstChange = awaitChange(timing, full, untouched);
            assertTrue(full.waitFor(5, TimeUnit.MINUTES));
            long end = System.nanoTime();
            assertEquals(0, full.exitValue(), Files.readString(timing.base.resolve("prune.log")));
            fullMillis = Math.min(fullMillis, (end - t0) / 1_000_000);
            changingMillis = Math.min(changingMillis, (end - firstChange) / 1_000_000);
            done = listing(timing.repo);
            Trees.deleteRecursively(timing.base);
        }

        // Odd kills land at a random moment of the whole run (most before any change or after the end: that the
        // lock and the start-up survive a kill matters too); even ones are aimed into the changing phase, measured
        // from the first change this run makes, so that enough land midway however short that phase is here.
        Random rnd = new Random(17);
        int beforeAnyChange = 0;
        int midway = 0;
        int afterAll = 0;
        for (int i = 1; i <= KILLS; i++) {
            Env e = new Env(tmp.resolve("kill-" + i), "t");
            History.copyTree(pristine, e.base);
            Process p = prune(e);
            if (i % 2 == 1) {
                Thread.sleep((long) (fullMillis * (0.3 + 0.8 * rnd.nextDouble()))); // past most of the start-up
            } else {
                awaitChange(e, p, untouched);
                Thread.sleep((long) (changingMillis * 0.8 * rnd.nextDouble()));
            }
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
                + "after it finished (changing phase %d ms)%n", fullMillis, KILLS, beforeAnyChange, midway, afterAll,
                changingMillis);
        assertTrue(midway >= KILLS / 5, "too few kills landed while the prune was changing the repository: " + midway);
    }
}
