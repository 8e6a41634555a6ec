package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Lease;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Trees;
import dev.tidemark.util.Json;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon keeping its repository small while it replicates, with readers that never break. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DaemonLifecycleTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    /** Copies a tree exactly: bytes, modes, and mtimes (ns) of files and directories (set deepest first). */
    private static void copyExact(Path from, Path to) throws Exception {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(q);
                    dirs.add(p);
                } else {
                    Files.copy(p, q, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                    // COPY_ATTRIBUTES keeps microseconds only; the restore is compared to the nanosecond.
                    Files.setLastModifiedTime(q, (FileTime) Files.getAttribute(p, "lastModifiedTime"));
                }
            }
        }
        Collections.reverse(dirs);
        for (Path d : dirs) {
            Path q = to.resolve(from.relativize(d).toString());
            Files.setAttribute(q, "unix:mode", Files.getAttribute(d, "unix:mode"));
            Files.setLastModifiedTime(q, (FileTime) Files.getAttribute(d, "lastModifiedTime"));
        }
    }

    @Test
    void restoresAreExactWhileTheDaemonCompactsForgetsAndPrunesUnderThem() throws Exception {
        Env env = new Env(tmp, "t");
        env.writeConfig(Running.fastConfig()
                + "  \"retention\": {\"keepLast\": 3, \"every\": \"10s\", \"journalWithin\": \"1h\"},\n");
        env.ok("init");
        Path t = env.tree("t");
        Random rnd = new Random(5);
        for (int i = 0; i < 300; i++) {
            Trees.write(t.resolve("d" + (i % 8)).resolve("f" + i + ".jpg"), rnd, 1000 + rnd.nextInt(5000));
        }
        Map<String, Path> refs = new ConcurrentHashMap<>();
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger restores = new AtomicInteger();
        AtomicInteger vanished = new AtomicInteger();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        try (Running r = new Running(env)) {
            // A reader that restores kept points over and over, each compared with the tree as it was.
            Thread reader = new Thread(() -> {
                Random pick = new Random(9);
                while (!done.get()) {
                    List<String> ids = new ArrayList<>(refs.keySet());
                    if (ids.isEmpty()) {
                        Thread.onSpinWait();
                        continue;
                    }
                    String id = ids.get(pick.nextInt(ids.size()));
                    Path to = tmp.resolve("restore-" + restores.get());
                    Cli.Result res = env.cli("restore", id, "--to", to.toString(), "--no-sync", "-q");
                    try {
                        if (res.code() == 1 && res.err().contains("no restore point")) {
                            vanished.incrementAndGet(); // forgotten before this restore began: fine
                        } else {
                            assertEquals(0, res.code(), res.toString());
                            Trees.assertSame(refs.get(id), to.resolve("t"));
                            restores.incrementAndGet();
                        }
                        if (Files.exists(to)) {
                            Trees.deleteRecursively(to);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                        done.set(true);
                    }
                }
            }, "test-reader");
            reader.start();
            long end = System.nanoTime() + Duration.ofSeconds(35).toNanos();
            int round = 0;
            while (System.nanoTime() < end && failures.isEmpty()) {
                // An app at work: new crops, rewrites, deletions, a few every 50 ms.
                for (int i = 0; i < 40; i++) {
                    Path p = t.resolve("d" + rnd.nextInt(8)).resolve("f" + rnd.nextInt(400) + ".jpg");
                    if (rnd.nextInt(5) == 0) {
                        Files.deleteIfExists(p);
                    } else {
                        Trees.write(p, rnd, 1000 + rnd.nextInt(5000));
                    }
                    Thread.sleep(50);
                }
                r.awaitReplicated("t", WAIT);
                RestorePoint p = r.daemon.pointNow(List.of("round-" + round++)).get(1, TimeUnit.MINUTES);
                Path ref = tmp.resolve("ref-" + p.id());
                copyExact(t, ref);
                refs.put(p.id(), ref);
            }
            done.set(true);
            reader.join(TimeUnit.MINUTES.toMillis(1));
            if (!failures.isEmpty()) {
                throw new AssertionError("a restore failed while the daemon compacted and pruned", failures.get(0));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) r.daemon.status().get("maintenance");
            System.out.println("maintenance: " + Json.MAPPER.writeValueAsString(m) + "; restores " + restores.get()
                    + ", points forgotten before their restore began " + vanished.get());
            assertTrue(((Number) m.get("prunes")).longValue() >= 2, "prunes ran: " + m);
            assertTrue(((Number) m.get("journalMerges")).longValue() > 0, "compaction ran: " + m);
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("a restore failed while the daemon compacted and pruned", failures.get(0));
        }
        assertTrue(restores.get() >= 10, "restores: " + restores.get());
        assertTrue(env.ok("verify", "--read-data").out().contains("no damage"));
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            int objects = store.list("data/").size() + dev.tidemark.testing.RepoKeys.journalObjects(store);
            int points = store.list("points/").size();
            // keepLast 3, plus what was taken since the last forget (every 10 s, a point every ~3 s).
            assertTrue(points <= 8, "points kept: " + points + " of " + refs.size());
            assertTrue(objects <= 40, "packs and journal objects after " + refs.size() + " rounds: " + objects);
        }
    }

    @Test
    void aWriterLockTakenAwayStopsTheDaemonBeforeItCommitsAnything() throws Exception {
        Env env = new Env(tmp, "t");
        env.writeConfig(Running.fastConfig());
        env.ok("init");
        Files.writeString(env.tree("t").resolve("before"), "before");
        Running r = new Running(env);
        r.awaitReplicated("t", WAIT);
        // Another tidemark takes the lock for stale (as if this one had been frozen): ours removed, theirs written.
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            store.delete(r.lock.key());
            Instant now = Instant.now();
            store.put("locks/thief", Json.MAPPER.writeValueAsBytes(new Lease.Info("other-host", 7, "tidemark run",
                    now, now)));
        }
        Files.writeString(env.tree("t").resolve("after"), "written after the lock was taken");
        Throwable why = r.awaitFailure(WAIT);
        AssertionError stopped = assertThrows(AssertionError.class, r::close);
        TidemarkException cause = assertInstanceOf(TidemarkException.class, why);
        assertEquals(why, stopped.getCause());
        assertEquals(ExitCode.LOCKED, cause.exitCode());
        assertTrue(cause.getMessage().contains("lost the writer lock"), cause.getMessage());
        assertNull(Running.stateAt(r.repo, "t", Instant.now()).get("after"), "nothing committed without the lock");
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            assertEquals(List.of("locks/thief"), store.list("locks/"), "the other writer's lock left alone");
        }
    }

    @Test
    void forgetAndPruneWhileTheDaemonRunsSayWhatToDoAndTheirDryRunsWork() throws Exception {
        Env env = new Env(tmp, "t");
        env.writeConfig(Running.fastConfig() + "  \"retention\": {\"keepLast\": 2},\n");
        env.ok("init");
        Files.writeString(env.tree("t").resolve("a"), "a");
        try (Running r = new Running(env)) {
            Cli.Result p = env.cli("prune");
            assertEquals(4, p.code(), p.toString());
            assertTrue(p.err().contains("'tidemark run'") && p.err().contains("the daemon prunes by itself"), p.err());
            Cli.Result f = env.cli("forget");
            assertEquals(4, f.code(), f.toString());
            assertTrue(f.err().contains("the daemon forgets and prunes by itself"), f.err());
            assertTrue(env.ok("forget", "--dry-run").out().contains("restore points kept"));
            assertTrue(env.ok("prune", "--dry-run").out().contains("restore points kept"));
        }
    }
}
