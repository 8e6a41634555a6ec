package dev.tidemark.repo.store;

import dev.tidemark.testing.RadosGw;
import dev.tidemark.testing.S3Server;
import java.io.IOException;
import java.nio.file.Path;

/** The store contract against Ceph's radosgw on a single-node cluster the test starts (a production S3 server). */
class RadosGwStoreTest extends StoreContractTest {
    @Override
    Store newStore(Path dir) throws IOException {
        RadosGw server = RadosGw.shared();
        return new S3Store(server.location(server.newBucket(), "backups/nas"), S3Server.credentials(),
                dir.resolve("spool"));
    }
}
