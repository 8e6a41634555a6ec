/**
 * The index: a local RocksDB cache of the repository's blobs and of each tree's last-seen files.
 *
 * <p>Change detection: a file is skipped (not read) only when its size, mtime, ctime and inode all equal the record,
 * the record is trusted (the file was not modified within {@link dev.tidemark.index.IndexSync#RACY_MARGIN} of being
 * read), and the record's content is still in the repository. Everything else is read and hashed again; reading an
 * unchanged file costs I/O but never stores anything twice.
 *
 * <p>Deleting the index loses nothing: {@code tidemark index rebuild} reads every pack trailer and the latest point's
 * manifests, after which the next point copies nothing and reads only files that changed.
 */
package dev.tidemark.index;
