package dev.tidemark.repo.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The store contract against a real S3 server in this JVM, and what only an object store has to get right. */
class S3StoreTest extends StoreContractTest {
    private S3Server server;
    private String bucket;

    @Override
    Store newStore(Path dir) throws IOException {
        try {
            server = S3Server.shared();
        } catch (Exception e) {
            throw new IOException(e);
        }
        bucket = server.newBucket();
        return new S3Store(server.location(bucket, "backups/nas"), S3Server.credentials(), dir.resolve("spool"));
    }

    @Test
    void aLargeObjectGoesUpInPartsAndReadsBackWholeAndByRange() throws IOException {
        byte[] data = new byte[(S3Store.SINGLE_PUT_MIB + 5) << 20];
        new Random(7).nextBytes(data);
        try (Store.Upload u = store.upload()) {
            for (int off = 0; off < data.length; off += 1 << 20) {
                u.stream().write(data, off, Math.min(1 << 20, data.length - off));
            }
            assertTrue(u.commitIfAbsent("dumps/big"));
        }
        assertEquals(data.length, store.size("dumps/big").orElseThrow());
        try (InputStream in = store.open("dumps/big")) {
            assertArrayEquals(data, in.readAllBytes());
        }
        try (Store.ReadHandle h = store.openForRead("dumps/big")) {
            // forward reads, as a restore makes them: served from the read-ahead windows, exact bytes
            byte[] got = new byte[1000];
            for (long off = 5; off < 3 << 20; off += 7919) {
                h.readFully(off, got, 0, got.length);
                assertArrayEquals(java.util.Arrays.copyOfRange(data, (int) off, (int) off + 1000), got, "at " + off);
            }
            h.readFully(data.length - 10, got, 0, 10);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, data.length - 10, data.length),
                    java.util.Arrays.copyOf(got, 10));
        }
        // a second conditional multipart commit of the same key with other bytes loses; with the same bytes it is
        // taken for the retry of one's own commit whose answer was lost
        data[12345] ^= 1;
        try (Store.Upload u = store.upload()) {
            u.stream().write(data);
            assertEquals(false, u.commitIfAbsent("dumps/big"));
        }
        data[12345] ^= 1;
        try (Store.Upload u = store.upload()) {
            u.stream().write(data);
            assertEquals(true, u.commitIfAbsent("dumps/big"));
        }
        assertEquals(1, store.list("dumps/").size());
        assertEquals(0, Files.list(tmp.resolve("store").resolve("spool")).count(), "spool files removed");
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aClientMadeWhileTheWarmUpRunsWaitsForItAndWorks() throws IOException {
        // The CLI warms the S3 client's classes up on a thread of its own (a request to a closed loopback port);
        // a store opened meanwhile waits for it, then talks to the server as ever.
        S3Clients.warmUp();
        try (S3Store s = new S3Store(server.location(bucket, "warm"), S3Server.credentials(), tmp.resolve("spool4"))) {
            s.put("points/p1", new byte[] {4, 2});
            assertArrayEquals(new byte[] {4, 2}, s.get("points/p1"));
        }
        S3Clients.warmUp();
        S3Clients.warmUp(); // twice in a row: one warm-up at a time, and the next store waits for it
        try (S3Store s = new S3Store(server.location(bucket, "warm"), S3Server.credentials(), tmp.resolve("spool5"))) {
            assertArrayEquals(new byte[] {4, 2}, s.get("points/p1"));
        }
    }

    @Test
    void theRepositoryLivesUnderItsPrefixOnly() throws IOException {
        store.put("points/p1", new byte[] {1});
        assertTrue(Files.exists(server.bucketDir(bucket).resolve("backups/nas/points/p1")),
                "objects are named prefix/key");
        try (S3Store other = new S3Store(server.location(bucket, "backups/other"), S3Server.credentials(),
                tmp.resolve("spool2"))) {
            assertTrue(other.list("").isEmpty(), "a sibling prefix sees nothing of it");
        }
    }

    @Test
    void aMissingBucketAndRefusedCredentialsAreOneLineErrorsThatSayWhatToDo() throws IOException {
        try (S3Store none = new S3Store(server.location("no-such-bucket-here", ""), S3Server.credentials(),
                tmp.resolve("spool3"))) {
            IOException e = assertThrows(IOException.class, none::check);
            assertEquals("bucket 'no-such-bucket-here' does not exist on " + server.endpoint
                    + ": create it, or correct 'repository' in the config", e.getMessage());
            IOException get = assertThrows(IOException.class, () -> none.get("config"));
            assertTrue(get.getMessage().startsWith("bucket 'no-such-bucket-here' does not exist"), get.getMessage());
        }
        try (S3Store wrong = new S3Store(server.location(bucket, ""), StaticCredentialsProvider.create(
                AwsBasicCredentials.create(S3Server.ACCESS_KEY, "not-the-secret")), tmp.resolve("spool4"))) {
            IOException e = assertThrows(IOException.class, wrong::check);
            assertTrue(e.getMessage().contains("refused the credentials"), e.getMessage());
            assertTrue(!e.getMessage().contains("not-the-secret"), "the secret is never in a message");
        }
    }

    @Test
    void spoolFilesACrashedProcessLeftAreRemovedAtStartUpAndALiveOnesAreNot() throws IOException {
        Path spool = tmp.resolve("store").resolve("spool");
        Files.createDirectories(spool);
        Path dead = Files.writeString(spool.resolve("upload-999999999-123.tmp"), "half a pack");
        try (Store.Upload live = store.upload()) {
            live.stream().write(new byte[3 << 20]); // spooled to a file of this process
            assertEquals(1, Files.list(spool).filter(p -> !p.equals(dead)).count());
            assertEquals(1, store.removeStrayTemporaries(), "the dead process's file only");
            assertTrue(!Files.exists(dead));
            live.commit("data/live");
        }
        assertEquals(3 << 20, store.size("data/live").orElseThrow());
    }
}
