package dev.tidemark.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.S3Server;
import dev.tidemark.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tidemark copy keeps replicas (a directory, an S3 bucket) the same as the primary; --replica reads them. */
class ReplicaTest {
    @TempDir
    Path tmp;

    private static List<String> objects(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString())
                    .filter(k -> !k.startsWith("locks/") && !k.startsWith("leases/") && !k.startsWith("tmp/"))
                    .sorted().toList();
        }
    }

    @Test
    void copyKeepsADirectoryAndABucketTheSameAndTheyRestoreWhenThePrimaryIsGone() throws Exception {
        S3Server server = S3Server.shared();
        String bucket = server.newBucket();
        Env env = new Env(tmp, "facedata");
        Path usb = tmp.resolve("usb-disk/tidemark");
        String replicas = "  \"replicas\": [{\"name\": \"usb\", \"repository\": \"" + usb + "\"},\n"
                + "    {\"name\": \"offsite\", \"repository\": \"s3://" + bucket + "/replica\", \"s3\": {\"endpoint\": \""
                + server.endpoint + "\"}}],\n";
        env.writeConfig(replicas);
        Path src = env.tree("facedata");
        Trees.random(src, 51, 120);
        env.ok("init");
        env.ok("point", "--tag", "first");
        Cli.Result c = env.ok("copy");
        assertTrue(c.out().contains("replica usb (" + usb + "): ") && c.out().contains("1 new points"), c.out());
        assertTrue(c.out().contains("replica offsite (s3://" + bucket + "/replica at " + server.endpoint + ")"),
                c.out());
        assertEquals(objects(env.repo), objects(usb), "object for object");
        assertEquals(objects(env.repo), objects(server.bucketDir(bucket).resolve("replica")));

        List<Path> files = Trees.files(src);
        Files.delete(files.get(0));
        Files.writeString(files.get(1), "changed");
        env.ok("point", "--tag", "second");
        env.ok("forget", "--keep-last", "1", "--prune");
        Cli.Result again = env.ok("copy", "--to", "usb");
        assertTrue(again.out().contains("1 new points") && !again.out().contains(" 0 objects deleted"), again.out());
        assertEquals(objects(env.repo), objects(usb), "what the primary dropped is gone from the replica too");
        Cli.Result nothing = env.ok("copy", "--to", "usb");
        assertTrue(nothing.out().contains(": 0 objects copied (0 B), 0 new points, 0 objects deleted"), nothing.out());
        env.ok("copy", "--to", "offsite");

        // the primary is lost
        Path expected = tmp.resolve("expected");
        env.ok("restore", "latest", "--to", expected.toString(), "--no-sync");
        Trees.deleteRecursively(env.repo);
        assertEquals(2, env.cli("points").code(), "no primary");
        for (String name : List.of("usb", "offsite")) {
            assertEquals(1, env.ok("points", "--replica", name, "--json").out().split("\"id\"").length - 1);
            assertTrue(env.ok("verify", "--read-data", "--replica", name).out().contains("no damage"));
            Path out = tmp.resolve("from-" + name);
            env.ok("restore", "latest", "--replica", name, "--to", out.toString(), "--no-sync");
            Trees.assertSame(src, out.resolve("facedata"));
        }
        Cli.Result unknown = env.cli("points", "--replica", "nas2");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--replica nas2: the config has no replica of that name; it has usb, "
                + "offsite"), unknown.err());
    }

    @Test
    void anEncryptedRepositoryIsCopiedAsCiphertextAndItsPasswordOpensTheReplica() throws Exception {
        Env env = new Env(tmp, "facedata");
        Path pw = tmp.resolve("password");
        Files.writeString(pw, "replica password\n");
        Path usb = tmp.resolve("usb");
        env.writeConfig("  \"repositoryPasswordFile\": \"" + pw + "\",\n  \"replicas\": [{\"name\": \"usb\", "
                + "\"repository\": \"" + usb + "\"}],\n");
        Files.writeString(env.tree("facedata").resolve("crop-of-bob-91aa.jpg"), "Bob Marker Person\n");
        env.ok("init", "--encrypt");
        env.ok("point");
        env.ok("copy");
        for (String k : objects(usb)) {
            String text = Files.readString(usb.resolve(k), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(!text.contains("Bob Marker") && !text.contains("crop-of-bob"), k + " holds plaintext");
        }
        Trees.deleteRecursively(env.repo);
        env.ok("restore", "latest", "--replica", "usb", "--to", tmp.resolve("out").toString(), "--no-sync");
        Trees.assertSame(env.tree("facedata"), tmp.resolve("out/facedata"));
    }

    @Test
    void aReplicaHoldingAnotherRepositoryIsRefusedAndNothingIsTouched() throws Exception {
        Env other = new Env(tmp.resolve("other"), "t");
        other.ok("init");
        Env env = new Env(tmp.resolve("mine"), "t");
        env.writeConfig("  \"replicas\": [{\"name\": \"usb\", \"repository\": \"" + other.repo + "\"}],\n");
        env.ok("init");
        env.ok("point");
        List<String> before = objects(other.repo);
        Cli.Result r = env.cli("copy");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("holds another repository"), r.err());
        assertEquals(before, objects(other.repo));
    }
}
