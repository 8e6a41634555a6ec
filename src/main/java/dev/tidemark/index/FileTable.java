package dev.tidemark.index;

import dev.tidemark.point.FileEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * What each tree looked like last time: tree + path → {@link FileRecord}.
 *
 * <p>Keys are the tree's name, a 0 byte, then the path with '/' stored as 0, so that byte order is
 * {@link dev.tidemark.point.PathOrder} and a directory's records follow it directly: a walk and the records can be
 * merged in one pass, and a deleted directory is one range deletion.
 */
final class FileTable {
    private final RocksDB db;
    private final WriteOptions writeOptions;
    private final ColumnFamilyHandle files;

    FileTable(RocksDB db, WriteOptions writeOptions, ColumnFamilyHandle files) {
        this.db = db;
        this.writeOptions = writeOptions;
        this.files = files;
    }

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

    FileRecord get(String tree, String path) throws IOException {
        try {
            byte[] v = db.get(files, fileKey(tree, path));
            return v == null ? null : FileRecord.decode(v);
        } catch (RocksDBException e) {
            throw new IOException("index read: " + e.getMessage(), e);
        }
    }

    /** Hands every record's content key to {@code sink} (prune keeps what the trees' last state names). */
    void forEachKey(java.util.function.Consumer<dev.tidemark.hash.ContentKey> sink) {
        try (RocksIterator it = db.newIterator(files)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                FileRecord r = FileRecord.decode(it.value());
                if (r != null) {
                    sink.accept(r.key());
                }
            }
        }
    }

    /** True if the table holds no record at all. */
    boolean isEmpty() {
        try (RocksIterator it = db.newIterator(files)) {
            it.seekToFirst();
            return !it.isValid();
        }
    }

    /** Deletes every record of trees not in {@code keep}; {@code extra} lands in the same batch. */
    void retainTrees(Set<String> keep, BlobTable.Extra extra) throws IOException {
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
            extra.addTo(wb);
            db.write(writeOptions, wb);
        } catch (RocksDBException e) {
            throw new IOException("index: drop old trees: " + e.getMessage(), e);
        }
    }

    /** A batch of file-record changes, applied atomically by {@link #apply}. */
    final class Batch implements RecordBatch {
        private final WriteBatch wb = new WriteBatch();
        private int count;

        @Override
        public void putFile(String tree, String path, FileRecord r) throws IOException {
            try {
                wb.put(files, fileKey(tree, path), r.encode());
                count++;
            } catch (RocksDBException e) {
                throw new IOException(e.getMessage(), e);
            }
        }

        @Override
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

        @Override
        public void deleteKey(byte[] key) throws IOException {
            try {
                wb.delete(files, key);
                count++;
            } catch (RocksDBException e) {
                throw new IOException(e.getMessage(), e);
            }
        }

        @Override
        public int size() {
            return count;
        }

        @Override
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

    /** See {@link TreeCursor}. */
    final class Cursor implements TreeCursor {
        private final String tree;
        private final byte[] prefix;
        private final ReadOptions ro;
        private final RocksIterator it;

        Cursor(String tree, String under) {
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

        @Override
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

        @Override
        public boolean atEnd() {
            return !inTree();
        }

        @Override
        public String pathOf(byte[] key) {
            return FileTable.pathOf(key, treePrefix(tree).length);
        }

        @Override
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
}
