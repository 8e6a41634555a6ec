package dev.tidemark.repo.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link Store} contract. Every backend extends this class and passes it unchanged: the local directory, and
 * the S3 store on every server of the compatibility matrix (S3Proxy, s3rver, Ceph's radosgw).
 */
abstract class StoreContractTest {
    @TempDir
    Path tmp;

    Store store;

    abstract Store newStore(Path dir) throws IOException;

    @BeforeEach
    void open() throws IOException {
        store = newStore(tmp.resolve("store"));
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void putThenGetReturnsTheSameBytesEveryTime() throws IOException {
        byte[] data = new byte[300_000];
        new Random(1).nextBytes(data);
        store.put("data/ab/abcdef", data);
        assertArrayEquals(data, store.get("data/ab/abcdef"));
        assertArrayEquals(data, store.get("data/ab/abcdef"));
        try (InputStream in = store.open("data/ab/abcdef")) {
            assertArrayEquals(data, in.readAllBytes());
        }
        assertEquals(data.length, store.size("data/ab/abcdef").orElseThrow());
    }

    @Test
    void anUploadIsInvisibleUntilCommittedAndGoneIfClosedWithoutCommit() throws IOException {
        try (Store.Upload u = store.upload()) {
            u.stream().write(bytes("half"));
            assertEquals(4, u.written());
            assertFalse(store.size("points/x").isPresent(), "not visible before commit");
            assertTrue(store.list("").isEmpty(), "nothing listed before commit");
        }
        assertFalse(store.size("points/x").isPresent(), "an aborted upload leaves nothing");
        assertEquals(0, store.removeStrayTemporaries(), "and no temporary either");
    }

    @Test
    void notFoundIsDistinctFromFailure() throws IOException {
        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> store.get("points/none"));
        assertEquals("points/none", e.key());
        assertThrows(ObjectNotFoundException.class, () -> store.open("points/none"));
        assertThrows(ObjectNotFoundException.class, () -> store.openForRead("points/none"));
        assertFalse(store.size("points/none").isPresent());
    }

    @Test
    void deleteIsIdempotent() throws IOException {
        store.put("locks/a", bytes("x"));
        store.delete("locks/a");
        store.delete("locks/a");
        assertFalse(store.size("locks/a").isPresent());
    }

    @Test
    void listIsSortedFilteredByPrefixAndSeesCommitsAtOnce() throws IOException {
        store.put("points/2", bytes("2"));
        store.put("points/1", bytes("1"));
        store.put("data/aa/1", bytes("d"));
        store.put("manifests/bb/2", bytes("m"));
        assertEquals(List.of("points/1", "points/2"), store.list("points/"));
        assertEquals(List.of("data/aa/1"), store.list("data/"));
        assertEquals(4, store.list("").size());
    }

    @Test
    void commitReplacesAnExistingObjectWhole() throws IOException {
        store.put("locks/l", bytes("first"));
        store.put("locks/l", bytes("second, longer"));
        assertArrayEquals(bytes("second, longer"), store.get("locks/l"));
    }

    @Test
    void createOnlyIfAbsentNeverReplacesAndExactlyOneOfManyRacersWins() throws Exception {
        assertTrue(store.putIfAbsent("points/p", bytes("first")));
        assertFalse(store.putIfAbsent("points/p", bytes("second")));
        assertArrayEquals(bytes("first"), store.get("points/p"));
        assertEquals(0, store.removeStrayTemporaries(), "a refused commit leaves no temporary");
        if (!store.createsOnlyIfAbsent()) {
            // A server without conditional writes: the contract is one writer at a time (every lock exclusive);
            // that writer's create-only-if-absent must still never replace, nor refuse its own retried object.
            assertTrue(store.putIfAbsent("points/p2", bytes("mine")));
            assertTrue(store.putIfAbsent("points/p2", bytes("mine")), "the same bytes: a retry of its own");
            assertFalse(store.putIfAbsent("points/p2", bytes("other")));
            assertArrayEquals(bytes("mine"), store.get("points/p2"));
            return;
        }

        int racers = 8;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(racers);
        try {
            for (int round = 0; round < 20; round++) {
                String key = "points/race-" + round;
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<Boolean>> won = new java.util.ArrayList<>();
                for (int i = 0; i < racers; i++) {
                    byte[] mine = bytes("racer " + i);
                    won.add(pool.submit(() -> {
                        go.await();
                        return store.putIfAbsent(key, mine);
                    }));
                }
                go.countDown();
                int winners = 0;
                for (java.util.concurrent.Future<Boolean> f : won) {
                    winners += f.get() ? 1 : 0;
                }
                assertEquals(1, winners, "round " + round);
                assertTrue(new String(store.get(key), StandardCharsets.UTF_8).startsWith("racer "));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void positionalReadsReturnExactRangesAndRefuseShortObjects() throws IOException {
        byte[] data = new byte[10_000];
        new Random(2).nextBytes(data);
        store.put("data/cc/pack", data);
        try (Store.ReadHandle h = store.openForRead("data/cc/pack")) {
            assertEquals(10_000, h.size());
            byte[] out = new byte[100];
            h.readFully(9_900, out, 0, 100);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 9_900, 10_000), out);
            assertThrows(IOException.class, () -> h.readFully(9_950, out, 0, 100));
        }
    }

    @Test
    void keysThatCouldEscapeAreRefused() {
        for (String bad : new String[] {"../x", "/abs", "a//b", "a/./b", "a/../b", "a/", "", "a b", "ü"}) {
            assertThrows(IllegalArgumentException.class, () -> store.put(bad, new byte[1]), bad);
        }
    }
}
