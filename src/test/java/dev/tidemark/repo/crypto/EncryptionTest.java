package dev.tidemark.repo.crypto;

import dev.tidemark.repo.Repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.MariaDb;
import dev.tidemark.testing.Trees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encrypted repository: no plaintext of any file, path or SQL in any object; a flipped byte in any object is
 * damage named by verify; a wrong or missing password is one line and exit 2; keys are added and removed.
 */
class EncryptionTest {
    @TempDir
    Path tmp;

    final MariaDb db = MariaDb.get();
    final List<String> schemas = new ArrayList<>();

    @AfterEach
    void down() {
        db.drop(schemas.toArray(String[]::new));
    }

    private static final String[] SECRETS = {"crop-of-alice-7f3e", "Alice Marker Person", "facedata", "qumagie_faces",
        "CREATE TABLE", "INSERT INTO", "photo_person_name", "/src/facedata"};

    private Env env(boolean encrypt, String dir) throws Exception {
        Path base = tmp.resolve(dir);
        Files.createDirectories(base);
        Env env = new Env(base, "facedata");
        Path pw = base.resolve("password");
        Files.writeString(pw, "correct horse battery staple\n");
        String schema = db.newSchema("enc");
        schemas.add(schema);
        db.exec("CREATE TABLE `" + schema + "`.qumagie_faces (id INT PRIMARY KEY, photo_person_name VARCHAR(100), "
                + "crop VARCHAR(200))");
        db.exec("INSERT INTO `" + schema + "`.qumagie_faces VALUES (1, 'Alice Marker Person', 'p/crop-of-alice-7f3e.jpg')");
        env.writeConfig("  \"repositoryPasswordFile\": \"" + pw + "\",\n" + db.configSection(List.of(schema), ""));
        Path p = env.tree("facedata").resolve("p");
        Files.createDirectories(p);
        // text that LZ4 leaves readable: the test would find it in a plain repository (the control below)
        Files.writeString(p.resolve("crop-of-alice-7f3e.jpg"), "face of Alice Marker Person, crop-of-alice-7f3e\n");
        Trees.random(env.tree("facedata").resolve("more"), 5, 40);
        if (encrypt) {
            assertTrue(env.ok("init", "--encrypt").out().startsWith("created encrypted repository"));
        } else {
            env.ok("init");
        }
        env.ok("point", "--tag", "first");
        Files.writeString(p.resolve("second-crop-of-alice-7f3e.jpg"), "Alice Marker Person again\n");
        env.ok("point");
        return env;
    }

