package dev.tidemark.point;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.SegmentedOutputStream;
import dev.tidemark.repo.store.Store;
import java.io.IOException;

/**
 * Streams a tree's manifest into the repository: one header line, then one line per entry in path order, in
 * {@link dev.tidemark.repo.BlobCodec} segments (LZ4 where it helps). The object is named by the content key of its
 * uncompressed bytes ({@code manifests/xx/<key>}), so an unchanged tree yields the same manifest and it is not
 * written twice. Memory stays bounded whatever the tree's size.
 */
public final class ManifestWriter implements AutoCloseable {
    public static final String PREFIX = "manifests/";

    private final Store store;
    private final Store.Upload upload;
    private final SegmentedOutputStream out;
    private final JsonGenerator gen;
    private String lastPath;
    private long entries;
    private boolean finished;

    public ManifestWriter(Store store, ContentHasher hasher, String treeName) throws IOException {
        this.store = store;
        this.upload = store.upload();
        this.out = new SegmentedOutputStream(upload.stream(), hasher);
        this.gen = ManifestCodec.JSON.createGenerator(out);
        gen.writeStartObject();
        gen.writeNumberField("manifest", 1);
        gen.writeStringField("tree", treeName);
        gen.writeEndObject();
        gen.writeRaw('\n');
    }

    public static String keyOf(ContentKey key) {
        String hex = key.hex();
        return PREFIX + hex.substring(0, 2) + "/" + hex;
    }

    /** Parses a manifest object key back into the content key it is named by. */
    public static ContentKey contentKeyOf(String objectKey) {
        return ContentKey.parse(objectKey.substring(objectKey.lastIndexOf('/') + 1));
    }

    /** Adds the next entry; paths must come in manifest order (see {@link PathOrder}). */
    public void add(FileEntry e) throws IOException {
        if (lastPath != null && PathOrder.compare(lastPath, e.path()) >= 0) {
            throw new IllegalStateException("manifest entries out of order: " + lastPath + " then " + e.path());
        }
        lastPath = e.path();
        ManifestCodec.write(gen, e);
        entries++;
    }

    public long entries() {
        return entries;
    }

    /** Seals the manifest and returns its object key; durable when this returns. */
    public String finish() throws IOException {
        gen.flush();
        String key = keyOf(out.finish());
        if (store.size(key).isPresent()) {
            upload.close(); // identical manifest already stored
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
