package dev.tidemark.point;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.repo.ContentObject;
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

    private final ContentObject object;
    private final JsonGenerator gen;
    private String lastPath;
    private long entries;

    public ManifestWriter(Store store, ContentHasher hasher, String treeName) throws IOException {
        this.object = new ContentObject(store, hasher, PREFIX);
        this.gen = ManifestCodec.JSON.createGenerator(object.stream());
        gen.writeStartObject();
        gen.writeNumberField("manifest", 1);
        gen.writeStringField("tree", treeName);
        gen.writeEndObject();
        gen.writeRaw('\n');
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

    /**
     * Adds the next entry as a line another manifest holds ({@link ManifestLines}), copied as it is; paths must come
     * in manifest order.
     */
    public void addLine(ManifestLines.Line line) throws IOException {
        if (lastPath != null && PathOrder.compare(lastPath, line.path()) >= 0) {
            throw new IllegalStateException("manifest entries out of order: " + lastPath + " then " + line.path());
        }
        lastPath = line.path();
        gen.flush(); // what the generator holds goes first
        object.stream().write(line.bytes());
        entries++;
    }

    public long entries() {
        return entries;
    }

    /** Seals the manifest and returns its object key; durable when this returns. */
    public String finish() throws IOException {
        gen.flush();
        return object.finish();
    }

    @Override
    public void close() throws IOException {
        object.close();
    }
}
