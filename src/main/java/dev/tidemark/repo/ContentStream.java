package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * A manifest's or a dump's bytes as a stream: a chunk at a time (at most a segment in memory), each chunk checked
 * against its key as it is read and the whole against the list's key of it at the end.
 */
final class ContentStream extends dev.tidemark.util.BlockInputStream {
    private final Contents contents;
    private final ChunkList list;
    private final String what;
    private final ContentHasher.Stream whole;
    /** The chunks still to read, leaves and groups: a group's list is read when its turn comes. */
    private final java.util.ArrayDeque<ChunkList.Chunk> todo;
    private int next;
    private long total;
    private boolean checked;

    private ContentStream(Contents contents, ChunkList list, String what) {
        this.contents = contents;
        this.list = list;
        this.what = what;
        this.whole = contents.repository().hasher().stream();
        this.todo = new java.util.ArrayDeque<>(list.chunks());
    }

    /** A reference's content: a legacy object key (contains '/') or a content key. */
    static InputStream open(Contents contents, String ref, String what) throws IOException {
        Repository repo = contents.repository();
        if (ref.indexOf('/') >= 0) { // an object of formats 1 and 2 (see ContentObject.contentRef)
            ContentKey expected;
            try {
                expected = ContentObject.contentKeyOf(ref);
            } catch (IllegalArgumentException e) {
                throw new DamageException(what + ": not a content reference");
            }
            return new SegmentedInputStream(repo.store().open(ref), repo.hasher(), expected, what);
        }
        ContentKey key;
        try {
            key = ContentKey.parse(ref);
        } catch (IllegalArgumentException e) {
            throw new DamageException(what + ": not a content reference");
        }
        ChunkList list = contents.listOf(key);
        if (list == null) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            contents.read(key, b::write);
            return new ByteArrayInputStream(b.toByteArray());
        }
        return new ContentStream(contents, list, what);
    }

    @Override
    protected byte[] nextBlock() throws IOException {
        if (todo.isEmpty()) {
            if (!checked) {
                checked = true;
                if (total != list.length() || !whole.key().equals(list.whole())) {
                    throw new DamageException(what + ": its chunks do not add up to what its chunk list says");
                }
            }
            return null;
        }
        // A batch of leaf chunks (a group's list read when its turn comes), read in runs along their packs.
        List<BlobLocation> batch = new java.util.ArrayList<>();
        long raw = 0;
        try {
            while (!todo.isEmpty() && batch.size() < 256 && raw < (1 << 20)) {
                ChunkList.Chunk c = todo.poll();
                next++;
                BlobLocation loc = contents.locate(c.key());
                if (loc.list()) {
                    List<ChunkList.Chunk> sub = contents.listAt(loc).chunks();
                    for (int i = sub.size() - 1; i >= 0; i--) {
                        todo.addFirst(sub.get(i));
                    }
                    continue;
                }
                batch.add(loc);
                raw += loc.rawLength();
            }
        } catch (DamageException e) {
            throw new DamageException(what + ": chunk " + (next - 1) + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream((int) raw);
        try {
            contents.readAll(batch, b::write);
        } catch (DamageException e) {
            throw new DamageException(what + ": " + e.getMessage(), e);
        }
        byte[] block = b.toByteArray();
        whole.update(block, 0, block.length);
        total += block.length;
        return block;
    }

    @Override
    public void close() {
        whole.close();
    }
}
