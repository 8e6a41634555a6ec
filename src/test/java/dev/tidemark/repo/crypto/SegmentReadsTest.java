package dev.tidemark.repo.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.repo.store.Store;
import dev.tidemark.testing.ReadCountingStore;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read of many segments of an encrypted object (a restore's run of blobs) asks the store below for every segment
 * it touches at once, and every segment is still authenticated.
 */
class SegmentReadsTest {
    @TempDir
    Path tmp;

    @Test
    void aReadOfManySegmentsIsOneReadBelowAndADamagedSegmentInItFails() throws Exception {
        ReadCountingStore below = new ReadCountingStore(new LocalDirStore(Files.createDirectories(tmp.resolve("r"))));
        byte[] key = new byte[32];
        new Random(3).nextBytes(key);
        EncryptedStore store = new EncryptedStore(below, key);
        byte[] plain = new byte[(int) (20.5 * SegmentCipher.SEGMENT)];
        new Random(4).nextBytes(plain);
        store.put("data/pack-1", plain);

        int offset = 1000;
        int len = 15 * SegmentCipher.SEGMENT;
        byte[] got = new byte[len];
        List<ReadCountingStore.Read> reads;
        below.reset();
        try (Store.ReadHandle h = store.openForRead("data/pack-1")) {
            h.readFully(offset, got, 0, len);
            reads = below.reads();
            // The next run starts where this one ended, in the segment it ended in: kept, not read again.
            byte[] next = new byte[100];
            h.readFully(offset + len, next, 0, next.length);
            assertArrayEquals(Arrays.copyOfRange(plain, offset + len, offset + len + 100), next);
            assertEquals(reads.size(), below.reads().size(), below.reads().toString());
        }
        assertArrayEquals(Arrays.copyOfRange(plain, offset, offset + len), got);
        // Opening read nothing; the header (the first read is from the object's start), the partial segment at
        // the start, the 14 whole ones after it and the partial one at the end came at once.
        assertEquals(1, reads.size(), reads.toString());
        assertEquals(0, reads.get(0).offset());
        assertEquals(SegmentCipher.HEADER + 16L * SegmentCipher.SEALED, reads.get(0).length());

        // The rest of the object, to its short last segment, in one read as well; then all of it at once.
        below.reset();
        try (Store.ReadHandle h = store.openForRead("data/pack-1")) {
            byte[] tail = new byte[plain.length - 2 * SegmentCipher.SEGMENT];
            h.readFully(2L * SegmentCipher.SEGMENT, tail, 0, tail.length);
            assertArrayEquals(Arrays.copyOfRange(plain, 2 * SegmentCipher.SEGMENT, plain.length), tail);
            // not from the start: the header on its own first, then the segments
            assertEquals(List.of(new ReadCountingStore.Read("data/pack-1", 0, SegmentCipher.HEADER),
                    new ReadCountingStore.Read("data/pack-1", SegmentCipher.HEADER + 2L * SegmentCipher.SEALED,
                            (int) (Files.size(tmp.resolve("r/data/pack-1")) - SegmentCipher.HEADER
                                    - 2L * SegmentCipher.SEALED))), below.reads());
            byte[] all = new byte[plain.length];
            h.readFully(0, all, 0, all.length);
            assertArrayEquals(plain, all);
        }

        try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("r/data/pack-1").toFile(), "rw")) {
            long at = SegmentCipher.HEADER + 9L * SegmentCipher.SEALED + 77;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 1);
        }
        try (Store.ReadHandle h = store.openForRead("data/pack-1")) {
            DamageException e = assertThrows(DamageException.class, () -> h.readFully(offset, got, 0, len));
            assertTrue(e.getMessage().contains("segment 9 fails authentication"), e.getMessage());
        }
    }

    @Test
    void twoSegmentsAreOneReadBelowAndSegmentsOpenedAlreadyAreNotReadAgain() throws Exception {
        ReadCountingStore below = new ReadCountingStore(new LocalDirStore(Files.createDirectories(tmp.resolve("r"))));
        EncryptedStore store = new EncryptedStore(below, key(5));
        byte[] plain = random(6, 10 * SegmentCipher.SEGMENT);
        store.put("data/pack-2", plain);
        try (Store.ReadHandle h = store.openForRead("data/pack-2")) {
            h.readFully(0, new byte[10], 0, 10); // the header and segment 0
            below.reset();
            // Segment 3's end and segment 4's start (a small run across a boundary): one read of both.
            int at = 4 * SegmentCipher.SEGMENT - 300;
            byte[] got = new byte[600];
            h.readFully(at, got, 0, got.length);
            assertArrayEquals(Arrays.copyOfRange(plain, at, at + got.length), got);
            assertEquals(List.of(new ReadCountingStore.Read("data/pack-2",
                    SegmentCipher.HEADER + 3L * SegmentCipher.SEALED, 2 * SegmentCipher.SEALED)), below.reads());
            // From segment 4 (kept, partial at both ends) into 5 and 6: only 5 and 6 are read.
            below.reset();
            at = 4 * SegmentCipher.SEGMENT + 1000;
            got = new byte[2 * SegmentCipher.SEGMENT];
            h.readFully(at, got, 0, got.length);
            assertArrayEquals(Arrays.copyOfRange(plain, at, at + got.length), got);
            assertEquals(List.of(new ReadCountingStore.Read("data/pack-2",
                    SegmentCipher.HEADER + 5L * SegmentCipher.SEALED, 2 * SegmentCipher.SEALED)), below.reads());
        }
    }

    /**
     * Two threads read two runs of one object at once, the first from its start: the second waits for the header
     * that run brings instead of asking for it on its own (an object store would read ahead from there).
     */
    @Test
    void aRunNeedingTheHeaderWaitsForTheRunFromTheStart() throws Exception {
        ReadCountingStore counted = new ReadCountingStore(new LocalDirStore(Files.createDirectories(tmp.resolve("r"))));
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        counted.beforeEachRead(r -> { // reads from the object's start wait to be released
            if (r.offset() == 0) {
                arrived.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("never released");
                    }
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
            }
        });
        EncryptedStore store = new EncryptedStore(counted, key(7));
        byte[] plain = random(8, 12 * SegmentCipher.SEGMENT);
        store.put("data/pack-3", plain);
        counted.reset();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (Store.ReadHandle h = store.openForRead("data/pack-3")) {
            byte[] first = new byte[4 * SegmentCipher.SEGMENT];
            byte[] second = new byte[4 * SegmentCipher.SEGMENT];
            Future<?> a = threads.submit(() -> {
                h.readFully(0, first, 0, first.length);
                return null;
            });
            assertTrue(arrived.await(30, TimeUnit.SECONDS)); // the first run's read waits in the store
            Thread[] b = new Thread[1];
            Future<?> bf = threads.submit(() -> {
                b[0] = Thread.currentThread();
                h.readFully(6L * SegmentCipher.SEGMENT, second, 0, second.length);
                return null;
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((b[0] == null || b[0].getState() != Thread.State.WAITING) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(Thread.State.WAITING, b[0].getState(), "the second run waits for the header");
            release.countDown();
            a.get(30, TimeUnit.SECONDS);
            bf.get(30, TimeUnit.SECONDS);
            assertArrayEquals(Arrays.copyOfRange(plain, 0, first.length), first);
            assertArrayEquals(Arrays.copyOfRange(plain, 6 * SegmentCipher.SEGMENT, 10 * SegmentCipher.SEGMENT), second);
        } finally {
            threads.shutdownNow();
        }
        assertEquals(List.of(new ReadCountingStore.Read("data/pack-3", 0, SegmentCipher.HEADER
                        + 4 * SegmentCipher.SEALED),
                new ReadCountingStore.Read("data/pack-3", SegmentCipher.HEADER + 6L * SegmentCipher.SEALED,
                        4 * SegmentCipher.SEALED)), counted.reads());
    }

    private static byte[] key(int seed) {
        byte[] key = new byte[32];
        new Random(seed).nextBytes(key);
        return key;
    }

    private static byte[] random(int seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }
}
