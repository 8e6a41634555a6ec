package dev.tidemark.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.config.Config;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.CountingStore;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Points;
import dev.tidemark.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index is a cache: delete it, rebuild it from the repository, and the next point copies and reads nothing. */
class IndexRebuildTest {
    @TempDir
    Path tmp;

    @Test
    void deleteTheIndexRebuildAndTheNextPointCopiesNothing() throws Exception {
        Env env = new Env(tmp, "facedata", "qr");
        Random r = new Random(5);
        for (int i = 0; i < 300; i++) {
            Trees.write(env.tree(i % 2 == 0 ? "facedata" : "qr").resolve("d" + (i % 7) + "/f" + i + ".jpg"), r,
                    100 + r.nextInt(8000));
        }
        env.ok("init");
        Config config = env.config();
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(30));
        CountingStore store = new CountingStore(new LocalDirStore(env.repo));
        Points.take(config, store, later);

        Index.delete(config.indexDir());
        assertFalse(Files.exists(config.indexDir()));
        Cli.Result rebuilt = env.ok("index", "rebuild");
        assertTrue(rebuilt.out().contains("300 file records"), rebuilt.out());

        store.reset();
        var next = Points.take(config, store, later);
        assertEquals(0, next.point().totals().newFiles());
        assertEquals(0, store.bytes("data"), "no content copied again");
        assertEquals(0, next.point().totals().readFiles(), "no file even read again");
    }

    @Test
    void withoutARebuildTheNextPointReadsEverythingButStillCopiesNothing() throws Exception {
        Env env = new Env(tmp, "t");
        Random r = new Random(6);
        for (int i = 0; i < 100; i++) {
            Trees.write(env.tree("t").resolve("f" + i), r, 2000);
        }
        env.ok("init");
        Config config = env.config();
        CountingStore store = new CountingStore(new LocalDirStore(env.repo));
        Points.take(config, store, Clock.systemUTC());
        Index.delete(config.indexDir());
        store.reset();
        var next = Points.take(config, store, Clock.systemUTC());
        assertEquals(100, next.point().totals().readFiles());
        assertEquals(0, next.point().totals().newFiles());
        assertEquals(0, store.bytes("data"));
    }

    @Test
    void anIndexOfAnotherRepositoryIsDiscarded() throws Exception {
        Env env = new Env(tmp, "t");
        Trees.write(env.tree("t").resolve("a"), new Random(1), 1000);
        env.ok("init");
        env.ok("point");
        // A new repository at the same place with the old state dir: the index must not claim content it lacks.
        Trees.deleteRecursively(env.repo);
        env.ok("init");
        Cli.Result p = env.ok("point");
        assertTrue(p.out().contains("new: 1 files"), p.out());
        env.ok("verify", "--read-data");
    }
}
