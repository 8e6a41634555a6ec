package dev.tidemark.point;

/**
 * One change recorded by the daemon: at {@code timeNanos}, {@code path} in {@code tree} became {@code entry}, or was
 * deleted (with everything under it) when {@code entry} is null.
 */
public record JournalEntry(long timeNanos, String tree, String path, FileEntry entry) {
    public static JournalEntry put(long timeNanos, String tree, FileEntry entry) {
        return new JournalEntry(timeNanos, tree, entry.path(), entry);
    }

    public static JournalEntry delete(long timeNanos, String tree, String path) {
        return new JournalEntry(timeNanos, tree, path, null);
    }

    public boolean isDelete() {
        return entry == null;
    }
}
