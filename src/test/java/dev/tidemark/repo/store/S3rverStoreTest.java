package dev.tidemark.repo.store;

import dev.tidemark.testing.S3Server;
import dev.tidemark.testing.S3rverServer;
import dev.tidemark.testing.TestS3;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The store contract against s3rver, the npm registry's S3 server: a server nobody here wrote, which stores an
 * aws-chunked upload's framing as the object's bytes (so {@code putThenGet} fails on a client that sends them) and
 * does not keep {@code If-None-Match: *} (so the store runs with {@code conditionalWrites: false}).
 */
class S3rverStoreTest extends StoreContractTest {
    private String bucket;

    @Override
    Store newStore(Path dir) throws IOException {
        S3rverServer server = S3rverServer.shared();
        bucket = server.newBucket();
        return new S3Store(server.location(bucket, "backups/nas"), S3Server.credentials(), dir.resolve("spool"));
    }

    /** What an older tidemark left on s3rver (an aws-chunked upload stored undecoded) is a compatibility error. */
    @org.junit.jupiter.api.Test
    void anObjectStoredInItsUploadFramingIsACompatibilityErrorNotDamage() throws Exception {
        try (software.amazon.awssdk.services.s3.S3Client chunked = TestS3.client(S3rverServer.shared().endpoint(),
                true)) {
            chunked.putObject(r -> r.bucket(bucket).key("backups/nas/version"),
                    software.amazon.awssdk.core.sync.RequestBody.fromString("tidemark repository format 5\n"));
        }
        S3CompatibilityException e = org.junit.jupiter.api.Assertions.assertThrows(S3CompatibilityException.class,
                () -> store.get("version"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("framed as an aws-chunked upload")
                && e.getMessage().contains("not damage"), e.getMessage());
    }
}
