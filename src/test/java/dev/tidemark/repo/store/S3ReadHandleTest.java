package dev.tidemark.repo.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.FaultyS3Proxy;
import dev.tidemark.testing.S3Server;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore's reads (small blobs, in pack order, from four threads) become a few large GETs, pack after pack, and
 * every byte is right; a lone read elsewhere fetches just its bytes. Requests are counted by a proxy in front of
 * the server.
 */
class S3ReadHandleTest {
    @TempDir
    Path tmp;

    @Test
    void forwardReadsFromFourThreadsAreAFewLargeGetsAndAStrayReadIsExact() throws Exception {
        S3Server server = S3Server.shared();
        String bucket = server.newBucket();
        int packs = 30;
        int packSize = 4 << 20;
        List<byte[]> data = new ArrayList<>();
        try (FaultyS3Proxy proxy = new FaultyS3Proxy(server.endpoint);
             S3Store store = new S3Store(server.location(bucket, "").withEndpoint(proxy.endpoint()),
                     S3Server.credentials(), tmp.resolve("spool"))) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            Random r = new Random(3);
            for (int i = 0; i < packs; i++) {
                byte[] b = new byte[packSize];
                r.nextBytes(b);
                data.add(b);
                store.put("data/p" + i, b);
            }
            // 30 packs of 4 MiB, one after the other, read as ~6 KiB blobs with gaps, 4 threads taking them in order
            // (more than the windows' budget altogether: windows of packs read earlier must make room)
            int before = proxy.requests();
            AtomicLong blobs = new AtomicLong();
            for (int i = 0; i < packs; i++) {
                byte[] want = data.get(i);
                try (Store.ReadHandle h = store.openForRead("data/p" + i)) {
                    List<Future<?>> f = new ArrayList<>();
                    for (long off = 0; off + 8192 < packSize; off += 6000 + (off % 7) * 300) {
                        long o = off;
                        f.add(pool.submit(() -> {
                            byte[] got = new byte[5000];
                            h.readFully(o, got, 0, got.length);
                            assertArrayEquals(Arrays.copyOfRange(want, (int) o, (int) o + 5000), got, "at " + o);
                            blobs.incrementAndGet();
                            return null;
                        }));
                    }
                    for (Future<?> x : f) {
                        x.get();
                    }
                }
            }
            int gets = proxy.requests() - before - packs; // less one HEAD per pack (its size)
            assertTrue(gets <= packs * 8, blobs + " blob reads took " + gets + " GETs");

            // one blob in the middle of a pack nobody reads in order: one small GET, not a window
            try (Store.ReadHandle h = store.openForRead("data/p7")) {
                // a window the last pack's handle asked for ahead may still be on its way: let it arrive first
                int at = proxy.requests();
                for (int quiet = 0; quiet < 4; ) {
                    Thread.sleep(50);
                    int now = proxy.requests();
                    quiet = now == at ? quiet + 1 : 0;
                    at = now;
                }
                byte[] got = new byte[100];
                h.readFully(3_000_000, got, 0, 100);
                assertArrayEquals(Arrays.copyOfRange(data.get(7), 3_000_000, 3_000_100), got);
                assertTrue(proxy.requests() - at == 1, "one GET");
            }
            pool.shutdown();
        }
    }
}
