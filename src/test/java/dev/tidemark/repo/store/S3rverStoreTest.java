package dev.tidemark.repo.store;

import dev.tidemark.testing.S3Server;
import dev.tidemark.testing.S3rverServer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The store contract against s3rver, the npm registry's S3 server: a server nobody here wrote, which stores an
 * aws-chunked upload's framing as the object's bytes (so {@code putThenGet} fails on a client that sends them) and
 * does not keep {@code If-None-Match: *} (so the store runs with {@code conditionalWrites: false}).
 */
class S3rverStoreTest extends StoreContractTest {
    @Override
    Store newStore(Path dir) throws IOException {
        S3rverServer server = S3rverServer.shared();
        return new S3Store(server.location(server.newBucket(), "backups/nas"), S3Server.credentials(),
                dir.resolve("spool"));
    }
}
