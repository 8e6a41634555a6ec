package dev.tidemark.point;

import java.io.IOException;

/** A tree's entries in {@link PathOrder}, read one at a time: a manifest, or a manifest with the journal on top. */
public interface Entries extends AutoCloseable {
    /** The next entry, or null after the last. */
    FileEntry nextOrNull() throws IOException;

    @Override
    void close() throws IOException;

    /** Opens a fresh reader over the same entries (a restore reads them twice: to write, then to prune). */
    interface Source {
        Entries open() throws IOException;
    }

    /** No entries: a tree with no point before the journal begins. */
    Entries EMPTY = new Entries() {
        @Override
        public FileEntry nextOrNull() {
            return null;
        }

        @Override
        public void close() {
        }
    };
}
