package dev.tidemark.index;

import java.util.List;

/**
 * Reads one tree's file records in path order alongside a walk of the tree: for each file, in
 * {@link dev.tidemark.point.PathOrder}, {@link #advance} returns its record (a sequential step, far cheaper than a
 * lookup) and hands back the keys of records it passed over, files that are gone or now excluded, for deletion.
 * Reads a snapshot taken when it was opened. Close it before the index: an iterator used after its database is
 * closed would crash the JVM.
 */
public interface TreeCursor extends AutoCloseable {
    /** The record of {@code path}, or null; keys of records before it are added to {@code stale}. */
    FileRecord advance(String path, List<byte[]> stale);

    /** True if there is no record (left) under the cursor's prefix. */
    boolean atEnd();

    /** The path a record key handed out by {@link #advance} or {@link #finish} stands for. */
    String pathOf(byte[] key);

    /** Adds the keys of every record after the last path advanced to. */
    void finish(List<byte[]> stale);

    @Override
    void close();
}
