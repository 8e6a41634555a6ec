package dev.tidemark.repo;

import dev.tidemark.hash.ContentKey;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bytes of a chunk list blob ({@link BlobLocation#list}): content cut by the {@link Chunker}, as the ordered keys of
 * its chunks. The list is itself a blob named by the content key of these bytes, so it is checked like any other;
 * {@code whole} is the content key of the concatenated chunks, checked when they are read back. A chunk may itself
 * be a list (one level: {@link ChunkedWriter} groups long lists), its length then the length of what it names.
 *
 * <pre>
 * list := "TMCL" | u8 version (1) | whole[16] | u64 length | u32 count | count * (key[16] | u32 length)
 * </pre>
 */
public record ChunkList(ContentKey whole, long length, List<Chunk> chunks) {
    private static final byte[] MAGIC = "TMCL".getBytes(StandardCharsets.US_ASCII);
    private static final int HEAD = MAGIC.length + 1 + ContentKey.BYTES + 8 + 4;
    private static final int ENTRY = ContentKey.BYTES + 4;

    /** One chunk: its key and length. */
    public record Chunk(ContentKey key, int length) {
    }

    public byte[] encode() {
        ByteBuffer bb = ByteBuffer.allocate(HEAD + chunks.size() * ENTRY);
        bb.put(MAGIC).put((byte) 1);
        whole.writeTo(bb);
        bb.putLong(length).putInt(chunks.size());
        for (Chunk c : chunks) {
            c.key().writeTo(bb);
            bb.putInt(c.length());
        }
        return bb.array();
    }

    /** Parses a list's bytes (already checked against the list's key); {@code what} names it in errors. */
    public static ChunkList decode(byte[] b, int len, String what) throws DamageException {
        try {
            ByteBuffer bb = ByteBuffer.wrap(b, 0, len);
            byte[] magic = new byte[MAGIC.length];
            bb.get(magic);
            byte version = bb.get();
            if (!Arrays.equals(magic, MAGIC) || version != 1) {
                throw new DamageException(what + ": not a chunk list (version " + version + ")");
            }
            ContentKey whole = ContentKey.fromBytes(read(bb, ContentKey.BYTES));
            long length = bb.getLong();
            int count = bb.getInt();
            if (count < 0 || len != HEAD + (long) count * ENTRY) {
                throw new DamageException(what + ": chunk list of " + count + " chunks in " + len + " bytes");
            }
            List<Chunk> chunks = new ArrayList<>(count);
            long sum = 0;
            for (int i = 0; i < count; i++) {
                ContentKey k = ContentKey.fromBytes(read(bb, ContentKey.BYTES));
                int l = bb.getInt();
                if (l <= 0) {
                    throw new DamageException(what + ": chunk " + i + " has length " + l);
                }
                sum += l;
                chunks.add(new Chunk(k, l));
            }
            if (sum != length) {
                throw new DamageException(what + ": chunks add up to " + sum + " bytes, the list says " + length);
            }
            return new ChunkList(whole, length, chunks);
        } catch (BufferUnderflowException e) {
            throw new DamageException(what + ": chunk list cut short");
        }
    }

    private static byte[] read(ByteBuffer bb, int n) {
        byte[] k = new byte[n];
        bb.get(k);
        return k;
    }
}
