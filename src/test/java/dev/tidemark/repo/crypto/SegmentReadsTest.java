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
 * A read of many segments of an encrypted object (a restore's run of blobs) asks the store below for its whole
 * segments at once, and every segment is still authenticated.
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
        try (Store.ReadHandle h = store.openForRead("data/pack-1")) {
            below.reset();
            h.readFully(offset, got, 0, len);
        }
        assertArrayEquals(Arrays.copyOfRange(plain, offset, offset + len), got);
        List<ReadCountingStore.Read> reads = below.reads();
        // the partial segment at the start, the 14 whole ones after it at once, the partial one at the end
        assertEquals(3, reads.size(), reads.toString());
        assertEquals(14L * SegmentCipher.SEALED, reads.get(1).length());

        // The rest of the object, to its short last segment, in one read as well; then all of it at once.
        try (Store.ReadHandle h = store.openForRead("data/pack-1")) {
            byte[] tail = new byte[plain.length - 2 * SegmentCipher.SEGMENT];
            h.readFully(2L * SegmentCipher.SEGMENT, tail, 0, tail.length);
            assertArrayEquals(Arrays.copyOfRange(plain, 2 * SegmentCipher.SEGMENT, plain.length), tail);
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
