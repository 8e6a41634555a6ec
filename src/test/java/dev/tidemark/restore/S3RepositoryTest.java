package dev.tidemark.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.S3Server;
import dev.tidemark.testing.Trees;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole CLI against a repository in a real S3 server: points, restores, verify, forget and prune. */
class S3RepositoryTest {
    @TempDir
    Path tmp;

    private S3Server server;
    private String bucket;

    @BeforeEach
    void server() throws Exception {
        server = S3Server.shared();
        bucket = server.newBucket();
    }

    private Env env(String... trees) throws Exception {
        Env env = new Env(tmp, trees);
        env.repository = "s3://" + bucket + "/nas1";
        env.writeConfig("  \"s3\": {\"endpoint\": \"" + server.endpoint + "\"},\n");
        return env;
    }

    private static void copy(Path from, Path to) throws Exception {
        Process p = new ProcessBuilder("cp", "-a", from.toString(), to.toString()).inheritIO().start();
        assertEquals(0, p.waitFor());
    }

    @Test
    void pointsRestoreVerifyAndPruneThroughS3() throws Exception {
        Env env = env("faces", "qr");
        Trees.random(env.tree("faces"), 11, 300);
        Trees.random(env.tree("qr"), 12, 60);
        Trees.big(env.tree("qr").resolve("big.bin"), 13, 40L << 20); // more than one single PUT: a multipart pack

        Cli.Result init = env.ok("init");
        assertTrue(init.out().contains("created repository s3://" + bucket + "/nas1 at " + server.endpoint),
                init.out());
        Cli.Result status = env.cli("status");
        assertTrue(status.out().contains("S3 server of the repository (s3://" + bucket + "/nas1 at "
                + server.endpoint + "): all 8 capabilities probed are there"), status.out());
        assertTrue(env.cli("status", "--json").out().contains("\"missing\":[]"), "what init's probe found");
        env.ok("point", "--tag", "first");
        Path first = tmp.resolve("first");
        Files.createDirectories(first);
        copy(env.tree("faces"), first.resolve("faces"));
        copy(env.tree("qr"), first.resolve("qr"));

        // change things: new, changed and deleted files
        List<Path> faces = Trees.files(env.tree("faces"));
        Files.delete(faces.get(0));
        Files.writeString(faces.get(1), "changed crop");
        Files.writeString(env.tree("faces").resolve("new-crop.jpg"), "a new face");
        env.ok("point", "--tag", "second");

        env.ok("restore", "latest", "--to", tmp.resolve("out2").toString());
        Trees.assertSame(env.tree("faces"), tmp.resolve("out2/faces"));
        Trees.assertSame(env.tree("qr"), tmp.resolve("out2/qr"));
        env.ok("restore", "first", "--to", tmp.resolve("out1").toString());
        Trees.assertSame(first.resolve("faces"), tmp.resolve("out1/faces"));
        Trees.assertSame(first.resolve("qr"), tmp.resolve("out1/qr"));

        assertTrue(env.ok("verify", "--read-data").out().contains("no damage"));
        assertFalse(Files.exists(env.repo), "nothing of the repository is on this machine");
        assertTrue(Files.isDirectory(server.bucketDir(bucket).resolve("nas1/data")), "the packs are in the bucket");

        env.ok("forget", "--keep-last", "1", "--prune");
        assertEquals(1, env.ok("points", "--json").out().split("\"id\"").length - 1, "one point kept");
        assertTrue(env.ok("verify", "--read-data").out().contains("no damage"));
        env.ok("restore", "latest", "--to", tmp.resolve("out3").toString());
        Trees.assertSame(env.tree("faces"), tmp.resolve("out3/faces"));
        try (Stream<Path> left = Files.walk(env.state)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("upload-")),
                    "no upload is left spooled in the state directory");
        }
    }

    @Test
    void aFlippedByteInAPackInTheBucketIsDamageNamedByVerify() throws Exception {
        Env env = env("facedata");
        Trees.random(env.tree("facedata"), 21, 50);
        env.ok("init");
        env.ok("point");
        Path pack;
        try (Stream<Path> s = Files.walk(server.bucketDir(bucket).resolve("nas1/data"))) {
            pack = s.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
            f.seek(2000);
            int b = f.read();
            f.seek(2000);
            f.write(b ^ 0x10);
        }
        Cli.Result r = env.cli("verify", "--read-data");
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.out().contains("pack data/" + pack.getParent().getFileName() + "/" + pack.getFileName()),
                r.out());
    }

    @Test
    void aWrongS3SettingIsOneLineAndExitTwoAndAMissingBucketSaysSo() throws Exception {
        Env env = new Env(tmp, "facedata");
        env.writeConfig("  \"s3\": {\"endpoint\": \"" + server.endpoint + "\"},\n");
        Cli.Result notS3 = env.cli("points");
        assertEquals(2, notS3.code(), notS3.toString());
        assertTrue(notS3.err().contains("'s3' is given but 'repository' is not an s3:// location"), notS3.err());

        env.repository = "s3://" + bucket + "/nas1";
        env.writeConfig("  \"s3\": {\"endpoint\": \"ftp://user:secret@127.0.0.1\"},\n");
        Cli.Result ftp = env.cli("points");
        assertEquals(2, ftp.code(), ftp.toString());
        assertTrue(ftp.err().contains("'s3.endpoint' is 'ftp://user:secret@127.0.0.1': give the server as"),
                ftp.err());

        env.repository = "s3://Bad_Bucket/nas1";
        env.writeConfig("  \"s3\": {\"endpoint\": \"" + server.endpoint + "\"},\n");
        Cli.Result badName = env.cli("init");
        assertEquals(2, badName.code(), badName.toString());
        assertTrue(badName.err().contains("'repository' names the bucket 'Bad_Bucket', which S3 does not allow"), badName.err());

        env.repository = "s3://not-made-yet/nas1";
        env.writeConfig("  \"s3\": {\"endpoint\": \"" + server.endpoint + "\"},\n");
        Cli.Result missing = env.cli("init");
        assertEquals(1, missing.code(), missing.toString());
        assertEquals("tidemark: bucket 'not-made-yet' does not exist on " + server.endpoint
                + ": create it, or correct 'repository' in the config", missing.err().strip());
        Cli.Result none = env.cli("points");
        assertTrue(none.err().contains("bucket 'not-made-yet' does not exist"), none.err());
    }
}
