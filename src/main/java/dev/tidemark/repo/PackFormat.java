package dev.tidemark.repo;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The layout of a pack: blobs back to back, then a trailer listing them, then a fixed footer.
 *
 * <pre>
 * pack    := blob* trailer footer
 * trailer := "TMPKIDX2" | u32 count | count * (key[16] | u64 offset | u64 storedLength | u64 flagsAndRawLength)
 * footer  := u32 trailerLength | u32 crc32c(trailer) | "TMPACK01"
 * </pre>
 *
 * The top bit of {@code flagsAndRawLength} marks a chunk list ({@link BlobLocation#list}; format 3). Packs of format 2
 * say {@code "TMPKIDX1"} and hold no lists; both are read.
 *
 * <p>A pack is named by the content key of all its bytes ({@code data/<first two hex>/<32 hex>}), so
 * {@code verify --read-data} detects any flipped byte, even in data no blob references. Bytes between blobs that the
 * trailer does not list are dead (a file that changed while it was being packed) and are never read.
 */
public final class PackFormat {
    static final byte[] TRAILER_MAGIC = "TMPKIDX2".getBytes(StandardCharsets.US_ASCII);
    static final byte[] TRAILER_MAGIC_1 = "TMPKIDX1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] FOOTER_MAGIC = "TMPACK01".getBytes(StandardCharsets.US_ASCII);
    static final int FOOTER = 16;
    static final int ENTRY = ContentKey.BYTES + 24;
    public static final String PREFIX = "data/";

    private PackFormat() {
    }

    public static String keyOf(String packId) {
        return PREFIX + packId.substring(0, 2) + "/" + packId;
    }

    /** The pack id in a key from {@link #keyOf}, or null if the key is not a pack's. */
    public static String idOf(String key) {
        if (!key.startsWith(PREFIX)) {
            return null;
        }
        String id = key.substring(key.lastIndexOf('/') + 1);
        if (id.length() != 32 || !key.equals(keyOf(id))) {
            return null;
        }
        return id;
    }

    /** Bytes of a pack that are not blobs: the trailer listing {@code blobs} blobs, and the footer. */
    public static long overhead(int blobs) {
        return TRAILER_MAGIC.length + 4 + (long) blobs * ENTRY + FOOTER;
    }

    static byte[] trailer(List<BlobLocation> blobs) {
        ByteBuffer bb = ByteBuffer.allocate(TRAILER_MAGIC.length + 4 + blobs.size() * ENTRY);
        bb.put(TRAILER_MAGIC).putInt(blobs.size());
        for (BlobLocation b : blobs) {
            b.key().writeTo(bb);
            bb.putLong(b.offset()).putLong(b.storedLength()).putLong(b.rawLength() | (b.list() ? BlobLocation.LIST_BIT : 0));
        }
        return bb.array();
    }

    static byte[] footer(byte[] trailer) {
        CRC32C crc = new CRC32C();
        crc.update(trailer);
        return ByteBuffer.allocate(FOOTER).putInt(trailer.length).putInt((int) crc.getValue()).put(FOOTER_MAGIC).array();
    }

    /** Reads and checks the trailer of pack {@code packId}: two ranged reads, independent of the pack's size. */
    public static List<BlobLocation> readTrailer(Store store, String packId) throws IOException {
        String key = keyOf(packId);
        try (Store.ReadHandle h = store.openForRead(key)) {
            long size = h.size();
            if (size < FOOTER + TRAILER_MAGIC.length + 4) {
                throw new DamageException("pack " + key + ": only " + size + " bytes, too short for a trailer");
            }
            byte[] foot = new byte[FOOTER];
            h.readFully(size - FOOTER, foot, 0, FOOTER);
            ByteBuffer fb = ByteBuffer.wrap(foot);
            int trailerLen = fb.getInt();
            int crc = fb.getInt();
            byte[] magic = new byte[FOOTER_MAGIC.length];
            fb.get(magic);
            if (!java.util.Arrays.equals(magic, FOOTER_MAGIC)) {
                throw new DamageException("pack " + key + ": footer magic missing");
            }
            if (trailerLen < TRAILER_MAGIC.length + 4 || trailerLen > size - FOOTER
                    || (trailerLen - TRAILER_MAGIC.length - 4) % ENTRY != 0) {
                throw new DamageException("pack " + key + ": bad trailer length " + trailerLen);
            }
            byte[] tr = new byte[trailerLen];
            h.readFully(size - FOOTER - trailerLen, tr, 0, trailerLen);
            return parseTrailer(key, packId, tr, crc, size - FOOTER - trailerLen);
        }
    }

    static List<BlobLocation> parseTrailer(String key, String packId, byte[] tr, int crc, long dataEnd)
            throws DamageException {
        CRC32C c = new CRC32C();
        c.update(tr);
        if ((int) c.getValue() != crc) {
            throw new DamageException("pack " + key + ": trailer checksum mismatch");
        }
        ByteBuffer bb = ByteBuffer.wrap(tr);
        byte[] magic = new byte[TRAILER_MAGIC.length];
        bb.get(magic);
        boolean lists = java.util.Arrays.equals(magic, TRAILER_MAGIC);
        if (!lists && !java.util.Arrays.equals(magic, TRAILER_MAGIC_1)) {
            throw new DamageException("pack " + key + ": trailer magic missing");
        }
        int count = bb.getInt();
        if (count < 0 || count != (tr.length - TRAILER_MAGIC.length - 4) / ENTRY) {
            throw new DamageException("pack " + key + ": trailer count " + count + " does not match its length");
        }
        List<BlobLocation> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] k = new byte[ContentKey.BYTES];
            bb.get(k);
            long off = bb.getLong();
            long stored = bb.getLong();
            long flagged = bb.getLong();
            boolean list = lists && (flagged & BlobLocation.LIST_BIT) != 0;
            long raw = lists ? flagged & ~BlobLocation.LIST_BIT : flagged;
            if (off < 0 || stored < 0 || raw < 0 || off + stored > dataEnd) {
                throw new DamageException("pack " + key + ": blob " + i + " lies outside the pack");
            }
            out.add(new BlobLocation(ContentKey.fromBytes(k), packId, off, stored, raw, list));
        }
        return out;
    }
}
