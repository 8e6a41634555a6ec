package dev.tidemark.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.config.Config;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.CountingStore;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Points;
import dev.tidemark.testing.Trees;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Large files, manifests and dumps cut into chunks: what changed costs about what changed, and reads back exact. */
class ChunkedContentTest {
    private static final long MIB = 1 << 20;
    @TempDir
    Path tmp;

    private static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** About {@code n} bytes of log lines: text, as a log is, and different every time. */
    private static byte[] logLines(Random r, int n) {
        StringBuilder sb = new StringBuilder(n + 200);
        while (sb.length() < n) {
            sb.append(String.format("2026-11-22T10:%02d:%02d.%06dZ INFO request id=%016x path=/qr/%d took %d ms%n",
                    r.nextInt(60), r.nextInt(60), r.nextInt(1_000_000), r.nextLong(), r.nextInt(1_000_000),
                    r.nextInt(1000)));
        }
        return sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Test
    void aLogThatGrewByOneMibCostsAboutOneMibAndEveryVersionRestoresExactly() throws Exception {
        Env env = new Env(tmp, "logs");
        Path log = env.tree("logs").resolve("app.log");
        Random r = new Random(1);
        Files.write(log, logLines(r, 40 << 20));
        env.ok("init");
        Config config = env.config();
        CountingStore store = new CountingStore(new LocalDirStore(env.repo));
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(30));
        Points.take(config, store, later);
        byte[] first = Files.readAllBytes(log);

        long[] growth = new long[3];
        for (int i = 0; i < growth.length; i++) {
            try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
                out.write(logLines(r, 1 << 20));
            }
            store.reset();
            Points.take(config, store, later);
            growth[i] = store.bytes("data");
            // The MiB appended, compressed, and the old last chunk (cut short by the end of the file) again.
            assertTrue(growth[i] <= 1.2 * MIB, "point " + (i + 2) + " added " + growth[i] + " bytes for 1 MiB appended");
            assertTrue(growth[i] >= MIB / 4, "the appended MiB is stored: " + growth[i]);
        }
        assertEquals(0, store.objects("manifests"), "manifests are content in packs now");

