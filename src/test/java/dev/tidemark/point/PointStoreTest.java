package dev.tidemark.point;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.TidemarkException;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.LocalDirStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a point is named on the command line: latest, a whole id, a unique prefix, a tag; and what forget leaves. */
class PointStoreTest {
    @TempDir
    Path tmp;

    private static RestorePoint point(PointStore points, Instant t, List<String> tags) throws Exception {
        return new RestorePoint(RestorePoint.FORMAT, points.newId(t), t, "h", tags, List.of(), Totals.ZERO, 0, 0L,
                null);
    }

    @Test
    void aWholeIdNeverResolvesToAnotherPointAndAPrefixMustBeUnique() throws Exception {
        Files.createDirectories(tmp.resolve("repo"));
        try (LocalDirStore store = new LocalDirStore(tmp.resolve("repo"));
             WriterLock lock = WriterLock.acquire(store, Clock.systemUTC(), "test")) {
            Repository repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
            PointStore points = new PointStore(repo);
            Instant t = Instant.parse("2026-11-22T06:17:10Z");
            for (int i = 0; i < 3; i++) { // three points in one second: ...Z, ...Z-2, ...Z-3
                points.save(point(points, t, i == 1 ? List.of("before-upgrade") : List.of()), lock);
            }
            points.save(point(points, t.plusSeconds(3600), List.of()), lock);
            assertEquals(List.of("20261122T061710Z", "20261122T061710Z-2", "20261122T061710Z-3", "20261122T071710Z"),
                    points.ids());

            assertEquals("20261122T071710Z", points.resolve("latest").id());
            assertEquals("20261122T061710Z", points.resolve("20261122T061710Z").id(), "whole id, not a prefix");
            assertEquals("20261122T071710Z", points.resolve("20261122T07").id(), "unique prefix");
            assertEquals("20261122T061710Z-2", points.resolve("before-upgrade").id(), "tag");
            TidemarkException ambiguous = assertThrows(TidemarkException.class, () -> points.resolve("20261122T06"));
            assertTrue(ambiguous.getMessage().contains("matches 3 restore points"), ambiguous.getMessage());

            points.forget(List.of("20261122T061710Z"), lock);
            TidemarkException gone = assertThrows(TidemarkException.class,
                    () -> points.resolve("20261122T061710Z"));
            assertTrue(gone.getMessage().contains("no restore point 20261122T061710Z") && gone.getMessage()
                    .contains("forgotten"), "a forgotten id is not taken for its siblings: " + gone.getMessage());
            TidemarkException unknown = assertThrows(TidemarkException.class, () -> points.resolve("nightly"));
            assertTrue(unknown.getMessage().contains("by id, id prefix or tag"), unknown.getMessage());
        }
    }
}