    private static List<String> found(Path repo) throws Exception {
        List<String> hits = new ArrayList<>();
        try (Stream<Path> all = Files.walk(repo)) {
            for (Path f : all.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String s : SECRETS) {
                    if (text.contains(s) || repo.relativize(f).toString().contains(s)) {
                        hits.add(repo.relativize(f) + ": " + s);
                    }
                }
            }
        }
        return hits;
    }

    @Test
    void noObjectHoldsAnyFileTextPathOrSqlAndEverythingStillRestores() throws Exception {
        Env plain = env(false, "plain");
        assertFalse(found(plain.repo).isEmpty(), "the control: a plain repository shows them");

        Env env = env(true, "enc");
        List<String> hits = found(env.repo);
        assertTrue(hits.isEmpty(), "plaintext in the encrypted repository: " + hits);
        String version = Files.readString(env.repo.resolve("version"));
        assertEquals("tidemark repository format " + Repository.ENCRYPTED_FORMAT + "\n", version);

        env.ok("restore", "latest", "--to", tmp.resolve("out").toString(), "--db-into", schemas.get(1) + "_r");
        schemas.add(schemas.get(1) + "_r");
        Trees.assertSame(env.tree("facedata"), tmp.resolve("out/facedata"));
        assertTrue(env.ok("verify", "--read-data").out().contains("no damage"));
        env.ok("forget", "--keep-last", "1", "--prune");
        assertTrue(env.ok("verify", "--read-data").out().contains("no damage"));
    }

    private static void flip(Path f, long at) throws Exception {
        dev.tidemark.testing.Trees.flip(f, at, 0x01);
    }

    @Test
    void aFlippedByteInAPackOrAPointIsDamageNamedByVerify() throws Exception {
        Env env = env(true, "enc");
        Path pack;
        try (Stream<Path> s = Files.walk(env.repo.resolve("data"))) {
            pack = s.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        flip(pack, 100);
        Cli.Result r = env.cli("verify", "--read-data");
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.out().contains(pack.getFileName().toString()) && r.out().contains("fails authentication"),
                r.toString());
        flip(pack, 100);
        assertEquals(0, env.cli("verify", "--read-data").code());

        Path point;
        try (Stream<Path> s = Files.list(env.repo.resolve("points"))) {
            point = s.sorted().findFirst().orElseThrow();
        }
        flip(point, Files.size(point) - 3); // in the tag of its last segment
        Cli.Result p = env.cli("verify");
        assertEquals(3, p.code(), p.toString());
        assertTrue((p.out() + p.err()).contains(point.getFileName().toString()), p.toString());
    }

    @Test
    void aWrongOrMissingPasswordIsOneLineAndExitTwoAndKeysAreAddedAndRemoved() throws Exception {
        Env env = env(true, "enc");
        Path pw = tmp.resolve("enc/password");
        Path second = tmp.resolve("enc/second");
        Files.writeString(second, "a second password\n");

        Cli.Result added = env.ok("key", "add", "--new-password-file", second.toString());
        String secondId = added.out().trim().substring("added key ".length());
        Cli.Result list = env.ok("key", "list");
        assertEquals(2, list.out().lines().count(), list.out());
        assertTrue(list.out().lines().anyMatch(l -> l.endsWith("(this password)") && !l.startsWith(secondId)));

        Files.writeString(pw, "wrong\n");
        Cli.Result wrong = env.cli("points");
        assertEquals(2, wrong.code(), wrong.toString());
        assertEquals("tidemark: wrong password for repository " + env.repo + ": none of its keys opens with it",
                wrong.err().strip());

        Files.writeString(pw, "a second password\n");
        String firstId = env.ok("key", "list").out().lines().filter(l -> !l.startsWith(secondId)).findFirst()
                .orElseThrow().split(" ")[0];
        Cli.Result self = env.cli("key", "remove", secondId.substring(0, 6));
        assertEquals(2, self.code(), self.toString());
        assertTrue(self.err().contains("is the one this password opens"), self.err());
        assertTrue(env.ok("key", "remove", firstId).out().contains("removed key " + firstId));
        Cli.Result last = env.cli("key", "remove", secondId);
        assertEquals(2, last.code(), last.toString());
        assertEquals(1, env.ok("key", "list").out().lines().count());
        Files.writeString(pw, "correct horse battery staple\n");
        assertEquals(2, env.cli("points").code(), "the removed password opens nothing");

        env.writeConfig(db.configSection(List.of(schemas.get(0)), "")); // no passwordFile at all
        Cli.Result none = env.cli("points");
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("is encrypted: give its password in TIDEMARK_PASSWORD"), none.err());
    }

    @Test
    void anEncryptedRepositoryInS3RoundTripsAndTheBucketHoldsNoPlaintext() throws Exception {
        dev.tidemark.testing.S3Server server = dev.tidemark.testing.S3Server.shared();
        String bucket = server.newBucket();
        Env env = new Env(tmp, "facedata");
        Path pw = tmp.resolve("password");
        Files.writeString(pw, "s3 password\n");
        env.repository = "s3://" + bucket + "/nas";
        env.writeConfig("  \"repositoryPasswordFile\": \"" + pw + "\",\n  \"s3\": {\"endpoint\": \"" + server.endpoint
                + "\"},\n");
        Files.writeString(env.tree("facedata").resolve("crop-of-alice-7f3e.jpg"), "Alice Marker Person\n");
        Trees.random(env.tree("facedata").resolve("more"), 8, 60);
        Trees.big(env.tree("facedata").resolve("video.bin"), 9, 40L << 20); // a multipart pack, encrypted
        env.ok("init", "--encrypt");
        env.ok("point");
        List<String> hits = found(server.bucketDir(bucket));
        assertTrue(hits.isEmpty(), "plaintext in the bucket: " + hits);
        env.ok("restore", "latest", "--to", tmp.resolve("out").toString(), "--no-sync");
        Trees.assertSame(env.tree("facedata"), tmp.resolve("out/facedata"));
        assertTrue(env.ok("verify", "--read-data").out().contains("no damage"));
    }

    /** An encrypted repository of format 3 (version 4) is read as it is, and its first writer upgrades it to 6. */
    @Test
    void anEncryptedRepositoryOfFormatThreeIsReadAndUpgradedToSix() throws Exception {
        Env env = env(true, "old");
        try (dev.tidemark.repo.store.LocalDirStore raw = new dev.tidemark.repo.store.LocalDirStore(env.repo)) {
            Repository r = Repository.open(raw, env.config().passwords());
            dev.tidemark.repo.store.Store sealed = r.wholeStore();
            String config = new String(dev.tidemark.repo.CheckedRecord.open(sealed.get("config"), "config"),
                    StandardCharsets.UTF_8);
            assertTrue(config.contains("\"format\" : " + Repository.FORMAT), config);
            sealed.put("config", dev.tidemark.repo.CheckedRecord.seal(config.replace("\"format\" : "
                    + Repository.FORMAT, "\"format\" : 3").getBytes(StandardCharsets.UTF_8)));
            raw.put("version", "tidemark repository format 4\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertTrue(env.ok("points").out().contains("first"));
        assertEquals("tidemark repository format 4\n", Files.readString(env.repo.resolve("version")), "readers change nothing");
        Files.writeString(env.tree("facedata").resolve("p/third.jpg"), "after the upgrade\n");
        env.ok("point");
        assertEquals("tidemark repository format " + Repository.ENCRYPTED_FORMAT + "\n",
                Files.readString(env.repo.resolve("version")));
        env.ok("verify", "--read-data");
        Path out = tmp.resolve("old-out");
        env.ok("restore", "latest", "--to", out.toString());
        assertEquals("after the upgrade\n", Files.readString(out.resolve("facedata/p/third.jpg")));
        assertTrue(found(env.repo).isEmpty(), "still no plaintext: " + found(env.repo));
    }
}
