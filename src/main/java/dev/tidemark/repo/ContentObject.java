package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.OutputStream;

/**
 * An object written in {@link BlobCodec} segments and named by the content key of its uncompressed bytes,
 * {@code <prefix><2 hex>/<32 hex>} (manifests, database dumps): identical content is stored once, and a reader can
 * check every byte against the name. Closing an unfinished one discards it.
 */
public final class ContentObject implements AutoCloseable {
    private final Store store;
    private final String prefix;
    private final Store.Upload upload;
    private final SegmentedOutputStream out;
    private boolean finished;

    public ContentObject(Store store, ContentHasher hasher, String prefix) throws IOException {
        this.store = store;
        this.prefix = prefix;
        this.upload = store.upload();
        this.out = new SegmentedOutputStream(upload.stream(), hasher);
    }

    /** Where the raw bytes go. */
    public OutputStream stream() {
        return out;
    }

    /** The object key for content {@code key} under {@code prefix}. */
    public static String keyOf(String prefix, ContentKey key) {
        String hex = key.hex();
        return prefix + hex.substring(0, 2) + "/" + hex;
    }

    /** Parses an object key back into the content key it is named by. */
    public static ContentKey contentKeyOf(String objectKey) {
        return ContentKey.parse(objectKey.substring(objectKey.lastIndexOf('/') + 1));
    }

    /** Seals the object and returns its key; durable when this returns (an identical object is not written again). */
    public String finish() throws IOException {
        String key = keyOf(prefix, out.finish());
        if (store.size(key).isPresent()) {
            upload.close();
        } else {
            upload.commit(key); // if this throws, close() discards the upload
        }
        finished = true;
        return key;
    }

    @Override
    public void close() throws IOException {
        out.close();
        if (!finished) {
            upload.close();
        }
    }
}
