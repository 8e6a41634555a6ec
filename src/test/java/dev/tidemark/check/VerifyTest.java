package dev.tidemark.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Trees;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damage in the repository is found and named, down to the files and points it affects. */
class VerifyTest {
    @TempDir
    Path tmp;

    private Env setUp() throws Exception {
        Env env = new Env(tmp, "facedata");
        Random r = new Random(3);
        for (int i = 0; i < 50; i++) {
            Trees.write(env.tree("facedata").resolve("crop-" + i + ".jpg"), r, 3000 + r.nextInt(3000));
        }
        env.ok("init");
        env.ok("point");
        return env;
    }

    /** The packs, largest first: the crops' pack, then the manifest's. */
    private static List<Path> packs(Env env) throws Exception {
        try (Stream<Path> s = Files.walk(env.repo.resolve("data"))) {
            return s.filter(Files::isRegularFile).sorted((a, b) -> Long.compare(b.toFile().length(),
                    a.toFile().length())).toList();
        }
    }

    @Test
    void aSoundRepositoryVerifies() throws Exception {
        Env env = setUp();
        Cli.Result r = env.ok("verify", "--read-data");
        assertTrue(r.out().contains("no damage found"), r.out());
        assertTrue(r.out().contains("checked 1 points"), r.out());
    }

    @Test
    void aFlippedByteInBlobDataFailsReadDataNamingThePackTheBlobAndTheFile() throws Exception {
        Env env = setUp();
        Path pack = packs(env).get(0);
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
            f.seek(5000); // inside the second or third crop's bytes
            int b = f.read();
            f.seek(5000);
            f.write(b ^ 0x40);
        }
        Cli.Result quick = env.cli("verify");
        assertEquals(0, quick.code(), "without --read-data the structure is still sound: " + quick);

        Cli.Result r = env.cli("verify", "--read-data");
        assertEquals(3, r.code(), r.toString());
        String packId = pack.getFileName().toString();
        assertTrue(r.out().contains("pack data/" + packId.substring(0, 2) + "/" + packId + ": its bytes do not match"),
                r.out());
        assertTrue(r.out().contains("content key mismatch"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("affected: facedata/crop-") && l.contains("damaged")),
                r.out());
        assertTrue(r.err().contains("verify found damage"), r.err());
    }

    @Test
    void aMissingPackIsFoundWithoutReadingData() throws Exception {
        Env env = setUp();
        Files.delete(packs(env).get(0));
        Cli.Result r = env.cli("verify");
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.out().contains("files name content that no pack holds"), r.out());
        assertTrue(r.out().contains("affected: facedata/crop-0.jpg (content"), r.out());
    }

    @Test
    void aDamagedManifestOrPointIsNamed() throws Exception {
        Env env = setUp();
        List<Path> packs = packs(env);
        assertEquals(2, packs.size(), "the crops' pack and the manifest's");
        Path manifest = packs.get(1);
        byte[] b = Files.readAllBytes(manifest);
        b[20] ^= 0x01; // inside the manifest's blob, before the trailer
        Files.write(manifest, b);
        Cli.Result r = env.cli("verify");
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.out().contains("damage: manifest "), r.out());

        // A restore of the damaged point fails instead of restoring something wrong.
        Cli.Result restore = env.cli("restore", "latest", "--to", tmp.resolve("out").toString());
        assertTrue(restore.code() == 3 || restore.code() == 1, restore.toString());
    }

    /** --read-data-subset reads a random share of the packs (all of their structure), and says how many. */
    @Test
    void aSubsetReadsSomeOfThePacksAndSaysHowMany() throws Exception {
        dev.tidemark.testing.Env env = new dev.tidemark.testing.Env(tmp.resolve("subset"), "t");
        env.ok("init");
        for (int i = 0; i < 20; i++) {
            java.nio.file.Files.writeString(env.tree("t").resolve("f" + i), "content " + i);
            env.ok("point"); // each point commits its own pack
        }
        com.fasterxml.jackson.databind.JsonNode all = dev.tidemark.util.Json.MAPPER.readTree(
                env.ok("verify", "--read-data", "--json").out());
        int packs = all.get("packs").asInt();
        assertTrue(packs >= 20, "packs: " + packs);
        assertEquals(packs, all.get("packsRead").asInt());
        com.fasterxml.jackson.databind.JsonNode half = dev.tidemark.util.Json.MAPPER.readTree(
                env.ok("verify", "--read-data-subset", "50%", "--json").out());
        assertTrue(half.get("ok").asBoolean());
        int read = half.get("packsRead").asInt();
        assertTrue(read > 0 && read < packs, read + " of " + packs + " packs read");
        assertTrue(half.get("bytesRead").asLong() < all.get("bytesRead").asLong());
        assertTrue(env.ok("verify", "--read-data-subset", "25%").out().contains(" packs: 25%)"));
        for (String bad : new String[] {"0", "101%", "ten"}) {
            dev.tidemark.testing.Cli.Result r = env.cli("verify", "--read-data-subset", bad);
            assertEquals(2, r.code(), bad);
            assertTrue(r.err().contains("give a percentage above 0 and up to 100"), r.err());
        }
    }
}
