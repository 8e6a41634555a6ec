package dev.tidemark.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.BlobReader;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.ReadCountingStore;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore reads the small files of a pack by runs: one read for the span of many blobs (one request to an object
 * store), each blob still checked on its own, and a damaged or vanished one read from its other copy.
 */
class BlobRunTest {
    @TempDir
    Path tmp;

    private ReadCountingStore store;
    private Repository repo;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(tmp.resolve("repo"));
        store = new ReadCountingStore(new LocalDirStore(tmp.resolve("repo")));
        repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
    }

    /** Incompressible blobs of 3-12 KiB, as face crops are. */
    private static List<byte[]> crops(int n, long seed) {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[3072 + r.nextInt(9 * 1024)];
            r.nextBytes(b);
            out.add(b);
        }
        return out;
    }

    /** Writes {@code blobs} into packs the index learns; returns the packs' ids. */
    private List<String> write(Index index, List<byte[]> blobs) throws Exception {
        List<String> ids = new ArrayList<>();
        try (PackWriter pw = new PackWriter(store, repo.hasher(), Repository.DEFAULT_PACK_SIZE, k -> false,
                (id, written) -> {
                    ids.add(id);
                    index.addPack(id, written);
                })) {
            for (byte[] b : blobs) {
                pw.add(repo.hasher().hash(b), b.length, BlobCodec.encode(b, 0, b.length, true));
            }
            pw.flush();
        }
        return ids;
    }

    private List<BlobLocation> locate(Index index, List<byte[]> blobs, String pack) throws Exception {
        List<BlobLocation> locs = new ArrayList<>();
        for (byte[] b : blobs) {
            ContentKey k = repo.hasher().hash(b);
            locs.add(index.copies(k).stream().filter(c -> c.packId().equals(pack)).findFirst().orElseThrow());
        }
        return locs;
    }

    private static byte[][] readRun(BlobReader reader, List<BlobLocation> run) throws Exception {
        byte[][] got = new byte[run.size()][];
        reader.readRun(run, (k, blob) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            blob.into(out::write);
            got[k] = out.toByteArray();
        });
        return got;
    }

    @Test
    void theBlobsOfAPackAreReadWithOneReadPerRunOfAtMostFourMebibytes() throws Exception {
        List<byte[]> blobs = crops(900, 1); // about 6.6 MiB
        try (Index index = Index.open(tmp.resolve("index"), repo.id()); BlobReader reader = index.reader(repo)) {
            String pack = write(index, blobs).get(0);
            List<BlobLocation> locs = locate(index, blobs, pack);
            int[] ends = BlobReader.runEnds(locs);
            assertEquals(2, ends.length, "6.6 MiB of neighbouring blobs: two runs");
            store.reset();
            int from = 0;
            for (int to : ends) {
                byte[][] got = readRun(reader, locs.subList(from, to));
                for (int k = 0; k < got.length; k++) {
                    assertArrayEquals(blobs.get(from + k), got[k], "blob " + (from + k));
                }
                from = to;
            }
            List<ReadCountingStore.Read> reads = store.reads(PackFormat.keyOf(pack));
            assertEquals(2, reads.size(), "one read per run, not one per blob: " + reads);
            for (ReadCountingStore.Read r : reads) {
                assertTrue(r.length() <= BlobReader.RUN_MAX, r.toString());
            }
        }
    }

    @Test
    void aDamagedBlobInARunIsReadFromItsOtherCopyAndAGonePackBlobByBlob() throws Exception {
        List<byte[]> blobs = crops(200, 2);
        try (Index index = Index.open(tmp.resolve("index"), repo.id()); BlobReader reader = index.reader(repo)) {
            String first = write(index, blobs).get(0);
            String second = write(index, List.of(blobs.get(7), blobs.get(150))).get(0); // other copies of two
            List<BlobLocation> locs = locate(index, blobs, first);
            assertEquals(1, BlobReader.runEnds(locs).length);
            BlobLocation damaged = locs.get(7);
            try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("repo").resolve(PackFormat.keyOf(first))
                    .toFile(), "rw")) {
                long at = damaged.offset() + damaged.storedLength() - 5;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x10);
            }
            store.reset();
            byte[][] got = readRun(reader, locs);
            for (int k = 0; k < got.length; k++) {
                assertArrayEquals(blobs.get(k), got[k], "blob " + k);
            }
            assertEquals(1, store.reads(PackFormat.keyOf(first)).size(), "the run in one read");
            assertEquals(1, store.reads(PackFormat.keyOf(second)).size(), "the damaged blob from its other copy");

            // The pack goes (a compaction moved what was live): the run is read blob by blob, every copy tried.
            store.delete(PackFormat.keyOf(first));
            store.reset();
            try (BlobReader fresh = index.reader(repo)) { // the first reader keeps the gone pack open, as Linux allows
                List<BlobLocation> two = List.of(locs.get(7), locs.get(150));
                byte[][] again = readRun(fresh, two);
                assertArrayEquals(blobs.get(7), again[0]);
                assertArrayEquals(blobs.get(150), again[1]);
            }
            assertEquals(1, store.opens(PackFormat.keyOf(first)), "the gone pack is not asked for again blob by blob");
            assertEquals(List.of(), store.reads(PackFormat.keyOf(first)));
            assertEquals(2, store.reads(PackFormat.keyOf(second)).size());
        }
    }
}
