package dev.tidemark.repo;

import dev.tidemark.hash.ContentKey;

/**
 * Where a blob lives: in pack {@code packId}, {@code storedLength} bytes at {@code offset}, decoding to
 * {@code rawLength} bytes whose content key is {@code key}.
 */
public record BlobLocation(ContentKey key, String packId, long offset, long storedLength, long rawLength) {
    @Override
    public String toString() {
        return "blob " + key.shortHex() + " (" + rawLength + " B) in pack " + packId.substring(0, 8) + " @" + offset;
    }
}
