package dev.tidemark.point;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.tidemark.repo.ChunkedWriter;
import dev.tidemark.repo.Chunker;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import java.io.IOException;

/**
 * Streams a tree's manifest into the repository: one header line, then one line per entry in path order, cut into
 * chunks at line ends ({@link Chunker#MANIFEST}) that go into packs like any content. The manifest is named by its
 * content key (of its chunk list when it has more than one chunk), so an unchanged tree yields the same manifest and
 * costs nothing, and a tree with one changed file costs the chunk around its line. Memory stays bounded whatever the
 * tree's size. Durable once the pack writer is flushed.
 */
public final class ManifestWriter implements AutoCloseable {
    /** Where formats 1 and 2 kept manifests, one whole object each (read as they are, never written). */
    public static final String PREFIX = "manifests/";

    private final ChunkedWriter object;
    private final JsonGenerator gen;
    private String lastPath;
    private long entries;

    public ManifestWriter(Repository repo, PackWriter packs, String treeName) throws IOException {
        this.object = new ChunkedWriter(repo, packs, Chunker.MANIFEST, true);
        this.gen = ManifestCodec.JSON.createGenerator(object);
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
        object.write(line.bytes());
        entries++;
    }

    public long entries() {
        return entries;
    }

    /** Seals the manifest and returns its reference (a content key); durable once the pack writer is flushed. */
    public String finish() throws IOException {
        gen.flush();
        return object.finish().hex();
    }

    @Override
    public void close() throws IOException {
        object.close();
    }
}
