package dev.tidemark.torture;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tidemark.TidemarkException;
import dev.tidemark.binlog.Event;
import dev.tidemark.config.ConfigLoader;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.journal.Journal;
import dev.tidemark.journal.JournalObject;
import dev.tidemark.point.PointStore;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.CheckedRecord;
import dev.tidemark.repo.ChunkList;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.Lease;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedInputStream;
import dev.tidemark.repo.SegmentedOutputStream;
import dev.tidemark.repo.crypto.Keys;
import dev.tidemark.repo.store.LocalDirStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Every reader of repository objects, and the config reader, fed damaged bytes by a coverage-guided fuzzer
 * (Jazzer). A reader may only answer with damage that names the object ({@link DamageException}, a
 * {@link TidemarkException}, or an I/O error whose message names it): any other exception, a hang or an
 * allocation out of proportion to the input (the fork's heap is small) is a finding.
 *
 * <p>Checksums would stop a fuzzer at the door, so the harness names each object by the content key of the bytes
 * it makes (as a buggy or hostile writer would) and the parsers behind the checks are what is fuzzed. In a normal
 * test run only the seeds (and past findings) in {@code src/test/resources/.../ReadersFuzzTestInputs} run; with
 * {@code JAZZER_FUZZ=1} it fuzzes for {@code maxDuration} (CI: a few minutes; {@code bench/torture}: longer).
 */
class ReadersFuzzTest {
    private static Path dir;
    private static LocalDirStore store;
    private static Repository repo;

    private static synchronized void open() throws IOException {
        if (repo == null) {
            Path shm = Path.of("/dev/shm");
            dir = Files.createTempDirectory(Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                    : Path.of(System.getProperty("java.io.tmpdir")), "tidemark-fuzz-");
            store = new LocalDirStore(dir.resolve("repo"));
            Files.createDirectories(dir.resolve("repo"));
            repo = Repository.init(store, Clock.systemUTC(), Repository.DEFAULT_PACK_SIZE);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    store.close();
                    dev.tidemark.testing.Trees.deleteRecursively(dir);
                } catch (IOException e) {
                    // a temp dir left behind
                }
            }));
        }
    }

    @FuzzTest(maxDuration = "60s")
    void readers(FuzzedDataProvider data) throws Exception {
        open();
        int which = data.consumeInt(0, 12);
        byte[] b = data.consumeRemainingAsBytes();
        String name = "fuzzed object";
        try {
            switch (which) {
                case 0 -> pack(b);
                case 1 -> segments(b);
                case 2 -> {
                    name = "chunk list";
                    ChunkList.decode(b, b.length, name);
                }
                case 3 -> {
                    name = "manifest";
                    manifest(b);
                }
                case 4 -> journal(b);
                case 5 -> {
                    name = "restore point 20260101T000000Z";
                    store.put(PointStore.PREFIX + "20260101T000000Z", CheckedRecord.seal(b));
                    new PointStore(repo).loadIfPresent("20260101T000000Z");
                }
                case 6 -> {
                    name = "point record";
                    CheckedRecord.open(b, name);
                }
                case 7 -> {
                    name = "locks/";
                    store.put("locks/00000000-0000-0000-0000-000000000000", b);
                    try {
                        Lease.list(store, "locks/");
                    } finally {
                        store.delete(List.of("locks/00000000-0000-0000-0000-000000000000"));
                    }
                }
                case 8 -> {
                    Path cfg = dir.resolve("config.json");
                    Files.write(cfg, b);
                    name = cfg.toString();
                    ConfigLoader.load(cfg);
                }
                case 9 -> repositoryOpen(b);
                case 10 -> {
                    name = "keys/";
                    keys(b);
                }
                case 11 -> {
                    name = "binlog piece";
                    InputStream in = new ByteArrayInputStream(b);
                    while (Event.read(in, name) != null) {
                        // every event read whole, or an error naming the piece
                    }
                }
                case 12 -> {
                    name = "database dump";
                    dump(b);
                }
                default -> throw new AssertionError(which);
            }
        } catch (DamageException | TidemarkException e) {
            // damage, said as such
        } catch (IOException e) {
            if (e.getMessage() == null || !(e.getMessage().contains(name) || e.getMessage().contains("fuzz"))) {
                throw new AssertionError("reader " + which + " failed without naming the object: " + e, e);
            }
        }
    }

    /** A pack named by its bytes: its trailer and footer parsed, then every blob it lists decoded. */
    private static void pack(byte[] b) throws IOException {
        String id = repo.hasher().hash(b).hex();
        store.put(PackFormat.keyOf(id), b);
        try {
            List<BlobLocation> locs = PackFormat.readTrailer(store, id);
            for (BlobLocation l : locs.subList(0, Math.min(locs.size(), 64))) {
                if (l.offset() < 0 || l.storedLength() < 0 || l.offset() + l.storedLength() > b.length
                        || l.rawLength() > BlobCodec.SEGMENT) {
                    continue; // what BlobReader refuses before decoding (checked by readTrailer's callers)
                }
                BlobCodec.decodeSmall(b, (int) l.offset(), (int) l.storedLength(), l.rawLength(), l.key(),
                        repo.hasher(), (buf, off, len) -> { }, "fuzz pack blob");
            }
        } finally {
            store.delete(List.of(PackFormat.keyOf(id)));
        }
    }

    /** LZ4 segments as blobs and streamed objects hold them, checked against the key of their bytes. */
    private static void segments(byte[] b) throws IOException {
        try (InputStream in = new SegmentedInputStream(new ByteArrayInputStream(b), repo.hasher(),
                repo.hasher().hash(b), "fuzz segments")) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }

    /** The bytes stored as content (a blob in a pack, named by their key), read by {@code reader}; then removed. */
    private static void asContent(byte[] b, ContentReading reader) throws Exception {
        ContentKey key = repo.hasher().hash(b);
        try (dev.tidemark.repo.PackWriter pw = dev.tidemark.testing.TestContents.packs(repo)) {
            pw.add(key, b.length, BlobCodec.encode(b, 0, b.length, true));
            pw.flush();
        }
        try (dev.tidemark.repo.BlobReader contents = dev.tidemark.testing.TestContents.reader(repo)) {
            reader.read(contents, key.hex());
        } finally {
            store.delete(store.list(PackFormat.PREFIX));
        }
    }

    @FunctionalInterface
    private interface ContentReading {
        void read(dev.tidemark.repo.Contents contents, String key) throws Exception;
    }

    /** A manifest, read entry by entry as a restore reads it. */
    private static void manifest(byte[] b) throws Exception {
        asContent(b, (contents, key) -> {
            try (dev.tidemark.point.ManifestReader r = new dev.tidemark.point.ManifestReader(contents, key)) {
                while (r.nextOrNull() != null) {
                    // every entry parsed, or damage naming the manifest
                }
            }
        });
    }

    /** A database dump, statement by statement as a restore loads it. */
    private static void dump(byte[] b) throws Exception {
        asContent(b, (contents, key) -> {
            try (dev.tidemark.db.DumpReader r = new dev.tidemark.db.DumpReader(contents, key)) {
                while (r.next() != null) {
                    // every statement framed, or damage naming the dump
                }
            }
        });
    }

    /** A journal object: the bytes as its JSON lines, stored segmented and named by their key, as the daemon does. */
    private static void journal(byte[] b) throws IOException {
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        ContentKey key;
        try (SegmentedOutputStream out = new SegmentedOutputStream(stored, repo.hasher())) {
            out.write(b);
            key = out.finish();
        }
        String k = JournalObject.keyOf(0, 1, 1, 1_000_000_000L, 1_000_000_000L, key);
        store.put(k, stored.toByteArray());
        try {
            new Journal(repo).readObject(JournalObject.parse(k), (entry) -> { });
        } finally {
            store.delete(List.of(k));
        }
    }

    /** A repository whose version and config objects are the input (split at the first newline). */
    private static void repositoryOpen(byte[] b) throws IOException {
        int nl = 0;
        while (nl < b.length && b[nl] != '\n') {
            nl++;
        }
        Path d = dir.resolve("open");
        try (LocalDirStore s = new LocalDirStore(d)) {
            Files.createDirectories(d);
            s.put(Repository.VERSION_KEY, java.util.Arrays.copyOfRange(b, 0, Math.min(b.length, nl + 1)));
            s.put(Repository.CONFIG_KEY, java.util.Arrays.copyOfRange(b, Math.min(b.length, nl + 1), b.length));
            Repository.open(s, new dev.tidemark.repo.crypto.Passwords(v -> v.equals("TIDEMARK_PASSWORD") ? "fuzz" : null, null));
        }
    }

    /** A key file of an encrypted repository: parsed and tried with a password (its cost parameters are bounded). */
    private static void keys(byte[] b) throws IOException {
        Path d = dir.resolve("keys");
        try (LocalDirStore s = new LocalDirStore(d)) {
            Files.createDirectories(d);
            s.put("keys/00000000000000000000000000000000", b);
            Keys.unlock(s, "fuzz".toCharArray());
        }
    }
}
