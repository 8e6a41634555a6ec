package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes content of any size into packs, cut by the {@link Chunker}: each chunk is a blob (stored once, whoever else
 * has it), and content of more than one chunk gets {@link ChunkList} blobs naming them in order. {@link #finish}
 * returns the key to name the content by: the single chunk's own key, or the top list's. Deterministic: the same
 * bytes give the same key, so unchanged content costs nothing.
 *
 * <p>Two levels: the chunks are gathered into groups whose ends are chosen by the chunks' keys (a group ends after a
 * chunk whose key's low bits are zero: {@link #GROUP_AVG} chunks on average, {@link #GROUP_MIN} to
 * {@link #GROUP_MAX}), each group named by a list of its own, and the top list names the groups. A change then
 * rewrites its chunk, its group's list and the top list, not a list of every chunk: what keeps a 100 MiB dump in
 * 4 KiB chunks cheap to change. Content of one group has just one list.
 *
 * <p>Durability is the pack writer's: the blobs are durable once it is flushed. Closing without {@link #finish}
 * writes no list; chunks already added stay (content-addressed, harmless, reused or pruned later).
 */
public final class ChunkedWriter extends OutputStream {
    static final int GROUP_MIN = 16;
    static final int GROUP_AVG = 64;
    static final int GROUP_MAX = 256;

    private final PackWriter packs; // null: name the content without storing it
    private final ContentHasher hasher;
    private final boolean tryCompress;
    private final Chunker chunker;
    private final ContentHasher.Stream whole;
    private final List<ChunkList.Chunk> groups = new ArrayList<>();
    private List<ChunkList.Chunk> group = new ArrayList<>();
    private ContentHasher.Stream groupHash;
    private long groupLength;
    private int chunkCount;
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
        this.groupHash = hasher.stream();
        this.chunker = new Chunker(chunkSeed, params, this::chunk);
    }

    private void chunk(byte[] b, int off, int len) throws IOException {
        whole.update(b, off, len);
        groupHash.update(b, off, len);
        ContentKey key = hasher.hash(b, off, len);
        group.add(new ChunkList.Chunk(key, len));
        groupLength += len;
        chunkCount++;
        storedBytes += store(key, b, off, len, false);
        if (group.size() >= GROUP_MAX
                || group.size() >= GROUP_MIN && (key.lo() & (GROUP_AVG - 1)) == 0) {
            closeGroup();
        }
    }

    /** Names the group gathered so far by a list of its own and starts the next. */
    private void closeGroup() throws IOException {
        if (group.isEmpty()) {
            return;
        }
        ContentKey groupWhole = groupHash.key();
        groupHash.close();
        groupHash = hasher.stream();
        ContentKey key = group.size() == 1 ? group.get(0).key() : storeList(groupWhole, groupLength, group);
        groups.add(new ChunkList.Chunk(key, (int) Math.min(groupLength, Integer.MAX_VALUE)));
        group = new ArrayList<>();
        groupLength = 0;
    }

    private ContentKey storeList(ContentKey wholeKey, long length, List<ChunkList.Chunk> entries) throws IOException {
        byte[] list = new ChunkList(wholeKey, length, entries).encode();
        ContentKey key = hasher.hash(list, 0, list.length);
        storedBytes += store(key, list, 0, list.length, true);
        return key;
    }

    /** Adds one blob unless the repository has it; returns the bytes stored. */
    private long store(ContentKey key, byte[] b, int off, int len, boolean list) throws IOException {
        if (packs == null || !packs.claim(key)) {
            return 0;
        }
        byte[] encoded;
        int stored;
        try {
            if (len > 0 && len <= BlobCodec.SEGMENT) { // a chunk, or a list of a few hundred chunks
                encoded = BlobCodec.encodeBuffer();
                stored = BlobCodec.encodeInto(b, off, len, tryCompress, encoded);
            } else {
                encoded = BlobCodec.encode(b, off, len, tryCompress);
                stored = encoded.length;
            }
        } catch (RuntimeException e) {
            packs.release(key);
            throw e;
        }
        packs.addClaimed(key, len, encoded, stored, list);
        if (!list) {
            newChunks++;
        }
        return stored;
    }

    @Override
    public void write(int b) throws IOException {
        chunker.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        chunker.write(b, off, len);
    }

    /**
     * Ends the current chunk here, whatever its size: for a writer that knows where its content's own units begin
     * (a dump's statement header, which changes with its statement's length, goes in a chunk of its own).
     */
    public void boundary() throws IOException {
        chunker.cutHere();
    }

    /** Bytes written so far. */
    public long length() {
        return chunker.total();
    }

    /**
     * The key a file of content {@code data} is named by in {@code repo}, computed without storing anything: its
     * content key if it is at most one chunk long, else its chunk list's key.
     */
    public static ContentKey nameOf(Repository repo, byte[] data) throws IOException {
        if (data.length <= Chunker.DATA.max()) {
            return repo.hasher().hash(data);
        }
        try (ChunkedWriter w = new ChunkedWriter(null, repo.hasher(), repo.chunkSeed(), Chunker.DATA, false)) {
            w.write(data, 0, data.length);
            return w.finish();
        }
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
        if (chunkCount == 0) {
            groupHash.close();
            storedBytes += store(all, new byte[0], 0, 0, false);
            return all;
        }
        if (chunkCount == 1) {
            groupHash.close();
            return all; // one chunk is the content itself
        }
        if (groups.isEmpty()) {
            groupHash.close();
            return storeList(all, chunker.total(), group); // one group: its list is the top list
        }
        closeGroup();
        groupHash.close();
        return groups.size() == 1 ? groups.get(0).key() : storeList(all, chunker.total(), groups);
    }

    /** Bytes this content added to packs (chunks the repository lacked, and the lists). */
    public long storedBytes() {
        return storedBytes;
    }

    /** Chunks the repository did not have. */
    public long newChunks() {
        return newChunks;
    }

    /** How many chunks the content was cut into. */
    public int chunks() {
        return chunkCount;
    }

    @Override
    public void close() {
        if (!finished) {
            finished = true;
            whole.close();
            groupHash.close();
        }
    }
}
