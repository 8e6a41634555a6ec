package dev.tidemark.journal;

import dev.tidemark.point.FileEntry;

/**
 * One change recorded by the daemon: in batch {@code seq}, at {@code timeNanos}, {@code path} in {@code tree} became
 * {@code entry}, or was deleted (with everything under it) when {@code entry} is null.
 *
 * <p>{@code seq} is the journal's own order (batches are numbered 1, 2, 3… as they are committed); the time is what
 * {@code restore --at} selects by. A change made but not yet committed has no seq ({@link #UNASSIGNED}).
 */
public record JournalEntry(long seq, long timeNanos, String tree, String path, FileEntry entry) {
    public static final long UNASSIGNED = -1;

    public static JournalEntry put(long timeNanos, String tree, FileEntry entry) {
        return new JournalEntry(UNASSIGNED, timeNanos, tree, entry.path(), entry);
    }

    public static JournalEntry delete(long timeNanos, String tree, String path) {
        return new JournalEntry(UNASSIGNED, timeNanos, tree, path, null);
    }

    public boolean isDelete() {
        return entry == null;
    }

    /** The same change, as committed in batch {@code s}. */
    public JournalEntry inBatch(long s) {
        return new JournalEntry(s, timeNanos, tree, path, entry);
    }
}
