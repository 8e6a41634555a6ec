package dev.tidemark.torture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.daemon.Running;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import dev.tidemark.testing.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A flipped bit in each kind of repository object: {@code verify --read-data} exits 3 naming the object, and a
 * restore of what does not depend on it still succeeds, byte-exact. The repository is built once (two points, the
 * second sealed by the daemon with a database; journal objects; binlog pieces; a file stored as chunks and a chunk
 * list) and copied afresh for each kind.
 */
class DamageTableTest {
    private static Path base;
    private static Env env;
    private static Path pristine;
    private static final MariaDb SERVER = MariaDb.get();
    private static String schema;
    private static RestorePoint first;
    private static RestorePoint second;
    private static Repository repo;

    @BeforeAll
    static void build() throws Exception {
        base = Files.createTempDirectory("tidemark-damage-");
        schema = SERVER.newSchema("damage");
        SERVER.exec("CREATE TABLE `" + schema + "`.faces (id INT AUTO_INCREMENT PRIMARY KEY, crop VARCHAR(200))",
                "INSERT INTO `" + schema + "`.faces (crop) VALUES ('f1.bin'), ('f2.bin'), ('big.bin')");
        env = new Env(base, "facedata");
        Random r = new Random(16);
        for (int i = 0; i < 60; i++) {
            Trees.write(env.tree("facedata").resolve("f" + i + ".bin"), r, 1000 + r.nextInt(3000));
        }
        Trees.write(env.tree("facedata").resolve("big.bin"), r, 3_000_000); // chunks and a chunk list
        env.writeConfig(Running.fastConfig() + SERVER.configSection(List.of(schema), ""));
        env.ok("init");
        env.ok("point", "--tag", "first");
        try (Running d = new Running(env)) {
            for (int i = 0; i < 3; i++) {
                Files.writeString(env.tree("facedata").resolve("journaled-" + i + ".txt"), "journaled " + i);
                d.awaitReplicated("facedata", Duration.ofSeconds(30));
            }
            SERVER.exec("INSERT INTO `" + schema + "`.faces (crop) VALUES ('journaled-0.txt')");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (binlogPieces().isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "no binlog piece was archived");
                Thread.sleep(200);
            }
            d.daemon.pointNow(List.of("second")).get(60, TimeUnit.SECONDS);
        }
        repo = Repository.open(new LocalDirStore(env.repo));
        List<RestorePoint> all = new PointStore(repo).all();
        assertEquals(2, all.size());
        first = all.get(0);
        second = all.get(1);
        assertTrue(second.database().dump() != null, "the second point has the database");
        pristine = base.resolve("pristine");
        dev.tidemark.testing.History.copyTree(env.repo, pristine);
    }

    @AfterAll
    static void down() throws Exception {
        if (repo != null) {
            repo.store().close();
        }
        SERVER.drop(schema);
        Trees.deleteRecursively(base);
    }

    /** The kinds of object, each with where a bit is flipped, what verify must name and what must still restore. */
    enum Kind {
        FILE_BLOB, CHUNK, CHUNK_LIST, PACK_TRAILER, PACK_FOOTER, MANIFEST, POINT, JOURNAL, DUMP, BINLOG, CONFIG, VERSION
    }

    @ParameterizedTest(name = "a flipped bit in {0}")
    @EnumSource(Kind.class)
    void aFlippedBitIsNamedByVerifyAndWhatDoesNotDependOnItStillRestores(Kind kind) throws Exception {
        Trees.deleteRecursively(env.repo);
        dev.tidemark.testing.History.copyTree(pristine, env.repo);
        String named; // what verify must name
        String restorePoint = second.id(); // a point that must still restore...
        Predicate<String> unaffected = p -> true; // ...these of its files, byte-exact
        int restoreExit = 0;
        ContentKey f7 = fileKey("f7.bin");
        switch (kind) {
            case FILE_BLOB -> {
                BlobLocation b = blob(l -> !l.list() && l.key().equals(f7));
                flip(b);
                named = "affected: facedata/f7.bin";
                unaffected = p -> !p.equals("f7.bin");
                restoreExit = 1;
            }
            case CHUNK -> {
                BlobLocation b = blob(l -> !l.list() && l.rawLength() >= 65536);
                flip(b);
                named = "affected: facedata/big.bin";
                unaffected = p -> !p.equals("big.bin");
                restoreExit = 1;
            }
            case CHUNK_LIST -> {
                ContentKey big = Running.stateAt(repo, "facedata", second.time()).get("big.bin").key();
                BlobLocation b = blob(l -> l.list() && l.key().equals(big));
                flip(b);
                named = "affected: facedata/big.bin";
                unaffected = p -> !p.equals("big.bin");
                restoreExit = 1;
            }
            case PACK_TRAILER -> {
                BlobLocation b = blob(l -> !l.list() && l.key().equals(f7));
                long len = Files.size(pack(b.packId()));
                flipAt(pack(b.packId()), len - 16 - 10);
                named = "pack " + PackFormat.keyOf(b.packId()) + ": trailer checksum mismatch";
            }
            case PACK_FOOTER -> {
                BlobLocation b = blob(l -> !l.list() && l.key().equals(f7));
                flipAt(pack(b.packId()), Files.size(pack(b.packId())) - 3);
                named = "pack " + PackFormat.keyOf(b.packId()) + ": footer";
            }
            case MANIFEST -> {
                BlobLocation b = blob(l -> l.key().equals(ContentKey.parse(first.trees().get(0).manifest())));
                flip(b);
                named = "manifest " + first.trees().get(0).manifest() + " of tree 'facedata' (points " + first.id();
            }
            case POINT -> {
                flipAt(env.repo.resolve(PointStore.PREFIX + second.id()), 40);
                named = "restore point " + second.id();
                restorePoint = first.id();
                unaffected = p -> !p.startsWith("journaled-");
            }
            case JOURNAL -> {
                Path j;
                try (Stream<Path> s = Files.walk(env.repo.resolve("hosts"))) { // format 5: hosts/<id>/journal/…
                    j = s.filter(Files::isRegularFile).filter(p -> env.repo.relativize(p).toString()
                            .contains("/journal/")).sorted().findFirst().orElseThrow();
                }
                flipAt(j, Files.size(j) / 2);
                named = env.repo.relativize(j).toString();
            }
            case DUMP -> {
                BlobLocation b = blob(l -> l.key().equals(ContentKey.parse(second.database().dump())));
                flip(b);
                named = "dump";
            }
            case BINLOG -> {
                Path piece = binlogPieces().get(0);
                flipAt(piece, Files.size(piece) / 2);
                named = env.repo.relativize(piece).toString();
            }
            case CONFIG -> {
                flipAt(env.repo.resolve("config"), 50);
                named = "config";
                restorePoint = null;
            }
            case VERSION -> {
                flipAt(env.repo.resolve("version"), 3);
                named = "version";
                restorePoint = null;
            }
            default -> throw new AssertionError(kind);
        }

        Cli.Result v = env.cli("verify", "--read-data");
        assertEquals(3, v.code(), kind + ": " + v);
        String all = v.out() + v.err();
        assertTrue(all.contains(named), kind + ": verify does not name '" + named + "':\n" + v);

        if (restorePoint != null) {
            Path target = base.resolve("out-" + kind);
            Cli.Result r = env.cli("restore", restorePoint, "--to", target.toString());
            assertEquals(restoreExit, r.code(), kind + ": " + r);
            RestorePoint p = restorePoint.equals(first.id()) ? first : second;
            int checked = 0;
            try (Stream<Path> s = Files.list(env.tree("facedata"))) {
                for (Path src : s.sorted().toList()) {
                    String name = src.getFileName().toString();
                    if (!unaffected.test(name) || (p == first && name.startsWith("journaled-"))) {
                        continue;
                    }
                    assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(target.resolve("facedata").resolve(name)),
                            kind + ": " + name);
                    checked++;
                }
            }
            assertTrue(checked >= 60, kind + ": " + checked + " files compared");
            Trees.deleteRecursively(target);
        }
    }

    private static ContentKey fileKey(String name) throws IOException {
        return repo.hasher().hash(Files.readAllBytes(env.tree("facedata").resolve(name)));
    }

    private static Path pack(String packId) {
        return env.repo.resolve(PackFormat.keyOf(packId));
    }

    /** The first blob in the pristine repository's packs that {@code which} picks. */
    private static BlobLocation blob(Predicate<BlobLocation> which) throws IOException {
        try (LocalDirStore store = new LocalDirStore(pristine); Stream<Path> s = Files.walk(pristine.resolve("data"))) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                for (BlobLocation l : PackFormat.readTrailer(store, p.getFileName().toString())) {
                    if (which.test(l)) {
                        return l;
                    }
                }
            }
        }
        throw new AssertionError("no such blob");
    }

    private static void flip(BlobLocation b) throws IOException {
        flipAt(pack(b.packId()), b.offset() + b.storedLength() / 2);
    }

    private static void flipAt(Path file, long at) throws IOException {
        Trees.flip(file, at, 0x04);
    }

    private static List<Path> binlogPieces() throws IOException {
        Path dir = env.repo.resolve("hosts"); // format 5: hosts/<id>/binlog/<file>/<piece>
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> env.repo.relativize(p).toString()
                    .contains("/binlog/")).sorted(Comparator.naturalOrder()).toList()) {
                String[] f = p.getFileName().toString().split("-");
                if (!p.getParent().getFileName().toString().equals("gaps") && f.length >= 2 && !f[0].equals(f[1])) {
                    out.add(p);
                }
            }
        }
        return out;
    }

}
