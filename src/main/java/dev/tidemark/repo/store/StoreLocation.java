package dev.tidemark.repo.store;

import java.io.IOException;
import java.nio.file.Path;

/** Where the repository is, as the config names it: a local directory or an S3 bucket and prefix. */
public sealed interface StoreLocation permits StoreLocation.Local, S3Location {

    /**
     * Opens the store.
     *
     * @param spool where an object store keeps uploads until they are committed (in the state directory)
     */
    Store open(Path spool) throws IOException;

    /** A directory on this machine (a disk, a NAS share mounted here). */
    record Local(Path dir) implements StoreLocation {
        @Override
        public Store open(Path spool) {
            return new LocalDirStore(dir);
        }

        @Override
        public String toString() {
            return dir.toString();
        }
    }
}
