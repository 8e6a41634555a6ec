package dev.tidemark.repo.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.repo.store.Store;
import dev.tidemark.testing.ReadCountingStore;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
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
}
