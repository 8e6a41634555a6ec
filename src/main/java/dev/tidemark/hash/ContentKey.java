package dev.tidemark.hash;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * The 128-bit identity of a piece of content: two independently seeded XXH64 lanes over the same bytes.
 *
 * <p>Why 128 bits: the repository deduplicates by this key, so a collision would silently restore the wrong bytes.
 * With 128 bits the chance of an accidental collision among a billion blobs is about 1e-21. The seeds are random per
 * repository (see {@link ContentHasher}), so colliding content cannot be prepared in advance against a known seed.
 *
 * <p>The first lane, {@link #hi()}, is also the file's 64-bit change hash.
 */
public record ContentKey(long hi, long lo) implements Comparable<ContentKey> {
    public static final int BYTES = 16;
    private static final HexFormat HEX = HexFormat.of();

    public static ContentKey fromBytes(byte[] b, int off) {
        ByteBuffer bb = ByteBuffer.wrap(b, off, BYTES);
        return new ContentKey(bb.getLong(), bb.getLong());
    }

    public static ContentKey fromBytes(byte[] b) {
        if (b.length != BYTES) {
            throw new IllegalArgumentException("a content key is 16 bytes, got " + b.length);
        }
        return fromBytes(b, 0);
    }

    /** Parses the 32-character lower-case hex form; throws {@link IllegalArgumentException} on anything else. */
    public static ContentKey parse(String hex) {
        if (hex == null || hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("a content key is 32 hex characters: " + hex);
        }
        return fromBytes(HEX.parseHex(hex));
    }

    public byte[] toBytes() {
        return ByteBuffer.allocate(BYTES).putLong(hi).putLong(lo).array();
    }

    public void writeTo(ByteBuffer bb) {
        bb.putLong(hi).putLong(lo);
    }

    public String hex() {
        return HEX.toHexDigits(hi) + HEX.toHexDigits(lo);
    }

    /** First 8 hex characters, enough for a person to tell keys apart in a message. */
    public String shortHex() {
        return HEX.toHexDigits(hi).substring(0, 8);
    }

    @Override
    public int compareTo(ContentKey o) {
        int c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }

    @Override
    public String toString() {
        return hex();
    }
}
