package dev.tidemark.index;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.BlobLocation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
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
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local index: a RocksDB cache of what the repository holds and of what each tree looked like last time.
 *
 * <p>Column families: {@code files} (tree + path → {@link FileRecord}, see {@link FileTable}), {@code blobs} (content
 * key → every copy: pack, offset, lengths, see {@link BlobTable}), {@code packs} (pack id → blob count), and the
 * default one for meta data (the repository id, the format, the trees, the "unverified" flag).
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
    /** Format 2 keeps every copy of a blob; a format-1 index (one copy each) reads the same and is kept. */
    private static final byte[] FORMAT = {2};
    private static final byte[] FORMAT_1 = {1};
    /** Enough for the blob and file records of about a million files to stay in memory between lookups. */
    static final long BLOCK_CACHE_BYTES = 64L << 20;
    static final long WRITE_BUFFERS_BYTES = 64L << 20;

    private final Path dir;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final LRUCache cache;
    private final BloomFilter filter;
    private final List<ColumnFamilyHandle> handles;
    private final RocksDB db;
    private final WriteOptions writeOptions;
    private final BlobTable blobTable;
    private final FileTable fileTable;

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
        this.fileTable = new FileTable(db, writeOptions, handles.get(1));
        this.blobTable = new BlobTable(db, writeOptions, handles.get(2), handles.get(3));
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
            if (id != null && new String(id, StandardCharsets.UTF_8).equals(repositoryId)
                    && (Arrays.equals(fmt, FORMAT) || Arrays.equals(fmt, FORMAT_1))) {
                if (!Arrays.equals(fmt, FORMAT)) {
                    idx.db.put(idx.writeOptions, META_FORMAT, FORMAT);
                }
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
        NativeLibrary.load();
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
        return fileTable.isEmpty() && blobTable.packIds().isEmpty();
    }

    public Path dir() {
        return dir;
    }

    // ---- blobs and packs ----

    /** A copy of {@code key} (the first the index knows), or null. */
    public BlobLocation findBlob(ContentKey key) throws IOException {
        List<BlobLocation> c = blobTable.copies(key);
        return c.isEmpty() ? null : c.get(0);
    }

    /** The index as a {@link dev.tidemark.repo.BlobLocator} of {@code repo}: a refresh syncs it with the pack list. */
    public dev.tidemark.repo.BlobLocator locator(dev.tidemark.repo.Repository repo) {
        return new Locator(this, repo);
    }

    /** Where blobs are, by the index; refreshed from {@code repo}'s packs, or never if it is null. */
    private record Locator(Index index, dev.tidemark.repo.Repository repo) implements dev.tidemark.repo.BlobLocator {
        @Override
        public List<BlobLocation> copies(ContentKey key) throws IOException {
            return index.copies(key);
        }

        @Override
        public boolean refresh() throws IOException {
            if (repo == null) {
                return false;
            }
            IndexSync.Result r = IndexSync.syncPacks(repo, index);
            return r.packsAdded() > 0 || r.packsRemoved() > 0;
        }
    }

    /**
     * A pack writer into {@code repo} that deduplicates against this index and tells it about each committed pack.
     */
    public dev.tidemark.repo.PackWriter packWriter(dev.tidemark.repo.Repository repo) {
        return new dev.tidemark.repo.PackWriter(repo.store(), repo.hasher(), repo.config().packSize(), this::hasBlob,
                this::addPack);
    }

    /** The first copy of {@code key} if it is a chunk list, else null (a data blob, or not known). */
    public BlobLocation listCopy(ContentKey key) throws IOException {
        List<BlobLocation> c = copies(key);
        return !c.isEmpty() && c.get(0).list() ? c.get(0) : null;
    }

    /**
     * Where blobs are, for readers on other threads while this process's writer (the daemon's worker) keeps the
     * index current: it is never refreshed from the repository here, so the worker stays its only writer.
     */
    public dev.tidemark.repo.BlobLocator readOnlyLocator() {
        return new Locator(this, null);
    }

    /** A reader of {@code repo}'s content through this index. */
    public dev.tidemark.repo.BlobReader reader(dev.tidemark.repo.Repository repo) {
        return new dev.tidemark.repo.BlobReader(repo, locator(repo));
    }

    /** Every copy of {@code key} the index knows; empty if none. */
    public List<BlobLocation> copies(ContentKey key) throws IOException {
        return blobTable.copies(key);
    }

    public boolean hasBlob(ContentKey key) throws IOException {
        return blobTable.has(key);
    }

    /** Records a committed pack and its blobs, atomically. */
    public void addPack(String packId, List<BlobLocation> located) throws IOException {
        blobTable.addPack(packId, located);
    }

    public Set<String> packIds() {
        return blobTable.packIds();
    }

    /**
     * Forgets packs that vanished from the repository (another process pruned), and their copies of blobs. File
     * records may then name content that is gone, so their reuse is checked until the next point
     * ({@link #fileRecordsUnverified}).
     */
    public void removePacks(Set<String> gone) throws IOException {
        blobTable.removePacks(gone, null, wb -> wb.put(META_UNVERIFIED, new byte[] {1}));
    }

    /**
     * Forgets packs this process is deleting (compaction, prune), which held {@code keys}: their copies go, copies in
     * other packs stay. The caller guarantees that every blob still needed has another copy.
     */
    public void removePacks(Set<String> gone, Collection<ContentKey> keys) throws IOException {
        blobTable.removePacks(gone, keys, null);
    }

    /**
     * In one atomic update: learns the packs in {@code added} (committed: a repack's output) and forgets those in
     * {@code gone} (which held {@code goneKeys}); copies elsewhere stay.
     */
    public void movePacks(java.util.Map<String, List<BlobLocation>> added, Set<String> gone,
                          Collection<ContentKey> goneKeys) throws IOException {
        blobTable.movePacks(added, gone, goneKeys);
    }

    /**
     * True when some file record may name content the repository no longer holds: packs were forgotten, or the
     * records were rebuilt from manifests. Then every reuse of a record is checked against the blobs; otherwise
     * that check is skipped, because records are only written for committed content.
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

    public RecordBatch batch() {
        return fileTable.new Batch();
    }

    /** A cursor over one tree's file records, in path order. */
    public TreeCursor cursor(String tree) {
        return fileTable.new Cursor(tree, FileEntry.ROOT);
    }

    /** A cursor over the records of the files below directory {@code under} only. */
    public TreeCursor cursor(String tree, String under) {
        return fileTable.new Cursor(tree, under);
    }

    /** The record of one file, or null. */
    public FileRecord getFile(String tree, String path) throws IOException {
        return fileTable.get(tree, path);
    }

    /** Hands the content key of every file record to {@code sink}. */
    public void forEachRecordKey(java.util.function.Consumer<ContentKey> sink) {
        fileTable.forEachKey(sink);
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
        fileTable.retainTrees(keep, wb -> wb.put(META_TREES, names));
    }

    /** Makes everything written so far durable (used before reporting a rebuild done). */
    public void flush() throws IOException {
        try (org.rocksdb.FlushOptions fo = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(fo, handles);
        } catch (RocksDBException e) {
            throw new IOException("index flush: " + e.getMessage(), e);
        }
    }

    private boolean closed;

    @Override
    public synchronized void close() {
        if (closed) {
            return; // a second close would hand RocksDB freed handles: a crash of the whole JVM, not an exception
        }
        closed = true;
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
