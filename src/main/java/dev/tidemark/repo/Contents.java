package dev.tidemark.repo;

import dev.tidemark.hash.ContentKey;
import java.io.IOException;
import java.io.InputStream;

/**
 * Content by key, whichever way it is stored: one blob, or a {@link ChunkList} of chunks. Also opens what restore
 * points name (manifests, dumps) by their reference: a content key (format 3), or the key of a whole object under
 * {@code manifests/} or {@code dumps/} (formats 1 and 2, read as they are).
 */
public interface Contents extends AutoCloseable {
    Repository repository();

    /** Streams the content of {@code key} into {@code sink}, checked. */
    void read(ContentKey key, BlobCodec.Sink sink) throws IOException;

    /** Where {@code key} is (a copy of it); a {@link DamageException} if the repository does not hold it. */
    BlobLocation locate(ContentKey key) throws IOException;

    /** Streams the content of {@code key}, starting with the copy at {@code first}. */
    void read(ContentKey key, BlobLocation first, BlobCodec.Sink sink) throws IOException;

    /** Reads each blob at {@code locs} in turn (data blobs, not lists), as {@link #read} would. */
    default void readAll(java.util.List<BlobLocation> locs, BlobCodec.Sink sink) throws IOException {
        for (BlobLocation b : locs) {
            read(b.key(), b, sink);
        }
    }

    /** The chunk list {@code key} names, or null if {@code key} is a single blob. */
    ChunkList listOf(ContentKey key) throws IOException;

    /** The chunk list stored at {@code loc} (a list blob). */
    ChunkList listAt(BlobLocation loc) throws IOException;

    /** Opens what {@code ref} names as a stream, checked as it is read (a mismatch is a {@link DamageException}). */
    default InputStream open(String ref, String what) throws IOException {
        return ContentStream.open(this, ref, what);
    }

    @Override
    void close() throws IOException;
}
