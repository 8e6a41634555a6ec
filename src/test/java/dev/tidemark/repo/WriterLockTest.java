package dev.tidemark.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
            store.put("locks/dead", Json.MAPPER.writeValueAsBytes(new WriterLock.Info(WriterLock.hostName(),
                    999_999_999L, "tidemark point", now, now)));
            store.put("locks/silent", Json.MAPPER.writeValueAsBytes(new WriterLock.Info("other-host", 1,
                    "tidemark run", now.minus(Duration.ofHours(3)), now.minus(Duration.ofHours(1)))));
        }
        Cli.Result r = env.ok("point");
        assertTrue(r.out().contains("committed"), r.out());
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            assertEquals(0, store.list(WriterLock.PREFIX).size(), "stale locks removed, ours released");
        }
    }
}
