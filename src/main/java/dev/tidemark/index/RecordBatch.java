package dev.tidemark.index;

import java.io.IOException;

/** A batch of file-record changes, applied atomically by {@link #apply}. Close it before the index. */
public interface RecordBatch extends AutoCloseable {
    void putFile(String tree, String path, FileRecord r) throws IOException;

    /** Deletes the record of {@code path} and of every file below it (a deleted directory). */
    void deleteTree(String tree, String path) throws IOException;

    /** Deletes a file record by its raw key (as handed out by {@link TreeCursor}). */
    void deleteKey(byte[] key) throws IOException;

    int size();

    void apply() throws IOException;

    @Override
    void close();
}
