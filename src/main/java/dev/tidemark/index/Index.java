package dev.tidemark.index;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.BlobLocation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local index: a RocksDB cache of what the repository holds and of what each tree looked like last time.
 *
 * <p>Column families: {@code files} (tree + path → {@link FileRecord}), {@code blobs} (content key → pack, offset,
 * lengths), {@code packs} (pack id → blob count), and the default one for meta data (the repository id).
 *
 * <p>It is a cache: everything in it can be rebuilt from the repository ({@link IndexSync}), and it is never ahead
 * of the repository (a pack's blobs are added only after the pack is durable). Writes skip fsync for that reason.
 *
 * <p>Lifecycle: RocksDB objects are closed in reverse order of creation, iterators before the database; using an
 * iterator after its database is closed would crash the JVM, so every iterator here lives inside one method call
 * or inside a {@link TreeCursor} that the caller closes before the index.
 */
public final class Index implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Index.class);
    private static final byte[] META_REPO = "repository-id".getBytes(StandardCharsets.UTF_8);
    private static final byte[] META_FORMAT = "format".getBytes(StandardCharsets.UTF_8);
    private static final byte[] META_TREES = "trees".getBytes(StandardCharsets.UTF_8);
    private static final byte[] META_UNVERIFIED = "file-records-unverified".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FORMAT = {1};
    static final int BLOB_VALUE = 16 + 24;
    /** Enough for the blob and file records of about a million files to stay in memory between lookups. */
    static final long BLOCK_CACHE_BYTES = 64L << 20;
    static final long WRITE_BUFFERS_BYTES = 64L << 20;

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final LRUCache cache;
    private final BloomFilter filter;
    private final List<ColumnFamilyHandle> handles;
    private final RocksDB db;
    private final WriteOptions writeOptions;
    private final ColumnFamilyHandle files;
    private final ColumnFamilyHandle blobs;
    private final ColumnFamilyHandle packs;

    private Index(Path dir, DBOptions dbOptions, ColumnFamilyOptions cfOptions, LRUCache cache, BloomFilter filter,
                  List<ColumnFamilyHandle> handles, RocksDB db) {
        this.dir = dir;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.cache = cache;
        this.filter = filter;
        this.handles = handles;
        this.db = db;
        // No write-ahead log: the index is a cache, and replaying a log of a big point at the next start-up costs
        // more than the cache saves. Memtables are flushed at close, all column families together (atomic flush),
        // so after a crash the index is an older but consistent state that IndexSync brings up to date.
        this.writeOptions = new WriteOptions().setDisableWAL(true);
        this.files = handles.get(1);
        this.blobs = handles.get(2);
        this.packs = handles.get(3);
    }

    /**
     * Opens (or creates) the index in {@code dir} for repository {@code repositoryId}. An index made for another
     * repository, or of an unknown format, is discarded and started afresh.
     */
    public static Index open(Path dir, String repositoryId) throws IOException {
        Index idx = openRaw(dir);
        try {
            byte[] id = idx.db.get(META_REPO);
            byte[] fmt = idx.db.get(META_FORMAT);
            if (id == null && idx.isEmpty()) {
                idx.db.put(idx.writeOptions, META_REPO, repositoryId.getBytes(StandardCharsets.UTF_8));
                idx.db.put(idx.writeOptions, META_FORMAT, FORMAT);
                return idx;
            }
            if (id != null && new String(id, StandardCharsets.UTF_8).equals(repositoryId) && Arrays.equals(fmt, FORMAT)) {
                return idx;
            }
            LOG.warn("index {} belongs to another repository or format; starting it afresh", dir);
        } catch (RocksDBException e) {
            idx.close();
            throw new IOException("read index " + dir + ": " + e.getMessage(), e);
        }
        idx.close();
        delete(dir);
        return open(dir, repositoryId);
    }

    /** Deletes an index directory (the index is a cache; the repository is the truth). */
    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList();
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Index openRaw(Path dir) throws IOException {
        Files.createDirectories(dir);
        DBOptions dbo = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxOpenFiles(512).setKeepLogFileNum(3).setMaxBackgroundJobs(2).setAtomicFlush(true)
                // Memtables of all column families together stay under this: a point of a million files must fit
                // in the memory of a small NAS.
                .setDbWriteBufferSize(WRITE_BUFFERS_BYTES);
        // An explicit block cache: without one every lookup re-reads its block from the file (a pread per file).
        LRUCache cache = new LRUCache(BLOCK_CACHE_BYTES);
        BloomFilter filter = new BloomFilter(10, false);
        BlockBasedTableConfig table = new BlockBasedTableConfig().setFilterPolicy(filter)
                .setBlockSize(16 * 1024).setBlockCache(cache).setCacheIndexAndFilterBlocks(false);
        ColumnFamilyOptions cfo = new ColumnFamilyOptions().setTableFormatConfig(table)
                .setWriteBufferSize(WRITE_BUFFERS_BYTES / 4);
        List<ColumnFamilyDescriptor> desc = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfo),
                new ColumnFamilyDescriptor("files".getBytes(StandardCharsets.UTF_8), cfo),
                new ColumnFamilyDescriptor("blobs".getBytes(StandardCharsets.UTF_8), cfo),
                new ColumnFamilyDescriptor("packs".getBytes(StandardCharsets.UTF_8), cfo));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(dbo, dir.toString(), desc, handles);
            return new Index(dir, dbo, cfo, cache, filter, handles, db);
        } catch (RocksDBException e) {
            for (ColumnFamilyHandle h : handles) {
                h.close();
            }
            cfo.close();
            dbo.close();
            cache.close();
            filter.close();
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("lock") || msg.contains("Resource temporarily unavailable")) {
                throw new TidemarkException(ExitCode.LOCKED, "index " + dir + " is in use by another tidemark "
                        + "process (is 'tidemark run' or another command running?); try again when it has finished");
            }
            throw new IOException("open index " + dir + ": " + msg, e);
        }
    }

    private boolean isEmpty() {
        for (ColumnFamilyHandle h : List.of(files, blobs, packs)) {
            try (RocksIterator it = db.newIterator(h)) {
                it.seekToFirst();
                if (it.isValid()) {
                    return false;
                }
            }
        }
        return true;
    }

    public Path dir() {
        return dir;
    }

    // ---- blobs and packs ----

    public BlobLocation findBlob(ContentKey key) throws IOException {
        try {
            byte[] v = db.get(blobs, key.toBytes());
            if (v == null || v.length != BLOB_VALUE) {
                return null;
            }
            ByteBuffer bb = ByteBuffer.wrap(v);
            ContentKey pack = new ContentKey(bb.getLong(), bb.getLong());
            return new BlobLocation(key, pack.hex(), bb.getLong(), bb.getLong(), bb.getLong());
        } catch (RocksDBException e) {
            throw new IOException("index lookup of blob " + key.shortHex() + ": " + e.getMessage(), e);
        }
    }

    public boolean hasBlob(ContentKey key) throws IOException {
        try {
            // One get: with bloom filters a miss is cheap, and a keyMayExist first would cost a JNI call per hit.
            return db.get(blobs, key.toBytes()) != null;
        } catch (RocksDBException e) {
            throw new IOException("index lookup of blob " + key.shortHex() + ": " + e.getMessage(), e);
        }
    }

    /** Records a committed pack and its blobs, atomically. */
    public void addPack(String packId, List<BlobLocation> located) throws IOException {
        ContentKey pk = ContentKey.parse(packId);
        try (WriteBatch wb = new WriteBatch()) {
            for (BlobLocation b : located) {
                ByteBuffer bb = ByteBuffer.allocate(BLOB_VALUE);
                pk.writeTo(bb);
                bb.putLong(b.offset()).putLong(b.storedLength()).putLong(b.rawLength());
                wb.put(blobs, b.key().toBytes(), bb.array());
            }
            wb.put(packs, pk.toBytes(), ByteBuffer.allocate(8).putLong(located.size()).array());
            db.write(writeOptions, wb);
        } catch (RocksDBException e) {
            throw new IOException("index: record pack " + packId + ": " + e.getMessage(), e);
        }
    }

    public Set<String> packIds() {
        Set<String> out = new HashSet<>();
        try (RocksIterator it = db.newIterator(packs)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                out.add(ContentKey.fromBytes(it.key()).hex());
            }
        }
        return out;
    }

    /** Forgets packs that are gone from the repository, and every blob they held. */
    public void removePacks(Set<String> gone) throws IOException {
        if (gone.isEmpty()) {
            return;
        }
        Set<ContentKey> goneKeys = new HashSet<>();
        for (String g : gone) {
            goneKeys.add(ContentKey.parse(g));
        }
        try (WriteBatch wb = new WriteBatch(); RocksIterator it = db.newIterator(blobs)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] v = it.value();
                if (v.length == BLOB_VALUE && goneKeys.contains(ContentKey.fromBytes(v, 0))) {
                    wb.delete(blobs, it.key());
                }
            }
            for (ContentKey k : goneKeys) {
                wb.delete(packs, k.toBytes());
            }
            wb.put(META_UNVERIFIED, new byte[] {1});
            db.write(writeOptions, wb);
        } catch (RocksDBException e) {
            throw new IOException("index: forget packs: " + e.getMessage(), e);
        }
    }

    /**
     * True when some file record may name content the repository no longer holds: packs were forgotten, or the
     * records were rebuilt from manifests. Then every reuse of a record is checked against the blobs; otherwise
     * that check is skipped, because records are only written once their content is committed.
     */
    public boolean fileRecordsUnverified() throws IOException {
        try {
            return db.get(META_UNVERIFIED) != null;
        } catch (RocksDBException e) {
            throw new IOException("index: read meta data: " + e.getMessage(), e);
        }
    }

    public void setFileRecordsUnverified(boolean unverified) throws IOException {
        try {
            if (unverified) {
                db.put(writeOptions, META_UNVERIFIED, new byte[] {1});
            } else {
                db.delete(writeOptions, META_UNVERIFIED);
            }
        } catch (RocksDBException e) {
            throw new IOException("index: write meta data: " + e.getMessage(), e);
        }
    }

    // ---- files ----

    static byte[] fileKey(String tree, String path) {
        byte[] t = tree.getBytes(StandardCharsets.UTF_8);
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[t.length + 1 + p.length];
        System.arraycopy(t, 0, k, 0, t.length);
        k[t.length] = 0;
        for (int i = 0; i < p.length; i++) {
            k[t.length + 1 + i] = p[i] == '/' ? 0 : p[i];
        }
        return k;
    }

    static byte[] treePrefix(String tree) {
        byte[] t = tree.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(t, t.length + 1);
    }

    static String pathOf(byte[] key, int prefixLen) {
        byte[] p = Arrays.copyOfRange(key, prefixLen, key.length);
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) {
                p[i] = '/';
            }
        }
        return new String(p, StandardCharsets.UTF_8);
    }

    /** A batch of file-record changes, applied atomically by {@link #apply}. */
    public final class Batch implements AutoCloseable {
        private final WriteBatch wb = new WriteBatch();
        private int count;

        public void putFile(String tree, String path, FileRecord r) throws IOException {
            try {
                wb.put(files, fileKey(tree, path), r.encode());
                count++;
            } catch (RocksDBException e) {
                throw new IOException(e.getMessage(), e);
            }
        }

        /** Deletes the record of {@code path} and of every file below it (a deleted directory). */
        public void deleteTree(String tree, String path) throws IOException {
            try {
                wb.delete(files, fileKey(tree, path));
                count++;
                if (path.equals(FileEntry.ROOT)) {
                    return; // never used to drop a whole tree: that is retainTrees
                }
                byte[] k = fileKey(tree, path);
                byte[] from = Arrays.copyOf(k, k.length + 1);
                byte[] to = Arrays.copyOf(k, k.length + 1);
                to[k.length] = 1; // just past every key with the prefix k + 0
                wb.deleteRange(files, from, to);
                count++;
            } catch (RocksDBException e) {
                throw new IOException(e.getMessage(), e);
            }
        }

        /** Deletes a file record by its raw key (as handed out by {@link TreeCursor}). */
        public void deleteKey(byte[] key) throws IOException {
            try {
                wb.delete(files, key);
                count++;
            } catch (RocksDBException e) {
                throw new IOException(e.getMessage(), e);
            }
        }

        public int size() {
            return count;
        }

        public void apply() throws IOException {
            if (count == 0) {
                return;
            }
            try {
                db.write(writeOptions, wb);
                wb.clear();
                count = 0;
            } catch (RocksDBException e) {
                throw new IOException("index write: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            wb.close();
        }
    }

    public Batch batch() {
        return new Batch();
    }

    /**
     * Reads one tree's file records in path order alongside a walk of the tree: for each file, in
     * {@link dev.tidemark.point.PathOrder}, {@link #advance} returns its record (a sequential step, far cheaper than a
     * lookup) and hands back the keys of records it passed over, files that are gone or now excluded, for deletion.
     * Reads a snapshot taken when it was opened. Close it before the index.
     */
    public final class TreeCursor implements AutoCloseable {
        private final String tree;
        private final byte[] prefix;
        private final ReadOptions ro;
        private final RocksIterator it;

        TreeCursor(String tree, String under) {
            this.tree = tree;
            if (under.equals(FileEntry.ROOT)) {
                this.prefix = treePrefix(tree);
            } else {
                byte[] k = fileKey(tree, under);
                this.prefix = Arrays.copyOf(k, k.length + 1); // the records below 'under' ('/' is stored as 0)
            }
            this.ro = new ReadOptions().setTotalOrderSeek(true).setFillCache(false);
            this.it = db.newIterator(files, ro);
            it.seek(prefix);
        }

        private boolean inTree() {
            if (!it.isValid()) {
                return false;
            }
            byte[] k = it.key();
            return k.length >= prefix.length && Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length);
        }

        /** The record of {@code path}, or null; keys of records before it are added to {@code stale}. */
        public FileRecord advance(String path, List<byte[]> stale) {
            byte[] target = fileKey(tree, path);
            while (inTree()) {
                byte[] k = it.key();
                int c = Arrays.compareUnsigned(k, target);
                if (c < 0) {
                    stale.add(k);
                    it.next();
                } else if (c == 0) {
                    FileRecord r = FileRecord.decode(it.value());
                    it.next();
                    return r;
                } else {
                    return null;
                }
            }
            return null;
        }

        /** True if there is no record (left) under the cursor's prefix. */
        public boolean atEnd() {
            return !inTree();
        }

        /** The path a record key handed out by {@link #advance} or {@link #finish} stands for. */
        public String pathOf(byte[] key) {
            return Index.pathOf(key, treePrefix(tree).length);
        }

        /** Adds the keys of every record after the last path advanced to. */
        public void finish(List<byte[]> stale) {
            while (inTree()) {
                stale.add(it.key());
                it.next();
            }
        }

        @Override
        public void close() {
            it.close();
            ro.close();
        }
    }

    public TreeCursor cursor(String tree) {
        return new TreeCursor(tree, FileEntry.ROOT);
    }

    /** A cursor over the records of the files below directory {@code under} only. */
    public TreeCursor cursor(String tree, String under) {
        return new TreeCursor(tree, under);
    }

    /** The record of one file, or null. */
    public FileRecord getFile(String tree, String path) throws IOException {
        try {
            byte[] v = db.get(files, fileKey(tree, path));
            return v == null ? null : FileRecord.decode(v);
        } catch (RocksDBException e) {
            throw new IOException("index read: " + e.getMessage(), e);
        }
    }

    /**
     * Deletes every file record of trees not in {@code keep} (a tree removed from the config). The set of trees is
     * remembered, so the records are only walked when it changes.
     */
    public void retainTrees(Set<String> keep) throws IOException {
        byte[] names = String.join("\n", new java.util.TreeSet<>(keep)).getBytes(StandardCharsets.UTF_8);
        try {
            if (Arrays.equals(db.get(META_TREES), names)) {
                return;
            }
        } catch (RocksDBException e) {
            throw new IOException("index: read tree names: " + e.getMessage(), e);
        }
        try (WriteBatch wb = new WriteBatch(); RocksIterator it = db.newIterator(files)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                int z = 0;
                while (z < k.length && k[z] != 0) {
                    z++;
                }
                if (!keep.contains(new String(k, 0, z, StandardCharsets.UTF_8))) {
                    wb.delete(files, k);
                }
            }
            wb.put(META_TREES, names);
            db.write(writeOptions, wb);
        } catch (RocksDBException e) {
            throw new IOException("index: drop old trees: " + e.getMessage(), e);
        }
    }

    /** Makes everything written so far durable (used before reporting a rebuild done). */
    public void flush() throws IOException {
        try (org.rocksdb.FlushOptions fo = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(fo, handles);
        } catch (RocksDBException e) {
            throw new IOException("index flush: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try (org.rocksdb.FlushOptions fo = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(fo, handles);
        } catch (RocksDBException e) {
            LOG.warn("index {}: final flush failed ({}); the next run rebuilds what was lost", dir, e.getMessage());
        }
        writeOptions.close();
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        cfOptions.close();
        dbOptions.close();
        cache.close();
        filter.close();
    }
}
