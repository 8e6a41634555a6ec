package dev.tidemark.point;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.store.Store;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;

/**
 * Streams a tree's manifest into the repository: one header line, then one line per entry in path order, LZ4-framed.
 * The object is named by the content key of its uncompressed bytes ({@code manifests/xx/<key>}), so an unchanged
 * tree yields the same manifest and it is not written twice. Memory stays bounded whatever the tree's size.
 */
public final class ManifestWriter implements AutoCloseable {
    public static final String PREFIX = "manifests/";

    private final Store store;
    private final Store.Upload upload;
    private final ContentHasher.Stream hash;
    private final JsonGenerator gen;
    private final OutputStream lz4;
    private String lastPath;
    private long entries;
    private boolean finished;

    public ManifestWriter(Store store, ContentHasher hasher, String treeName) throws IOException {
        this.store = store;
        this.upload = store.upload();
        this.hash = hasher.stream();
        OutputStream shield = new FilterOutputStream(upload.stream()) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush(); // the upload, not the stream, decides when the object ends
            }
        };
        this.lz4 = new LZ4FrameOutputStream(shield, LZ4FrameOutputStream.BLOCKSIZE.SIZE_256KB);
        OutputStream hashing = new FilterOutputStream(lz4) {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                hash.update(b, off, len);
                out.write(b, off, len);
            }
        };
        this.gen = ManifestCodec.JSON.createGenerator(hashing);
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
        gen.close();
        lz4.close();
        String key = keyOf(hash.key());
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
        hash.close();
        if (!finished) {
            upload.close();
        }
    }
}