        List<String> ids = new dev.tidemark.point.PointStore(Repository.open(new LocalDirStore(env.repo))).ids();
        Path out1 = tmp.resolve("out1");
        Path outN = tmp.resolve("outN");
        env.ok("restore", ids.get(0), "--to", out1.toString());
        env.ok("restore", ids.get(ids.size() - 1), "--to", outN.toString());
        assertArrayEquals(first, Files.readAllBytes(out1.resolve("logs/app.log")));
        assertArrayEquals(Files.readAllBytes(log), Files.readAllBytes(outN.resolve("logs/app.log")));
        env.ok("verify", "--read-data");
    }

    @Test
    void aPointAfterOneFileChangedInTwentyThousandAddsLittleManifest() throws Exception {
        Env env = new Env(tmp, "facedata");
        Path src = env.tree("facedata");
        Random r = new Random(2);
        Instant old = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < 20_000; i++) {
            Path p = src.resolve(String.format("%03d/face-crop-%06d-%08x.jpg", i % 100, i, r.nextInt()));
            Trees.write(p, r, 100);
            Trees.mtime(p, old);
        }
        env.ok("init");
        Config config = env.config();
        CountingStore store = new CountingStore(new LocalDirStore(env.repo));
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(30));
        Points.take(config, store, later);
        long firstData = store.bytes("data");

        Path changed = Trees.files(src).get(12_345);
        Trees.write(changed, r, 100);
        Trees.mtime(changed, old.plusSeconds(60));
        store.reset();
        var second = Points.take(config, store, later);
        assertEquals(1, second.point().totals().newFiles());
        long manifestBytes = store.bytes("data") - second.point().totals().storedBytes();
        assertTrue(manifestBytes <= 64 << 10, "one changed file added " + manifestBytes + " bytes of manifest (the"
                + " first point stored " + firstData + ")");
        Path out = tmp.resolve("out");
        env.ok("restore", "latest", "--to", out.toString());
        assertArrayEquals(Files.readAllBytes(changed), Files.readAllBytes(out.resolve("facedata")
                .resolve(src.relativize(changed))));
    }

    @Test
    void aDamagedChunkNamesEveryFileThatUsesIt() throws Exception {
        Env env = new Env(tmp, "t");
        Random r = new Random(3);
        byte[] shared = random(r, 6 << 20);
        byte[] a = new byte[8 << 20];
        byte[] b = new byte[9 << 20];
        System.arraycopy(shared, 0, a, 0, shared.length);
        System.arraycopy(random(r, a.length - shared.length), 0, a, shared.length, a.length - shared.length);
        System.arraycopy(shared, 0, b, 0, shared.length);
        System.arraycopy(random(r, b.length - shared.length), 0, b, shared.length, b.length - shared.length);
        Files.write(env.tree("t").resolve("a.bin"), a);
        Files.write(env.tree("t").resolve("b.bin"), b);
        env.ok("init");
        env.ok("point");
        // The first blob of the first pack is a.bin's (or b.bin's) first chunk: the part both files share.
        damageInLargestPack(env, blobs -> blobs.filter(l -> !l.list())
                .min((x, y) -> Long.compare(x.offset(), y.offset())).orElseThrow());

        Cli.Result v = env.cli("verify", "--read-data");
        assertEquals(3, v.code(), v.toString());
        assertTrue(v.out().lines().anyMatch(l -> l.startsWith("affected: t/a.bin") && l.contains("chunk 0 of")),
                v.out());
        assertTrue(v.out().lines().anyMatch(l -> l.startsWith("affected: t/b.bin") && l.contains("chunk 0 of")),
                v.out());
        Cli.Result restore = env.cli("restore", "latest", "--to", tmp.resolve("out").toString());
        assertTrue(restore.code() != 0, restore.toString());
        assertTrue(Files.notExists(tmp.resolve("out/t/a.bin")), "a damaged file is not restored as if it were whole");
    }

    /**
     * A plain restore creates files under their own names (no temp name, no rename): one whose last chunk turns out
     * damaged, its first chunks already written, is removed, not left half-written beside the files that are whole.
     */
    @Test
    void aFileWhoseLaterChunkIsDamagedIsNotLeftHalfWritten() throws Exception {
        Env env = new Env(tmp, "t");
        Random r = new Random(5);
        Files.write(env.tree("t").resolve("a.bin"), random(r, 8 << 20));
        Files.writeString(env.tree("t").resolve("small.txt"), "whole");
        env.ok("init");
        env.ok("point");
        damageInLargestPack(env, blobs -> blobs.filter(l -> !l.list() && l.rawLength() > 1000) // not small.txt
                .max((x, y) -> Long.compare(x.offset(), y.offset())).orElseThrow());
        Cli.Result v = env.cli("verify", "--read-data");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("affected: t/a\\.bin.*chunk (\\d+) of (\\d+)")
                .matcher(v.out());
        assertTrue(m.find(), v.out());
        assertTrue(Integer.parseInt(m.group(1)) > 0, "a chunk after the first is damaged: " + m.group());

        Path out = tmp.resolve("out");
        Cli.Result restore = env.cli("restore", "latest", "--to", out.toString());
        assertEquals(1, restore.code(), restore.toString());
        assertTrue(restore.err().contains("a.bin: not restored, damaged"), restore.err());
        assertTrue(Files.notExists(out.resolve("t/a.bin")), "the half-written file is removed");
        assertEquals("whole", Files.readString(out.resolve("t/small.txt")));
        try (Stream<Path> s = Files.list(out.resolve("t"))) {
            assertEquals(List.of("small.txt"), s.map(p -> p.getFileName().toString()).toList(), "nothing else");
        }
    }

    /** Flips a bit 100 bytes into the blob {@code which} picks among the largest pack's. */
    private static void damageInLargestPack(Env env,
            java.util.function.Function<Stream<BlobLocation>, BlobLocation> which) throws Exception {
        Path pack;
        try (Stream<Path> s = Files.walk(env.repo.resolve("data"))) {
            pack = s.filter(Files::isRegularFile).sorted((x, y) -> Long.compare(size(y), size(x))).findFirst()
                    .orElseThrow();
        }
        Repository repo = Repository.open(new LocalDirStore(env.repo));
        BlobLocation blob = which.apply(repo.readTrailer(pack.getFileName().toString()).stream());
        byte[] bytes = Files.readAllBytes(pack);
        bytes[(int) blob.offset() + 100] ^= 0x10;
        Files.write(pack, bytes);
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
