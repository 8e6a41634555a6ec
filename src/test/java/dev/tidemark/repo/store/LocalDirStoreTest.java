package dev.tidemark.repo.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

class LocalDirStoreTest extends StoreContractTest {
    @Override
    Store newStore(Path dir) throws IOException {
        Files.createDirectories(dir);
        return new LocalDirStore(dir);
    }

    @Test
    void strayTemporariesOfDeadProcessesOrOldOnesAreRemovedAtStartUp() throws IOException {
        Path tmpDir = tmp.resolve("store").resolve(LocalDirStore.TMP_DIR);
        Files.createDirectories(tmpDir);
        // pid 999999999 does not exist: a crashed writer's leftover.
        Path dead = Files.writeString(tmpDir.resolve("999999999-abc.tmp"), "partial pack");
        // Our own pid, but written two hours ago: an upload nobody finished.
        Path old = Files.writeString(tmpDir.resolve(ProcessHandle.current().pid() + "-old.tmp"), "x");
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(2, ChronoUnit.HOURS)));
        // A live upload of this process: left alone.
        try (Store.Upload live = store.upload()) {
            live.stream().write(1);
            live.written();
            assertEquals(2, store.removeStrayTemporaries());
            assertFalse(Files.exists(dead));
            assertFalse(Files.exists(old));
            live.commit("points/live");
        }
        assertTrue(store.size("points/live").isPresent());
    }
}
