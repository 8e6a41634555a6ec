package dev.tidemark.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.BlobLocation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hasBlob answers from keyMayExist first (a miss through rocksdbjni's get costs a C++ exception): it must still say
 * yes for every blob the index holds and no for every other, wherever the records are (memtable, flushed table
 * files, after a reopen) and after a pack is forgotten.
 */
class BlobLookupTest {
    @TempDir
    Path tmp;

    @Test
    void everyBlobHeldIsFoundAndNoOtherWhereverItsRecordLives() throws Exception {
        Random r = new Random(21);
        List<ContentKey> held = new ArrayList<>();
        List<ContentKey> absent = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            held.add(new ContentKey(r.nextLong(), r.nextLong()));
            absent.add(new ContentKey(r.nextLong(), r.nextLong()));
        }
        String pack1 = new ContentKey(1, 1).hex();
        String pack2 = new ContentKey(2, 2).hex();
        Path dir = tmp.resolve("index");
        try (Index idx = Index.open(dir, "repo-1")) {
            idx.addPack(pack1, locations(held.subList(0, 1500), pack1));
            check(idx, held.subList(0, 1500), absent, "in the memtable");
            idx.flush();
            idx.addPack(pack2, locations(held.subList(1500, 3000), pack2));
            check(idx, held, absent, "in a table file and the memtable");
            idx.flush();
        }
        try (Index idx = Index.open(dir, "repo-1")) {
            check(idx, held, absent, "after a reopen");
            idx.removePacks(Set.of(pack2), held.subList(1500, 3000));
            check(idx, held.subList(0, 1500), held.subList(1500, 3000), "after its pack was forgotten");
        }
    }

    private static List<BlobLocation> locations(List<ContentKey> keys, String pack) {
        List<BlobLocation> out = new ArrayList<>();
        long at = 0;
        for (ContentKey k : keys) {
            out.add(new BlobLocation(k, pack, at, 100, 100, false));
            at += 100;
        }
        return out;
    }

    private static void check(Index idx, List<ContentKey> held, List<ContentKey> absent, String where)
            throws Exception {
        int found = 0;
        for (ContentKey k : held) {
            found += idx.hasBlob(k) ? 1 : 0;
        }
        assertEquals(held.size(), found, "blobs held and found, " + where);
        for (ContentKey k : absent) {
            assertFalse(idx.hasBlob(k), k.hex() + " is not held but was found, " + where);
        }
    }
}
