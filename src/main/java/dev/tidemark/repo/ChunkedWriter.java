package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes content of any size into packs, cut by the {@link Chunker}: each chunk is a blob (stored once, whoever else
 * has it), and content of more than one chunk gets a {@link ChunkList} blob naming them in order. {@link #finish}
 * returns the key to name the content by: the single chunk's own key, or the list's. Deterministic: the same bytes
 * give the same key, so unchanged content costs nothing.
 *
 * <p>Durability is the pack writer's: the blobs are durable once it is flushed. Closing without {@link #finish}
 * writes no list; chunks already added stay (content-addressed, harmless, reused or pruned later).
 */
public final class ChunkedWriter extends OutputStream {
    private final PackWriter packs;
    private final ContentHasher hasher;
    private final boolean tryCompress;
    private final Chunker chunker;
    private final ContentHasher.Stream whole;
    private final List<ChunkList.Chunk> chunks = new ArrayList<>();
    private long storedBytes;
    private long newChunks;
    private boolean finished;

    public ChunkedWriter(Repository repo, PackWriter packs, Chunker.Params params, boolean tryCompress) {
        this(packs, repo.hasher(), repo.chunkSeed(), params, tryCompress);
    }

    public ChunkedWriter(PackWriter packs, ContentHasher hasher, long chunkSeed, Chunker.Params params,
                         boolean tryCompress) {
        this.packs = packs;
        this.hasher = hasher;
        this.tryCompress = tryCompress;
        this.whole = hasher.stream();
        this.chunker = new Chunker(chunkSeed, params, this::chunk);
    }

    private void chunk(byte[] b, int off, int len) throws IOException {
        whole.update(b, off, len);
        ContentKey key = hasher.hash(b, off, len);
        chunks.add(new ChunkList.Chunk(key, len));
        storedBytes += store(key, b, off, len, false);
    }

    /** Adds one blob unless the repository has it; returns the bytes stored. */
    private long store(ContentKey key, byte[] b, int off, int len, boolean list) throws IOException {
        if (!packs.claim(key)) {
            return 0;
        }
        byte[] encoded;
        try {
            encoded = BlobCodec.encode(b, off, len, tryCompress);
        } catch (RuntimeException e) {
            packs.release(key);
            throw e;
        }
        packs.addClaimed(key, len, encoded, list);
        if (!list) {
            newChunks++;
        }
        return encoded.length;
    }

    @Override
    public void write(int b) throws IOException {
        chunker.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        chunker.write(b, off, len);
    }

    /** Bytes written so far. */
    public long length() {
        return chunker.total();
    }

    /** Seals the content: returns the key that names it (durable once the pack writer is flushed). */
    public ContentKey finish() throws IOException {
        if (finished) {
            throw new IllegalStateException("finished twice");
        }
        chunker.finish();
        finished = true;
        ContentKey all = whole.key();
        whole.close();
        if (chunks.isEmpty()) {
            storedBytes += store(all, new byte[0], 0, 0, false);
            return all;
        }
        if (chunks.size() == 1) {
            return all; // one chunk is the content itself
        }
        byte[] list = new ChunkList(all, chunker.total(), chunks).encode();
        ContentKey key = hasher.hash(list, 0, list.length);
        storedBytes += store(key, list, 0, list.length, true);
        return key;
    }

    /**
     * The key a file of content {@code data} is named by in {@code repo}, computed without storing anything: its
     * content key if it is at most one chunk long, else its chunk list's key.
     */
    public static ContentKey nameOf(Repository repo, byte[] data) throws IOException {
        ContentHasher h = repo.hasher();
        if (data.length <= Chunker.DATA.max()) {
            return h.hash(data);
        }
        List<ChunkList.Chunk> chunks = new ArrayList<>();
        try (Chunker c = new Chunker(repo.chunkSeed(), Chunker.DATA, (b, o, l) -> chunks.add(
                new ChunkList.Chunk(h.hash(b, o, l), l)))) {
            c.write(data, 0, data.length);
            c.finish();
        }
        byte[] list = new ChunkList(h.hash(data), data.length, chunks).encode();
        return h.hash(list);
    }

    /** Bytes this content added to packs (chunks the repository lacked, and the list). */
    public long storedBytes() {
        return storedBytes;
    }

    /** Chunks the repository did not have. */
    public long newChunks() {
        return newChunks;
    }

    /** How many chunks the content was cut into. */
    public int chunks() {
        return chunks.size();
    }

    @Override
    public void close() {
        if (!finished) {
            finished = true;
            whole.close();
        }
    }
}
