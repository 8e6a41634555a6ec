package dev.tidemark.repo;

import dev.tidemark.hash.ContentKey;

/**
 * Where a blob lives: in pack {@code packId}, {@code storedLength} bytes at {@code offset}, decoding to
 * {@code rawLength} bytes whose content key is {@code key}. A {@code list} blob's bytes are a {@link ChunkList}:
 * the content it stands for is the concatenation of the chunks it names.
 */
public record BlobLocation(ContentKey key, String packId, long offset, long storedLength, long rawLength,
                           boolean list) {
    /** The top bit of a length field in a pack trailer and in the index marks a list blob. */
    public static final long LIST_BIT = 1L << 63;

    public BlobLocation(ContentKey key, String packId, long offset, long storedLength, long rawLength) {
        this(key, packId, offset, storedLength, rawLength, false);
    }

    /** The same blob in another place. */
    public BlobLocation at(String otherPack, long otherOffset) {
        return new BlobLocation(key, otherPack, otherOffset, storedLength, rawLength, list);
    }

    @Override
    public String toString() {
        return (list ? "chunk list " : "blob ") + key.shortHex() + " (" + rawLength + " B) in pack " + packId.substring(0, 8) + " @" + offset;
    }
}
