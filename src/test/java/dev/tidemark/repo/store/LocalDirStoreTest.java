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

    /**
     * A listing while another thread deletes and creates objects (a compaction beside a reader) is of some moment
     * during the call, never an error: a reader sealing a point threw NoSuchFileException here.
     */
    @Test
    void listingWhileObjectsAreDeletedNeverFails() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread churn = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    try (Store.Upload u = store.upload()) {
                        u.stream().write(i);
                        u.commit("journal/0/" + String.format("%02x", i % 16) + "/o" + i);
                    }
                    if (i >= 8) {
                        int j = i - 8;
                        store.delete("journal/0/" + String.format("%02x", j % 16) + "/o" + j);
                        try { // the directory too, when it is empty: listings lose directories as well
                            Files.deleteIfExists(tmp.resolve("store").resolve("journal/0/" + String.format("%02x", j % 16)));
                        } catch (java.nio.file.DirectoryNotEmptyException e) {
                            // not empty yet
                        }
                    }
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        churn.start();
        long lists = 0;
        try {
            long until = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < until) {
                for (String k : store.list("journal/")) {
                    assertTrue(k.startsWith("journal/0/"), k);
                }
                lists++;
            }
        } finally {
            stop.set(true);
            churn.join();
        }
        assertTrue(failed.get() == null, () -> "churn: " + failed.get());
        assertTrue(lists > 10, "listed " + lists + " times");
    }
}
