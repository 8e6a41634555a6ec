package dev.tidemark.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChunkerTest {
    private static final long SEED = 0x1234_5678_9abc_def0L;

    private static List<String> chunks(Chunker.Params p, byte[] data, int writeSize) throws Exception {
        List<String> out = new ArrayList<>();
        try (Chunker c = new Chunker(SEED, p, (b, o, l) -> out.add(Arrays.hashCode(Arrays.copyOfRange(b, o, o + l))
                + ":" + l))) {
            for (int i = 0; i < data.length; i += writeSize) {
                c.write(data, i, Math.min(writeSize, data.length - i));
            }
            c.finish();
        }
        return out;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void sizesStayWithinBoundsAndAverageNearTheTarget() throws Exception {
        byte[] data = random(32 << 20, 1);
        int[] lens = Chunker.lengths(SEED, Chunker.DATA, data);
        long sum = 0;
        for (int i = 0; i < lens.length; i++) {
            sum += lens[i];
            assertTrue(lens[i] <= Chunker.DATA.max(), "chunk " + i + " is " + lens[i]);
            if (i < lens.length - 1) {
                assertTrue(lens[i] >= Chunker.DATA.min(), "chunk " + i + " is " + lens[i]);
            }
        }
        assertEquals(data.length, sum);
        double avg = (double) data.length / lens.length;
        assertTrue(avg > Chunker.DATA.avg() * 0.6 && avg < Chunker.DATA.avg() * 1.6, "average " + avg);
    }

    @Test
    void theSameBytesCutTheSameWayWhateverTheWriteSizes() throws Exception {
        byte[] data = random(5 << 20, 2);
        assertEquals(chunks(Chunker.DATA, data, 1 << 20), chunks(Chunker.DATA, data, 4099));
        assertEquals(chunks(Chunker.DATA, data, 1 << 20), chunks(Chunker.DATA, data, 7 << 20));
    }

    @Test
    void anInsertEarlyInAStreamChangesOnlyTheChunksAroundIt() throws Exception {
        byte[] data = random(16 << 20, 3);
        int at = 1 << 20;
        byte[] inserted = new byte[data.length + 100];
        System.arraycopy(data, 0, inserted, 0, at);
        System.arraycopy(random(100, 4), 0, inserted, at, 100);
        System.arraycopy(data, at, inserted, at + 100, data.length - at);
        List<String> before = chunks(Chunker.DATA, data, 1 << 16);
        List<String> after = chunks(Chunker.DATA, inserted, 1 << 16);
        Set<String> old = new HashSet<>(before);
        long changed = after.stream().filter(c -> !old.contains(c)).count();
        assertTrue(changed >= 1 && changed <= 2, changed + " of " + after.size() + " chunks changed");
        // Deleting bytes: the same.
        byte[] deleted = new byte[data.length - 5000];
        System.arraycopy(data, 0, deleted, 0, at);
        System.arraycopy(data, at + 5000, deleted, at, data.length - at - 5000);
        long changedByDelete = chunks(Chunker.DATA, deleted, 1 << 16).stream().filter(c -> !old.contains(c)).count();
        assertTrue(changedByDelete >= 1 && changedByDelete <= 2, changedByDelete + " chunks changed by a deletion");
    }

    @Test
    void manifestChunksHoldWholeLines() throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        Random r = new Random(5);
        for (int i = 0; i < 40_000; i++) {
            text.writeBytes(("{\"path\":\"dir/" + i + "/" + Long.toHexString(r.nextLong()) + ".jpg\",\"size\":"
                    + r.nextInt(100_000) + "}\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] data = text.toByteArray();
        int[] lens = Chunker.lengths(SEED, Chunker.MANIFEST, data);
        assertTrue(lens.length > 10, lens.length + " chunks");
        int pos = 0;
        for (int l : lens) {
            pos += l;
            assertEquals('\n', data[pos - 1], "a chunk ends mid-line at " + pos);
        }
        assertEquals(data.length, pos);
    }

    @Test
    void aCutAskedForFallsExactlyThereAndTheRestIsCutAsBefore() throws Exception {
        byte[] head = random(3 << 10, 7);
        byte[] body = random(200 << 10, 8);
        List<Integer> lens = new ArrayList<>();
        try (Chunker c = new Chunker(SEED, Chunker.DUMP, (b, o, l) -> lens.add(l))) {
            c.write(head, 0, head.length);
            c.cutHere();
            c.write(body, 0, body.length);
            c.finish();
        }
        int at = 0;
        int i = 0;
        while (at < head.length) {
            at += lens.get(i++);
        }
        assertEquals(head.length, at, "a chunk ends where the cut was asked for");
        int[] alone = Chunker.lengths(SEED, Chunker.DUMP, body);
        assertEquals(Arrays.stream(alone).boxed().toList(), lens.subList(i, lens.size()),
                "what follows is cut as it would be on its own");
    }

    @Test
    void anotherSeedCutsElsewhere() throws Exception {
        byte[] data = random(8 << 20, 6);
        int[] a = Chunker.lengths(SEED, Chunker.DATA, data);
        int[] b = Chunker.lengths(SEED + 1, Chunker.DATA, data);
        assertArrayEquals(a, Chunker.lengths(SEED, Chunker.DATA, data));
        assertTrue(!Arrays.equals(a, b));
    }
}
