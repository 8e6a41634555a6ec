package dev.tidemark.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tidemark.config.Config;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Points;
import dev.tidemark.testing.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table-driven: what happens to a file between two points, and whether the second point reads it and finds new
 * content. A file is skipped only when size, mtime, ctime and inode all match a trusted record.
 */
class ChangeDetectionTest {
    @TempDir
    Path tmp;

    interface Change {
        void apply(Path file) throws IOException;
    }

    static final Instant OLD = Instant.parse("2025-06-01T12:00:00.123456789Z");

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("unchanged", (Change) f -> { }, true, 0, 0),
                Arguments.of("same size, new bytes, mtime put back", (Change) f -> {
                    byte[] b = Files.readAllBytes(f);
                    b[10] ^= 1;
                    Files.write(f, b);
                    Trees.mtime(f, OLD); // only ctime gives it away
                }, true, 1, 1),
                Arguments.of("rewritten with the same bytes", (Change) f -> Files.write(f, Files.readAllBytes(f)),
                        true, 1, 0),
                Arguments.of("replaced by rename, same size and mtime", (Change) f -> {
                    Path t = f.resolveSibling("tmp-new");
                    Files.copy(f, t);
                    byte[] b = Files.readAllBytes(t);
                    b[0] ^= 1;
                    Files.write(t, b);
                    Trees.mtime(t, OLD);
                    Files.move(t, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }, true, 1, 1),
                Arguments.of("grown", (Change) f -> Files.write(f, new byte[] {1, 2, 3},
                        java.nio.file.StandardOpenOption.APPEND), true, 1, 1),
                Arguments.of("mode changed only", (Change) f -> Files.setAttribute(f, "unix:mode", 0600), true, 1, 0),
                Arguments.of("racy: written just before the first point", (Change) f -> { }, false, 1, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void secondPointReadsOnlyWhatMayHaveChanged(String name, Change change, boolean firstPointLater,
                                                long expectRead, long expectNew) throws Exception {
        Env env = new Env(tmp, "t");
        Path f = env.tree("t").resolve("crop.jpg");
        Trees.write(f, new Random(1), 5000);
        Trees.mtime(f, OLD);
        env.ok("init");
        Config config = env.config();
        Clock now = Clock.systemUTC();
        Clock later = Clock.offset(now, Duration.ofSeconds(30));
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            // A point taken right after the write cannot trust the file's stat; one taken later can.
            Points.take(config, store, firstPointLater ? later : now);
            change.apply(f);
            var second = Points.take(config, store, Clock.offset(now, Duration.ofSeconds(60)));
            assertEquals(expectRead, second.point().totals().readFiles(), "files read");
            assertEquals(expectNew, second.point().totals().newFiles(), "files with new content");
        }
    }
}
