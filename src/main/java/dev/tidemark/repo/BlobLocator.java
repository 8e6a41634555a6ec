package dev.tidemark.repo;

import dev.tidemark.hash.ContentKey;
import java.io.IOException;
import java.util.List;

/** Where blobs are: the index, or the packs' trailers read into memory ({@link PackDirectory}). */
public interface BlobLocator {
    /** Every known copy of {@code key}, the preferred one first; empty if none is known. */
    List<BlobLocation> copies(ContentKey key) throws IOException;

    /** Reads the repository's pack list again; true if a pack was learned or forgotten. */
    boolean refresh() throws IOException;
}
