package dev.tidemark.restore;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.FileChannel;

/**
 * Sets a file's times through the descriptor it is being written by ({@code futimens}), before it is closed.
 *
 * <p>The public way, {@code BasicFileAttributeView.setTimes}, opens the file again by name, calls {@code futimens}
 * and closes it: two of the five system calls a restored file costs, each with a path lookup (on 60,000 files,
 * 120,000 of a restore's 470,000 calls). Here the JDK's own {@code sun.nio.fs.UnixNativeDispatcher.futimens} is
 * called with the descriptor of the {@code FileChannel}, where java.base opens {@code sun.nio.fs} and
 * {@code sun.nio.ch} to tidemark (the jar's manifest says so; the tests pass the same options). Elsewhere, for a
 * time before 1970 (which the JDK moves to 1970 on file systems that refuse it) and on any failure, {@link #set}
 * returns false and the caller takes the public way, which throws the JDK's own exception if it fails too.
 */
final class OpenFileTimes {
    private static final Class<?> CHANNEL;
    private static final MethodHandle FD;
    private static final MethodHandle FD_VAL;
    private static final MethodHandle FUTIMENS;
    static final boolean AVAILABLE;

    static {
        Class<?> channel = null;
        MethodHandle fd = null;
        MethodHandle fdVal = null;
        MethodHandle futimens = null;
        boolean ok = false;
        try {
            channel = Class.forName("sun.nio.ch.FileChannelImpl");
            fd = MethodHandles.privateLookupIn(channel, MethodHandles.lookup())
                    .findGetter(channel, "fd", FileDescriptor.class);
            Class<?> io = Class.forName("sun.nio.ch.IOUtil");
            fdVal = MethodHandles.privateLookupIn(io, MethodHandles.lookup())
                    .findStatic(io, "fdVal", MethodType.methodType(int.class, FileDescriptor.class));
            Class<?> nd = Class.forName("sun.nio.fs.UnixNativeDispatcher");
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(nd, MethodHandles.lookup());
            futimens = l.findStatic(nd, "futimens", MethodType.methodType(void.class, int.class, long.class,
                    long.class));
            ok = (boolean) l.findStatic(nd, "futimensSupported", MethodType.methodType(boolean.class)).invoke();
        } catch (Throwable notOpen) {
            // an IllegalAccessException unless java.base opens both packages: the public way, then
        }
        AVAILABLE = ok;
        CHANNEL = channel;
        FD = fd;
        FD_VAL = fdVal;
        FUTIMENS = futimens;
    }

    private OpenFileTimes() {
    }

    /**
     * Sets the modification and access times (nanoseconds since 1970) of the file open in {@code ch}; false where
     * this way does not apply or the call failed (see the class comment).
     */
    static boolean set(FileChannel ch, long mtimeNanos, long atimeNanos) {
        if (!AVAILABLE || !CHANNEL.isInstance(ch) || mtimeNanos < 0 || atimeNanos < 0) {
            return false;
        }
        try {
            int fd = (int) FD_VAL.invoke((FileDescriptor) FD.invoke(ch));
            if (fd < 0) {
                return false;
            }
            FUTIMENS.invoke(fd, atimeNanos, mtimeNanos);
            return true;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable unixException) {
            return false;
        }
    }
}
