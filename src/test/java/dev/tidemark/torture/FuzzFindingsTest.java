package dev.tidemark.torture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.binlog.Event;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.crypto.Keys;
import dev.tidemark.repo.store.LocalDirStore;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code ReadersFuzzTest} found, each as a plain test (its inputs also stay among the fuzzer's seeds): a
 * binlog piece whose first event claims a gigabyte allocated the gigabyte before reading a byte of it; a key file
 * that is not UTF-8 JSON (the JSON library guessed UCS-4 from its first bytes) failed with an encoding error naming
 * nothing, and so did an empty one.
 */
class FuzzFindingsTest {
    @TempDir
    Path tmp;

    @Test
    void aBinlogEventClaimingAGigabyteIsAnErrorNamingThePieceNotAGigabyteOfHeap() {
        byte[] head = new byte[19];
        int size = (1 << 30) - 1;
        head[9] = (byte) size;
        head[10] = (byte) (size >>> 8);
        head[11] = (byte) (size >>> 16);
        head[12] = (byte) (size >>> 24);
        // The test JVM has 1 GiB of heap: allocating the claimed size up front fails with OutOfMemoryError.
        EOFException e = assertThrows(EOFException.class,
                () -> Event.read(new ByteArrayInputStream(head), "binlog/mysql-bin.000001/piece"));
        assertTrue(e.getMessage().startsWith("binlog/mysql-bin.000001/piece: ends inside an event"), e.getMessage());
    }

    @Test
    void aDamagedKeyIsPassedOverForOneThatOpensAndNamedWhenNoneDoes() throws Exception {
        try (LocalDirStore store = new LocalDirStore(tmp)) {
            byte[] master = Keys.newMasterKey();
            String good = Keys.add(store, master, "right".toCharArray(), Instant.now());
            store.put("keys/00000000000000000000000000000000", new byte[] {0, 0, (byte) 0xfe, (byte) 0xff, 'x', 'y'});
            store.put("keys/11111111111111111111111111111111", new byte[0]);
            Keys.Unlocked u = Keys.unlock(store, "right".toCharArray());
            assertNotNull(u, "the sound key still opens");
            assertEquals(good, u.keyId());

            DamageException d = assertThrows(DamageException.class, () -> Keys.unlock(store, "wrong".toCharArray()));
            assertTrue(d.getMessage().contains("keys/00000000000000000000000000000000 is damaged"), d.getMessage());
            assertTrue(d.getMessage().contains("keys/11111111111111111111111111111111 is damaged"), d.getMessage());
            assertTrue(d.getMessage().startsWith("no key of "), d.getMessage());
        }
    }
}
