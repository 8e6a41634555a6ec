package dev.tidemark.scan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sockets, FIFOs and devices in a tree: not data that can be copied (a FIFO's reader would block, a device's
 * "content" is the device), so they are skipped, never silently: a warning names each one, once per process (a
 * daemon meets the same socket at every rescan).
 */
public final class SpecialFiles {
    private static final Logger LOG = LoggerFactory.getLogger(SpecialFiles.class);
    private static final int MAX_REMEMBERED = 10_000;
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private SpecialFiles() {
    }

    /** Says that {@code rel} of {@code tree} (at {@code path}) is skipped, and why, unless already said. */
    public static void skipped(String tree, String rel, Path path) {
        if (WARNED.size() < MAX_REMEMBERED && !WARNED.add(tree + "\0" + rel)) {
            return;
        }
        LOG.warn("{}: {}: {}, not a file, directory or symlink; skipped (not backed up)", tree, rel, kind(path));
    }

    /** What kind of special file {@code path} is: "a socket", "a FIFO", "a character device"... */
    static String kind(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return switch (mode & 0170000) {
                case 0140000 -> "a socket";
                case 0010000 -> "a FIFO (named pipe)";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                default -> "a special file (mode " + Integer.toOctalString(mode) + ")";
            };
        } catch (IOException | RuntimeException e) {
            return "a special file";
        }
    }
}
