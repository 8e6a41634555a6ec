package dev.tidemark.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.progress.Progress;
import dev.tidemark.scan.PointTaker;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer at a time; a crashed writer's lock does not block forever. */
class WriterLockTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondWriterIsRefusedWithExitFourUntilTheFirstLetsGo() throws Exception {
        Env env = new Env(tmp, "t");
        Files.writeString(env.tree("t").resolve("a"), "a");
        env.ok("init");
        try (LocalDirStore store = new LocalDirStore(env.repo);
             WriterLock held = WriterLock.acquire(store, Clock.systemUTC(), "tidemark run")) {
            TidemarkException e = assertThrows(TidemarkException.class,
                    () -> WriterLock.acquire(store, Clock.systemUTC(), "tidemark point"));
            assertEquals(ExitCode.LOCKED, e.exitCode());
            Cli.Result r = env.cli("point");
            assertEquals(4, r.code(), r.toString());
            assertTrue(r.err().contains("is locked by pid " + ProcessHandle.current().pid()), r.err());
            assertTrue(r.err().contains("'tidemark run'"), r.err());
            assertEquals(1, store.list(WriterLock.PREFIX).size(), "the refused writer left no lock behind");
        }
        env.ok("point");
    }

    @Test
    void staleLocksOfDeadProcessesOrWithoutHeartbeatAreRemoved() throws Exception {
        Env env = new Env(tmp, "t");
        Files.writeString(env.tree("t").resolve("a"), "a");
        env.ok("init");
        Instant now = Instant.now();
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            store.put("locks/dead", Json.MAPPER.writeValueAsBytes(new Lease.Info(WriterLock.hostName(),
                    999_999_999L, "tidemark point", now, now)));
            store.put("locks/silent", Json.MAPPER.writeValueAsBytes(new Lease.Info("other-host", 1,
                    "tidemark run", now.minus(Duration.ofHours(3)), now.minus(Duration.ofHours(1)))));
        }
        Cli.Result r = env.ok("point");
        assertTrue(r.out().contains("committed"), r.out());
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            assertEquals(0, store.list(WriterLock.PREFIX).size(), "stale locks removed, ours released");
        }
    }

    @Test
    void aLockTakenAwayStopsTheWriterBeforeItsNextCommitAndIsNeverRecreated() throws Exception {
        Env env = new Env(tmp, "t");
        Files.writeString(env.tree("t").resolve("a"), "a");
        env.ok("init");
        Config config = env.config();
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository repo = Repository.open(store);
            WriterLock lock = WriterLock.acquire(store, Clock.systemUTC(), "tidemark point");
            lock.check(); // held: no exception
            // Another tidemark took the lock for stale (this process was frozen): ours is removed, theirs written.
            store.delete(lock.key());
            Instant now = Instant.now();
            store.put("locks/thief", Json.MAPPER.writeValueAsBytes(new Lease.Info("other-host", 7, "tidemark run",
                    now, now)));
            TidemarkException e = assertThrows(TidemarkException.class, lock::check);
            assertEquals(ExitCode.LOCKED, e.exitCode());
            assertTrue(e.getMessage().contains("lost the writer lock") && e.getMessage().contains(lock.key()),
                    e.getMessage());
            try (Index index = Index.open(config.indexDir(), repo.id())) {
                TidemarkException p = assertThrows(TidemarkException.class, () -> new PointTaker(config, repo, index,
                        lock, Clock.systemUTC(), Progress.Mode.OFF).take(List.of()));
                assertEquals(ExitCode.LOCKED, p.exitCode());
            }
            assertEquals(List.of(), new PointStore(repo).ids(), "no point record was written without the lock");
            lock.close();
            assertEquals(List.of("locks/thief"), store.list(WriterLock.PREFIX),
                    "the lost lock was not re-created, and closing it left the other writer's lock alone");
        }
    }

    @Test
    void aPointRecordIsNeverReplaced() throws Exception {
        Env env = new Env(tmp, "t");
        Files.writeString(env.tree("t").resolve("a"), "a");
        env.ok("init");
        env.ok("point");
        try (LocalDirStore store = new LocalDirStore(env.repo);
             WriterLock lock = WriterLock.acquire(store, Clock.systemUTC(), "test")) {
            Repository repo = Repository.open(store);
            PointStore points = new PointStore(repo);
            RestorePoint p = points.load(points.ids().get(0));
            byte[] before = store.get(PointStore.PREFIX + p.id());
            RestorePoint forged = new RestorePoint(p.format(), p.id(), p.time(), "forger", List.of("x"), p.trees(),
                    p.totals(), p.durationMillis(), p.journal(), p.database());
            TidemarkException e = assertThrows(TidemarkException.class, () -> points.save(forged, lock));
            assertTrue(e.getMessage().contains("exists already"), e.getMessage());
            assertArrayEquals(before, store.get(PointStore.PREFIX + p.id()));
        }
    }

    /**
     * Shared locks (format 5: a point, a daemon) of different hosts hold at once; the same host twice, or a shared
     * and an exclusive one, never do; a lock without a mode (an older tidemark's) is exclusive; a daemon's spell of
     * exclusivity is waited for, a command-line prune is not.
     */
    @Test
    void sharedLocksOfDifferentHostsHoldTogetherAndExclusiveOnesAlone() throws Exception {
        Env env = new Env(tmp, "t");
        env.ok("init");
        Clock c = Clock.systemUTC();
        Duration noWait = Duration.ZERO;
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            try (WriterLock a = WriterLock.acquireShared(store, c, "tidemark run", "nas-a", noWait);
                 WriterLock b = WriterLock.acquireShared(store, c, "tidemark point", "nas-b", noWait)) {
                assertTrue(a.shared() && b.shared());
                TidemarkException same = assertThrows(TidemarkException.class,
                        () -> WriterLock.acquireShared(store, c, "tidemark point", "nas-a", noWait));
                assertEquals(ExitCode.LOCKED, same.exitCode());
                assertTrue(same.getMessage().contains("one writer per host"), same.getMessage());
                TidemarkException ex = assertThrows(TidemarkException.class,
                        () -> WriterLock.acquire(store, c, "tidemark prune"));
                assertEquals(ExitCode.LOCKED, ex.exitCode());
                assertEquals(false, a.tryExclusive(), "not alone: b writes");
                assertEquals(2, store.list(WriterLock.PREFIX).size(), "refused writers leave no lock behind");
            }
            try (WriterLock prune = WriterLock.acquire(store, c, "tidemark prune")) {
                long t0 = System.nanoTime();
                TidemarkException e = assertThrows(TidemarkException.class,
                        () -> WriterLock.acquireShared(store, c, "tidemark point", "nas-a", Duration.ofMinutes(5)));
                assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos(), "a prune is not waited for");
                assertTrue(e.getMessage().contains("'tidemark prune'"), e.getMessage());
            }
            // An older tidemark's lock says nothing of sharing: exclusive.
            Instant now = Instant.now();
            store.put("locks/older", Json.MAPPER.writeValueAsBytes(new Lease.Info("other-host", 7, "tidemark run",
                    now, now)));
            assertThrows(TidemarkException.class, () -> WriterLock.acquireShared(store, c, "tidemark point", "nas-a",
                    noWait));
            store.delete("locks/older");
            // A daemon alone takes the repository for its prune; a shared writer of another host waits for it.
            try (WriterLock a = WriterLock.acquireShared(store, c, "tidemark run", "nas-a", noWait)) {
                assertTrue(a.tryExclusive());
                assertEquals(false, a.shared());
                java.util.concurrent.CompletableFuture<WriterLock> b = java.util.concurrent.CompletableFuture
                        .supplyAsync(() -> {
                            try {
                                return WriterLock.acquireShared(store, c, "tidemark point", "nas-b",
                                        Duration.ofMinutes(1));
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                Thread.sleep(3000);
                assertEquals(false, b.isDone(), "waits while the daemon prunes");
                a.releaseExclusive();
                b.get(30, java.util.concurrent.TimeUnit.SECONDS).close();
            }
        }
    }
}
