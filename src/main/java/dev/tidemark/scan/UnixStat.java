package dev.tidemark.scan;

import dev.tidemark.point.EntryType;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;

/**
 * lstat through the JDK's own {@code sun.nio.fs.UnixFileAttributes}, where java.base opens that package to tidemark
 * (the jar's manifest says {@code Add-Opens: java.base/sun.nio.fs}; the tests pass the same option). The public way,
 * {@code Files.readAttributes(p, "unix:mode,ino,...")}, makes the same one system call but then splits the
 * attribute names, fills a map and boxes every field: 60,000 files took ~400 ms of C1 code that way against ~160 ms
 * here, and a point stats every file twice (listed, then again after it is read). Where the package is not open,
 * or the path is not of the default file system, {@link #lstat} returns null and {@link FileStat} takes the public
 * way; it also returns null when the call fails, so that the public way throws the JDK's own exception
 * (NoSuchFileException and so on) for the path.
 */
final class UnixStat {
    private static final Class<?> UNIX_PATH;
    private static final MethodHandle GET;
    private static final MethodHandle MODE;
    private static final MethodHandle INO;
    private static final MethodHandle DEV;
    private static final MethodHandle UID;
    private static final MethodHandle GID;
    private static final MethodHandle SIZE;
    private static final MethodHandle MTIME_SEC;
    private static final MethodHandle MTIME_NSEC;
    private static final MethodHandle CTIME_SEC;
    private static final MethodHandle CTIME_NSEC;
    static final boolean AVAILABLE;

    static {
        Class<?> path = null;
        MethodHandle[] h = new MethodHandle[11];
        boolean ok = false;
        try {
            Class<?> attrs = Class.forName("sun.nio.fs.UnixFileAttributes");
            path = Class.forName("sun.nio.fs.UnixPath");
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(attrs, MethodHandles.lookup());
            h[0] = l.findStatic(attrs, "get", MethodType.methodType(attrs, path, boolean.class));
            String[] fields = {"st_mode", "st_ino", "st_dev", "st_uid", "st_gid", "st_size", "st_mtime_sec",
                "st_mtime_nsec", "st_ctime_sec", "st_ctime_nsec"};
            Class<?>[] types = {int.class, long.class, long.class, int.class, int.class, long.class, long.class,
                long.class, long.class, long.class};
            for (int i = 0; i < fields.length; i++) {
                h[i + 1] = l.findGetter(attrs, fields[i], types[i]);
            }
            ok = path.isInstance(Path.of("/"));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError notOpen) {
            // an IllegalAccessException unless java.base opens sun.nio.fs: the public way, then
        }
        AVAILABLE = ok;
        UNIX_PATH = path;
        GET = h[0];
        MODE = h[1];
        INO = h[2];
        DEV = h[3];
        UID = h[4];
        GID = h[5];
        SIZE = h[6];
        MTIME_SEC = h[7];
        MTIME_NSEC = h[8];
        CTIME_SEC = h[9];
        CTIME_NSEC = h[10];
    }

    private UnixStat() {
    }

    /** The lstat of {@code p}, or null where this way does not apply or the call failed (see the class comment). */
    static FileStat lstat(Path p) {
        if (!AVAILABLE || !UNIX_PATH.isInstance(p)) {
            return null;
        }
        Object a;
        try {
            a = GET.invoke(p, false);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable unixException) {
            return null;
        }
        try {
            int rawMode = (int) MODE.invoke(a);
            EntryType type = FileStat.typeOf(rawMode);
            long mtime = Math.addExact(Math.multiplyExact((long) MTIME_SEC.invoke(a), 1_000_000_000L),
                    (long) MTIME_NSEC.invoke(a));
            long ctime = Math.addExact(Math.multiplyExact((long) CTIME_SEC.invoke(a), 1_000_000_000L),
                    (long) CTIME_NSEC.invoke(a));
            return new FileStat(type, (long) SIZE.invoke(a), mtime, ctime, (long) INO.invoke(a), (long) DEV.invoke(a),
                    rawMode & 07777, (int) UID.invoke(a), (int) GID.invoke(a));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable cannotHappen) {
            throw new IllegalStateException("reading a field of the JDK's UnixFileAttributes", cannotHappen);
        }
    }
}
