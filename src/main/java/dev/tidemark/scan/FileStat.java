package dev.tidemark.scan;

import dev.tidemark.point.EntryType;
import dev.tidemark.point.FileEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * The lstat fields tidemark uses. One system call ({@link UnixStat} where it can); symbolic links are not followed.
 *
 * @param type       null for sockets, FIFOs and devices (not recorded)
 * @param size       bytes
 * @param mtimeNanos modification time, ns since the epoch
 * @param ctimeNanos status-change time, ns since the epoch
 * @param inode      inode number
 * @param dev        device id
 * @param mode       the low 12 bits of st_mode
 * @param uid        owner
 * @param gid        group
 */
public record FileStat(EntryType type, long size, long mtimeNanos, long ctimeNanos, long inode, long dev, int mode,
                       int uid, int gid) {
    private static final String ATTRS = "unix:mode,ino,dev,uid,gid,ctime,size,lastModifiedTime";
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    public static FileStat lstat(Path p) throws IOException {
        FileStat fast = UnixStat.lstat(p);
        return fast != null ? fast : publicLstat(p);
    }

    /** lstat the public way: the JDK parses the attribute names and fills a map (see {@link UnixStat}). */
    static FileStat publicLstat(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
        int rawMode = (Integer) a.get("mode");
        return new FileStat(typeOf(rawMode), (Long) a.get("size"), nanos((FileTime) a.get("lastModifiedTime")),
                nanos((FileTime) a.get("ctime")), (Long) a.get("ino"), (Long) a.get("dev"), rawMode & 07777,
                (Integer) a.get("uid"), (Integer) a.get("gid"));
    }

    /** The entry type of an st_mode; null for sockets, FIFOs and devices. */
    static EntryType typeOf(int rawMode) {
        return switch (rawMode & S_IFMT) {
            case S_IFREG -> EntryType.FILE;
            case S_IFDIR -> EntryType.DIR;
            case S_IFLNK -> EntryType.SYMLINK;
            default -> null;
        };
    }

    static long nanos(FileTime t) {
        return FileEntry.nanos(t.toInstant());
    }

    /** Nothing about the content can have changed between two stats that agree on these. */
    public boolean sameContentState(FileStat o) {
        return o != null && type == o.type && size == o.size && mtimeNanos == o.mtimeNanos
                && ctimeNanos == o.ctimeNanos && inode == o.inode && dev == o.dev;
    }
}
