package dev.tidemark.bench;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.index.Index;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.store.LocalDirStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The hot paths of taking a point, each beside the memory-bandwidth limit it cannot beat: hashing (two XXH64
 * lanes), encoding a blob (raw copy or LZ4), appending to a pack, index lookups. Run by {@code bench/run --scenario
 * jmh}; throughput is reported in bytes per second where bytes make sense.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HotPathBench {

    /** Content of one size: a crop (5.4 KB), a segment (1 MiB). */
    @State(Scope.Thread)
    public static class Content {
        @Param({"5400", "1048576"})
        public int size;

        byte[] random;
        byte[] text;
        final ContentHasher hasher = new ContentHasher(1, 2);

        @Setup
        public void setUp() {
            random = new byte[size];
            new Random(1).nextBytes(random);
            StringBuilder sb = new StringBuilder();
            while (sb.length() < size) {
                sb.append("2026-11-21 10:00:00 INFO generated qr-").append(sb.length() % 997).append(".png level=H\n");
            }
            text = sb.substring(0, size).getBytes();
        }
    }

    /** The ceiling: reading memory, 64 MiB at a time (far beyond the caches). */
    @State(Scope.Thread)
    public static class Big {
        final long[] data = new long[8 << 20];

        @Setup
        public void setUp() {
            for (int i = 0; i < data.length; i++) {
                data[i] = i * 31L;
            }
        }
    }

    @Benchmark
    public long memoryRead64MiB(Big b) {
        long s = 0;
        for (long v : b.data) {
            s += v;
        }
        return s;
    }

    @Benchmark
    public ContentKey contentKey(Content c) {
        return c.hasher.hash(c.random);
    }

    @Benchmark
    public byte[] encodeIncompressible(Content c) {
        return BlobCodec.encode(c.random, 0, c.random.length, true);
    }

    @Benchmark
    public byte[] encodeText(Content c) {
        return BlobCodec.encode(c.text, 0, c.text.length, true);
    }

    /** Appending crops to packs in a real directory, packs committed (forced) every 16 MiB. */
    @State(Scope.Thread)
    public static class Packs {
        Path dir;
        LocalDirStore store;
        PackWriter writer;
        final ContentHasher hasher = new ContentHasher(1, 2);
        byte[] crop = new byte[5400];
        long n;

        @Setup(Level.Iteration)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("tidemark-jmh-packs");
            store = new LocalDirStore(dir);
            writer = new PackWriter(store, hasher, 16L << 20, k -> false, (id, blobs) -> { });
            new Random(3).nextBytes(crop);
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws IOException {
            writer.flush();
            writer.close();
            try (var s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Benchmark
    public void packAppendCrop(Packs p) throws IOException {
        // A different blob each time: the first bytes carry a counter.
        long i = p.n++;
        for (int b = 0; b < 8; b++) {
            p.crop[b] = (byte) (i >>> (8 * b));
        }
        ContentKey key = p.hasher.hash(p.crop);
        p.writer.add(key, p.crop.length, BlobCodec.encode(p.crop, 0, p.crop.length, false));
    }

    /** An index holding 200,000 blobs, as after 200,000 crops. */
    @State(Scope.Benchmark)
    public static class Indexed {
        Path dir;
        Index index;
        ContentKey[] present;
        ContentKey[] absent;
        int i;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("tidemark-jmh-index");
            index = Index.open(dir.resolve("index"), "jmh");
            Random r = new Random(4);
            present = new ContentKey[200_000];
            absent = new ContentKey[4096];
            List<BlobLocation> batch = new ArrayList<>();
            for (int k = 0; k < present.length; k++) {
                present[k] = new ContentKey(r.nextLong(), r.nextLong());
                batch.add(new BlobLocation(present[k], null, k * 5400L, 5409, 5400));
                if (batch.size() == 2000) {
                    index.addPack(new ContentKey(r.nextLong(), r.nextLong()).hex(), batch);
                    batch.clear();
                }
            }
            for (int k = 0; k < absent.length; k++) {
                absent[k] = new ContentKey(r.nextLong(), r.nextLong());
            }
            index.flush();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            index.close();
            Index.delete(dir.resolve("index"));
            Files.delete(dir);
        }
    }

    @Benchmark
    public void indexLookupPresent(Indexed x, Blackhole bh) throws IOException {
        bh.consume(x.index.hasBlob(x.present[(x.i++ & 0x7fffffff) % x.present.length]));
    }

    @Benchmark
    public void indexLookupAbsent(Indexed x, Blackhole bh) throws IOException {
        bh.consume(x.index.hasBlob(x.absent[(x.i++ & 0x7fffffff) % x.absent.length]));
    }
}
