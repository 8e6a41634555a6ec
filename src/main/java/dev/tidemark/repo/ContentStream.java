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
final class ContentStream extends InputStream {
    private final Contents contents;
    private final ChunkList list;
    private final String what;
    private final ContentHasher.Stream whole;
    /** The chunks still to read, leaves and groups: a group's list is read when its turn comes. */
    private final java.util.ArrayDeque<ChunkList.Chunk> todo;
    private int next;
    private byte[] buf = new byte[0];
    private int pos;
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
        if (ref.indexOf('/') >= 0) {
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

    private boolean fill() throws IOException {
        while (pos == buf.length) {
            if (todo.isEmpty()) {
                if (!checked) {
                    checked = true;
                    if (total != list.length() || !whole.key().equals(list.whole())) {
                        throw new DamageException(what + ": its chunks do not add up to what its chunk list says");
                    }
                }
                return false;
            }
            ChunkList.Chunk c = todo.poll();
            next++;
            ByteArrayOutputStream b = new ByteArrayOutputStream(Math.min(c.length(), 1 << 20));
            try {
                BlobLocation loc = contents.locate(c.key());
                if (loc.list()) {
                    List<ChunkList.Chunk> sub = contents.listAt(loc).chunks();
                    for (int i = sub.size() - 1; i >= 0; i--) {
                        todo.addFirst(sub.get(i));
                    }
                    continue;
                }
                contents.read(c.key(), loc, b::write);
            } catch (DamageException e) {
                throw new DamageException(what + ": chunk " + (next - 1) + ": " + e.getMessage(), e);
            }
            buf = b.toByteArray();
            pos = 0;
            whole.update(buf, 0, buf.length);
            total += buf.length;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? buf[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, buf.length - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() {
        whole.close();
    }
}
