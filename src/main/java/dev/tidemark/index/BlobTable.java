package dev.tidemark.index;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.repo.BlobLocation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Where each blob is: content key → every copy the index knows (pack, offset, stored and raw length), and the set of
 * packs.
 *
 * <p>Every copy, not one: while a compaction or prune moves blobs into new packs, a blob is in two packs for a
 * while, and after a crash the old pack may be back in the listing. A lookup hands out all copies, so a reader whose
 * pack vanished tries the next one, and forgetting a pack removes only its own copies: a blob that lives on in
 * another pack stays known.
 *
 * <p>Value layout: {@code n × (pack id[16] | u64 offset | u64 stored length | u64 raw length)}, the top bit of the
 * stored length set for a chunk list ({@link BlobLocation#list}); a value with one copy is exactly what index format
 * 1 stored, so an older index is read as it is.
 */
final class BlobTable {
    static final int COPY = 16 + 24;

    private final RocksDB db;
    private final WriteOptions writeOptions;
    private final ColumnFamilyHandle blobs;
    private final ColumnFamilyHandle packs;

    BlobTable(RocksDB db, WriteOptions writeOptions, ColumnFamilyHandle blobs, ColumnFamilyHandle packs) {
        this.db = db;
        this.writeOptions = writeOptions;
        this.blobs = blobs;
        this.packs = packs;
    }

    private static List<BlobLocation> decode(ContentKey key, byte[] v) {
        if (v == null || v.length == 0 || v.length % COPY != 0) {
            return List.of();
        }
        List<BlobLocation> out = new ArrayList<>(v.length / COPY);
        ByteBuffer bb = ByteBuffer.wrap(v);
        while (bb.hasRemaining()) {
            ContentKey pack = new ContentKey(bb.getLong(), bb.getLong());
            long offset = bb.getLong();
            long stored = bb.getLong();
            long raw = bb.getLong();
            out.add(new BlobLocation(key, pack.hex(), offset, stored & ~BlobLocation.LIST_BIT, raw,
                    (stored & BlobLocation.LIST_BIT) != 0));
        }
        return out;
    }

    private static void encode(ByteBuffer bb, BlobLocation b) {
        ContentKey.parse(b.packId()).writeTo(bb);
        bb.putLong(b.offset()).putLong(b.storedLength() | (b.list() ? BlobLocation.LIST_BIT : 0)).putLong(b.rawLength());
    }

    private static byte[] encode(List<BlobLocation> copies) {
        ByteBuffer bb = ByteBuffer.allocate(copies.size() * COPY);
        for (BlobLocation b : copies) {
            encode(bb, b);
        }
        return bb.array();
    }

    /** Every copy of {@code key}, the first one first; empty if the index knows none. */
    List<BlobLocation> copies(ContentKey key) throws IOException {
        try {
            return decode(key, db.get(blobs, key.toBytes()));
        } catch (RocksDBException e) {
            throw new IOException("index lookup of blob " + key.shortHex() + ": " + e.getMessage(), e);
        }
    }

    boolean has(ContentKey key) throws IOException {
        byte[] k = key.toBytes();
        try {
            // Not a get alone: for a key that is not there, rocksdbjni's get throws a C++ exception and catches it
            // inside (KVException, ~5 us of unwinding: a third of a first point's lookups). keyMayExist answers
            // most misses from the memtable and the bloom filters without one (without a value holder, which
            // costs JNI class lookups per call); a key that may be there is then read.
            return db.keyMayExist(blobs, k, null) && db.get(blobs, k) != null;
        } catch (RocksDBException e) {
            throw new IOException("index lookup of blob " + key.shortHex() + ": " + e.getMessage(), e);
        }
    }

    /** Records a committed pack and its blobs, atomically; copies in other packs are kept beside them. */
    synchronized void addPack(String packId, List<BlobLocation> located) throws IOException {
        ContentKey pk = ContentKey.parse(packId);
        List<byte[]> keys = new ArrayList<>(located.size());
        for (BlobLocation b : located) {
            keys.add(b.key().toBytes());
        }
        try (WriteBatch wb = new WriteBatch()) {
            List<byte[]> existing = keys.isEmpty() ? List.of()
                    : db.multiGetAsList(Collections.nCopies(keys.size(), blobs), keys);
            for (int i = 0; i < located.size(); i++) {
                BlobLocation b = located.get(i);
                byte[] old = existing.get(i);
                if (old != null && holds(old, pk)) {
                    continue; // this pack is known already (a re-read trailer)
                }
                int oldLen = old == null ? 0 : old.length - old.length % COPY;
                ByteBuffer bb = ByteBuffer.allocate(oldLen + COPY);
                if (oldLen > 0) {
                    bb.put(old, 0, oldLen);
                }
                encode(bb, b);
                wb.put(blobs, keys.get(i), bb.array());
            }
            wb.put(packs, pk.toBytes(), ByteBuffer.allocate(8).putLong(located.size()).array());
            db.write(writeOptions, wb);
        } catch (RocksDBException e) {
            throw new IOException("index: record pack " + packId + ": " + e.getMessage(), e);
        }
    }

    private static boolean holds(byte[] value, ContentKey pack) {
        ByteBuffer bb = ByteBuffer.wrap(value);
        for (int off = 0; off + COPY <= value.length; off += COPY) {
            if (bb.getLong(off) == pack.hi() && bb.getLong(off + 8) == pack.lo()) {
                return true;
            }
        }
        return false;
    }

    /** The value without the copies in {@code gone}; null if none is left. */
    private static byte[] without(byte[] value, Set<ContentKey> gone) {
        ByteBuffer bb = ByteBuffer.wrap(value);
        ByteBuffer out = null;
        int kept = 0;
        for (int off = 0; off + COPY <= value.length; off += COPY) {
            ContentKey pack = new ContentKey(bb.getLong(off), bb.getLong(off + 8));
            if (gone.contains(pack)) {
                if (out == null) {
                    out = ByteBuffer.allocate(value.length);
                    out.put(value, 0, off);
                    kept = off / COPY;
                }
            } else {
                if (out != null) {
                    out.put(value, off, COPY);
                }
                kept++;
            }
        }
        if (out == null) {
            return value;
        }
        return kept == 0 ? null : java.util.Arrays.copyOf(out.array(), kept * COPY);
    }

    Set<String> packIds() {
        Set<String> out = new HashSet<>();
        try (RocksIterator it = db.newIterator(packs)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                out.add(ContentKey.fromBytes(it.key()).hex());
            }
        }
        return out;
    }

    /**
     * Forgets the copies in packs that are gone and the packs themselves. With {@code keys}, the blobs those packs
     * held (a compaction or prune knows them): each is looked up; without, every blob is scanned (packs that
     * vanished behind the index's back).
     */
    synchronized void removePacks(Set<String> gone, Collection<ContentKey> keys, Extra extra) throws IOException {
        if (gone.isEmpty()) {
            return;
        }
        Set<ContentKey> goneKeys = new HashSet<>();
        for (String g : gone) {
            goneKeys.add(ContentKey.parse(g));
        }
        try (WriteBatch wb = new WriteBatch()) {
            if (keys != null) {
                List<byte[]> raw = new ArrayList<>(keys.size());
                for (ContentKey k : new HashSet<>(keys)) {
                    raw.add(k.toBytes());
                }
                List<byte[]> values = raw.isEmpty() ? List.of()
                        : db.multiGetAsList(Collections.nCopies(raw.size(), blobs), raw);
                for (int i = 0; i < raw.size(); i++) {
                    update(wb, raw.get(i), values.get(i), goneKeys);
                }
            } else {
                try (RocksIterator it = db.newIterator(blobs)) {
                    for (it.seekToFirst(); it.isValid(); it.next()) {
                        update(wb, it.key(), it.value(), goneKeys);
                    }
                }
            }
            for (ContentKey k : goneKeys) {
                wb.delete(packs, k.toBytes());
            }
            if (extra != null) {
                extra.addTo(wb);
            }
            db.write(writeOptions, wb);
        } catch (RocksDBException e) {
            throw new IOException("index: forget packs: " + e.getMessage(), e);
        }
    }

    /** More writes that must land in the same atomic batch. */
    interface Extra {
        void addTo(WriteBatch wb) throws RocksDBException;
    }

    /**
     * Learns the packs in {@code added} (id → blobs) and forgets those in {@code gone}, which held
     * {@code goneKeys}: one read of every key involved instead of one pass for each side (a prune moves tens of
     * thousands of blobs at once), in batches of {@link #MOVE_BATCH} keys so memory stays bounded. The old packs
     * still exist while this runs, so after any batch every blob has a copy the index names.
     */
    synchronized void movePacks(Map<String, List<BlobLocation>> added, Set<String> gone,
                                Collection<ContentKey> goneKeys) throws IOException {
        Set<ContentKey> all = new java.util.LinkedHashSet<>();
        for (List<BlobLocation> blobs : added.values()) {
            for (BlobLocation b : blobs) {
                all.add(b.key());
            }
        }
        all.addAll(goneKeys);
        List<ContentKey> keys = new ArrayList<>(all);
        Map<ContentKey, List<BlobLocation>> adds = new java.util.HashMap<>();
        for (int from = 0; from < keys.size(); from += MOVE_BATCH) {
            Set<ContentKey> part = new HashSet<>(keys.subList(from, Math.min(keys.size(), from + MOVE_BATCH)));
            adds.clear();
            for (List<BlobLocation> blobs : added.values()) {
                for (BlobLocation b : blobs) {
                    if (part.contains(b.key())) {
                        adds.computeIfAbsent(b.key(), k -> new ArrayList<>(1)).add(b);
                    }
                }
            }
            moveBatch(new ArrayList<>(part), adds, gone, added, from + MOVE_BATCH >= keys.size());
        }
        if (keys.isEmpty()) {
            moveBatch(List.of(), Map.of(), gone, added, true);
        }
    }

    static final int MOVE_BATCH = 8192;

    /** One batch of {@link #movePacks}; the packs table is updated with the last one. */
    private void moveBatch(List<ContentKey> keys, Map<ContentKey, List<BlobLocation>> adds, Set<String> gone,
                           Map<String, List<BlobLocation>> added, boolean last) throws IOException {
        Set<ContentKey> goneIds = new HashSet<>();
        for (String g : gone) {
            goneIds.add(ContentKey.parse(g));
        }
        List<byte[]> raw = new ArrayList<>(keys.size());
        for (ContentKey k : keys) {
            raw.add(k.toBytes());
        }
        try (WriteBatch wb = new WriteBatch()) {
            List<byte[]> values = raw.isEmpty() ? List.of()
                    : db.multiGetAsList(Collections.nCopies(raw.size(), blobs), raw);
            for (int i = 0; i < keys.size(); i++) {
                byte[] old = values.get(i);
                byte[] left = old == null ? null : without(old, goneIds);
                List<BlobLocation> more = adds.getOrDefault(keys.get(i), List.of());
                List<BlobLocation> fresh = new ArrayList<>(more.size());
                for (BlobLocation b : more) {
                    if (left == null || !holds(left, ContentKey.parse(b.packId()))) {
                        fresh.add(b);
                    }
                }
                if (fresh.isEmpty()) {
                    if (left == null && old != null) {
                        wb.delete(blobs, raw.get(i));
                    } else if (left != old) {
                        wb.put(blobs, raw.get(i), left);
                    }
                    continue;
                }
                int leftLen = left == null ? 0 : left.length;
                ByteBuffer bb = ByteBuffer.allocate(leftLen + fresh.size() * COPY);
                if (left != null) {
                    bb.put(left);
                }
                for (BlobLocation b : fresh) {
                    encode(bb, b);
                }
                wb.put(blobs, raw.get(i), bb.array());
            }
            if (last) {
                for (Map.Entry<String, List<BlobLocation>> e : added.entrySet()) {
                    wb.put(packs, ContentKey.parse(e.getKey()).toBytes(),
                            ByteBuffer.allocate(8).putLong(e.getValue().size()).array());
                }
                for (ContentKey g : goneIds) {
                    wb.delete(packs, g.toBytes());
                }
            }
            db.write(writeOptions, wb);
        } catch (RocksDBException e) {
            throw new IOException("index: move packs: " + e.getMessage(), e);
        }
    }

    private void update(WriteBatch wb, byte[] key, byte[] value, Set<ContentKey> gone) throws RocksDBException {
        if (value == null) {
            return;
        }
        byte[] left = without(value, gone);
        if (left == null) {
            wb.delete(blobs, key);
        } else if (left != value) {
            wb.put(blobs, key, left);
        }
    }
}
