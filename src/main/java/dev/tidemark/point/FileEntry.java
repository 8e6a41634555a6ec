package dev.tidemark.point;

import dev.tidemark.hash.ContentKey;
import java.time.Instant;

/**
 * One entry of a tree's manifest.
 *
 * @param path       relative to the tree root, '/'-separated; the root itself is "."
 * @param type       file, directory or symlink
 * @param size       bytes of content (files), 0 otherwise
 * @param mtimeNanos modification time, nanoseconds since the epoch
 * @param ctimeNanos status-change time, nanoseconds since the epoch (lets a rebuilt index trust unchanged files)
 * @param mode       permission bits including setuid, setgid and sticky (the low 12 bits of st_mode)
 * @param uid        owner
 * @param gid        group
 * @param inode      inode number at scan time
 * @param key        content key (files only)
 * @param target     link target (symlinks only), exactly as read
 */
public record FileEntry(String path, EntryType type, long size, long mtimeNanos, long ctimeNanos, int mode, int uid,
                        int gid, long inode, ContentKey key, String target) {
    public static final String ROOT = ".";

    public boolean isFile() {
        return type == EntryType.FILE;
    }

    public boolean isDir() {
        return type == EntryType.DIR;
    }

    public boolean isSymlink() {
        return type == EntryType.SYMLINK;
    }

    public static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    public static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    @Override
    public String toString() {
        String what = switch (type) {
            case FILE -> size + " B " + key.shortHex();
            case DIR -> "dir";
            case SYMLINK -> "-> " + target;
        };
        return String.format("%s %04o %s %s", path, mode, instant(mtimeNanos), what);
    }
}
